import { checkPropertyNames, isRecord, PropertyError, requiredString, userTags } from './properties';
import {
  ServerSelectorProperty,
  StagingAccountExtensionResourceProperties,
  validateAccountId,
  validateServerSelector,
} from '../../contract';

export interface StagingAccountExtensionInput {
  readonly stagingAccountId: string;
  /** Undefined: every extensible server. */
  readonly selector?: ServerSelectorProperty;
  /** User tags only; owner tags are added by the lifecycle. */
  readonly tags: Record<string, string>;
  readonly pruneNotMatching: boolean;
  readonly failOnExtensionError: boolean;
  /** Staging server ARN → the user tags of the stack's ExtendedSourceServer that declares it. */
  readonly perServer: ReadonlyMap<string, Record<string, string>>;
}

function perServerDeclarations(value: unknown, problems: string[]): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  if (value === undefined) return out;
  if (!Array.isArray(value)) {
    problems.push('PerServerDeclarations must be a list');
    return out;
  }
  value.forEach((entry, i) => {
    const arn = isRecord(entry) ? entry.StagingSourceServerArn : undefined;
    if (typeof arn !== 'string') {
      problems.push(`PerServerDeclarations[${i}].StagingSourceServerArn must be a string`);
      return;
    }
    out.set(arn, userTags(entry as Record<string, unknown>, problems));
  });
  return out;
}

/**
 * Every property the contract defines, as a record so that a new contract field fails to compile
 * until the parser knows it.
 */
const KNOWN: Record<keyof StagingAccountExtensionResourceProperties, true> = {
  StagingAccountId: true,
  Selector: true,
  Tags: true,
  PruneNotMatching: true,
  FailOnExtensionError: true,
  ReconcileToken: true,
  PerServerDeclarations: true,
};

/** CloudFormation passes booleans as strings; the schedule's payload may keep them as booleans. */
function flag(name: string, value: unknown, problems: string[]): boolean {
  if (value === undefined || value === false || value === 'false') return false;
  if (value === true || value === 'true') return true;
  problems.push(`${name} must be 'true' or 'false', got ${JSON.stringify(value)}`);
  return false;
}

/** Parses `Custom::DrsStagingAccountExtension` properties with the contract's validators. */
export function parseStagingAccountExtensionProperties(raw: unknown): StagingAccountExtensionInput {
  if (!isRecord(raw)) throw new PropertyError('ResourceProperties must be an object');
  const problems: string[] = [];
  checkPropertyNames(raw, KNOWN, problems);
  const account = requiredString(raw, 'StagingAccountId', validateAccountId, problems);
  if (raw.Selector !== undefined) problems.push(...validateServerSelector('Selector', raw.Selector));
  const tags = userTags(raw, problems);
  const pruneNotMatching = flag('PruneNotMatching', raw.PruneNotMatching, problems);
  const failOnExtensionError = flag('FailOnExtensionError', raw.FailOnExtensionError, problems);
  const perServer = perServerDeclarations(raw.PerServerDeclarations, problems);
  if (raw.ReconcileToken !== undefined && typeof raw.ReconcileToken !== 'string') {
    problems.push(`ReconcileToken must be a string, got ${JSON.stringify(raw.ReconcileToken)}`);
  }

  if (problems.length > 0 || account === undefined) throw new PropertyError(`invalid properties: ${problems.join('; ')}`);
  return {
    stagingAccountId: account,
    ...(raw.Selector !== undefined ? { selector: raw.Selector as ServerSelectorProperty } : {}),
    tags,
    pruneNotMatching,
    failOnExtensionError,
    perServer,
  };
}
