/**
 * How Step Functions' AWS SDK integrations (`arn:aws:states:::aws-sdk:drs:<action>`) name what
 * they send and return, applied to DRS with its API model. Test support only: it translates, it
 * decides nothing.
 *
 * The rule implemented (Step Functions developer guide, "AWS SDK service integrations", API
 * naming conventions: "Parameters in Step Functions are expressed in PascalCase, even if the
 * native service API is in camelCase"; and the error rule "ServiceName.ErrorName", both in
 * PascalCase):
 * - request: every *structure member* name is the API's member name with its first letter in
 *   upper case (`sourceServers` -> `SourceServers`, `sourceServerID` -> `SourceServerID`,
 *   `isDrill` -> `IsDrill`); the translation lowers the first letter back, per the model's
 *   shapes, so a name that is not a member of the shape is an error (as Step Functions rejects
 *   unknown parameters) instead of being passed on;
 * - response: the same, the other way (`job.jobID` -> `Job.JobID`, `items[].status` ->
 *   `Items[].Status`);
 * - map keys (tags) are data, not member names: never changed, either way;
 * - errors: `Drs.<ErrorName>` (e.g. `Drs.ConflictException`), the message as the cause.
 *   Assumed from the rule above: the guide's examples are for other services (`AcmPca.`, `S3.`).
 */
import { model, Shape } from '../local-drs/model';

const upperFirst = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

function shapeOf(name: string): Shape {
  const s = model.shapes[name];
  if (!s) throw new Error(`shape ${name} is not in the DRS model`);
  return s;
}

/** Step Functions parameters (PascalCase members) -> SDK input (the model's member names). */
export function toSdkInput(operation: string, parameters: unknown): Record<string, unknown> {
  const op = model.operations[operation];
  if (!op) throw new Error(`DRS has no operation ${operation}`);
  if (!op.input) return {};
  return convertIn(op.input.shape, parameters ?? {}, operation) as Record<string, unknown>;
}

function convertIn(shapeName: string, value: unknown, path: string): unknown {
  const s = shapeOf(shapeName);
  if (value === null || value === undefined) return value;
  switch (s.type) {
    case 'structure': {
      if (typeof value !== 'object' || Array.isArray(value)) throw new Error(`${path} must be an object`);
      const byPascal = new Map(Object.keys(s.members ?? {}).map((m) => [upperFirst(m), m]));
      const out: Record<string, unknown> = {};
      for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
        const member = byPascal.get(key);
        if (!member) {
          throw new Error(`${path}: '${key}' is not a parameter (Step Functions names the members of ${shapeName} ${[...byPascal.keys()].join(', ')})`);
        }
        out[member] = convertIn(s.members![member].shape, v, `${path}.${key}`);
      }
      return out;
    }
    case 'list':
      if (!Array.isArray(value)) throw new Error(`${path} must be a list`);
      return value.map((v, i) => convertIn(s.member!.shape, v, `${path}[${i}]`));
    case 'map':
      return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, convertIn(s.value!.shape, v, `${path}[${k}]`)]));
    default:
      return value;
  }
}

/** SDK output (the model's member names) -> what the Task state receives (PascalCase members). */
export function fromSdkOutput(operation: string, output: Record<string, unknown>): Record<string, unknown> {
  const op = model.operations[operation];
  const { $metadata: _ignored, ...rest } = output as Record<string, unknown> & { $metadata?: unknown };
  if (!op?.output) return {};
  return convertOut(op.output.shape, rest) as Record<string, unknown>;
}

function convertOut(shapeName: string, value: unknown): unknown {
  const s = shapeOf(shapeName);
  if (value === null || value === undefined) return value;
  switch (s.type) {
    case 'structure':
      return Object.fromEntries(Object.entries(value as Record<string, unknown>)
        .filter(([k]) => s.members?.[k] !== undefined)
        .map(([k, v]) => [upperFirst(k), convertOut(s.members![k].shape, v)]));
    case 'list':
      return (value as unknown[]).map((v) => convertOut(s.member!.shape, v));
    case 'map':
      return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, convertOut(s.value!.shape, v)]));
    case 'timestamp':
      return value instanceof Date ? value.toISOString() : value;
    default:
      return value;
  }
}

/** An SDK error as the Task state sees it: `Drs.<name>`, with the service's message as the cause. */
export function sdkIntegrationError(err: unknown): Error {
  const e = err as { name?: string; message?: string };
  const error = new Error(e.message ?? String(err));
  error.name = `Drs.${e.name ?? 'Unknown'}`;
  return error;
}
