/**
 * restJson1 as the DRS model binds it: SigV4 credential scope parsing, HTTP request to operation
 * input (URI labels, querystring, headers, JSON body) and shape-driven output serialization.
 */
import { DrsError, validationError } from './errors';
import { model, Operation, shape as shapeOf } from './model';
import { isPlainObject } from './validate';

export interface CredentialScope {
  readonly accessKeyId: string;
  readonly date: string;
  readonly region: string;
  readonly service: string;
}

const AUTH_RE = /^AWS4-HMAC-SHA256\s+Credential=([^/\s,]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request\s*,\s*SignedHeaders=[a-z0-9;-]+\s*,\s*Signature=[0-9a-f]+$/;

/**
 * Reads the caller's identity from the SigV4 `Authorization` header. The signature is NOT
 * verified: the local DRS has no secrets worth protecting; the access key id alone names the
 * account. The header must still be present and well formed, as AWS requires.
 */
export function parseAuthorization(header: string | undefined): CredentialScope {
  if (!header) {
    throw new DrsError('MissingAuthenticationTokenException', 'Missing Authentication Token', {}, 403);
  }
  const m = AUTH_RE.exec(header.trim());
  if (!m) {
    throw new DrsError('IncompleteSignatureException',
      'Authorization header requires AWS4-HMAC-SHA256 with Credential=<key>/<date>/<region>/<service>/aws4_request, SignedHeaders and Signature', {}, 400);
  }
  const [, accessKeyId, date, region, service] = m;
  if (service !== 'drs') {
    throw new DrsError('InvalidSignatureException', `Credential should be scoped to correct service: 'drs'. (got '${service}')`, {}, 403);
  }
  return { accessKeyId, date, region, service };
}

/** Builds the operation's input from the request as the model binds each member. */
export function readInput(
  op: Operation,
  labels: Record<string, string>,
  query: URLSearchParams,
  headers: Record<string, string | string[] | undefined>,
  body: string,
): Record<string, unknown> {
  if (!op.input) return {};
  const input = shapeOf(op.input.shape);
  const members = input.members ?? {};
  const hasBodyMembers = Object.values(members).some((m) => m.location === undefined);

  const result: Record<string, unknown> = {};
  if (hasBodyMembers && body.trim() !== '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch (e) {
      throw validationError(`Could not parse the request body as JSON: ${(e as Error).message}`, 'cannotParse');
    }
    if (!isPlainObject(parsed)) throw validationError('The request body must be a JSON object', 'cannotParse');
    for (const [name, value] of Object.entries(parsed)) {
      // A body cannot set members bound elsewhere; unknown members are ignored.
      if (members[name] && members[name].location === undefined) result[name] = value;
    }
  }

  for (const [name, ref] of Object.entries(members)) {
    const wire = ref.locationName ?? name;
    switch (ref.location) {
      case 'uri':
        if (labels[wire] !== undefined) result[name] = labels[wire];
        break;
      case 'querystring':
        if (query.has(wire)) result[name] = fromQuery(ref.shape, query.getAll(wire));
        break;
      case 'header': {
        const h = headers[wire.toLowerCase()];
        if (h !== undefined) result[name] = Array.isArray(h) ? h.join(',') : h;
        break;
      }
      default:
        break;
    }
  }
  return result;
}

// Querystring values are strings; convert to the member's type so the validator judges them.
function fromQuery(shapeName: string, values: string[]): unknown {
  const s = shapeOf(shapeName);
  switch (s.type) {
    case 'list':
      return values;
    case 'integer':
    case 'long':
      return /^-?\d+$/.test(values[0]) ? Number(values[0]) : values[0];
    case 'boolean':
      return values[0] === 'true' ? true : values[0] === 'false' ? false : values[0];
    default:
      return values[0];
  }
}

/**
 * Serializes a value through a shape: keeps only declared body members and never emits `null`
 * or `undefined`, so a response can never carry more than the model allows.
 */
export function serialize(shapeName: string, value: unknown): unknown {
  if (value === null || value === undefined) return undefined;
  const s = shapeOf(shapeName);
  switch (s.type) {
    case 'structure': {
      if (!isPlainObject(value)) return undefined;
      const out: Record<string, unknown> = {};
      for (const [name, ref] of Object.entries(s.members ?? {})) {
        if (ref.location !== undefined) continue;
        const v = serialize(ref.shape, value[name]);
        if (v !== undefined) out[name] = v;
      }
      return out;
    }
    case 'list':
      if (!Array.isArray(value)) return undefined;
      return value.map((item) => serialize(s.member!.shape, item)).filter((item) => item !== undefined);
    case 'map': {
      if (!isPlainObject(value)) return undefined;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        const sv = serialize(s.value!.shape, v);
        if (sv !== undefined) out[k] = sv;
      }
      return out;
    }
    default:
      return value;
  }
}

export interface WireResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  /** Undefined: no body at all. */
  readonly body?: string;
}

/** The wire form of an error: type header, modelled status, body and header members per its shape. */
export function errorResponse(error: DrsError): WireResponse {
  const headers: Record<string, string> = { 'x-amzn-errortype': error.type, 'content-type': 'application/json' };
  const s = model.shapes[error.type];
  let body: Record<string, unknown> = { message: error.message };
  if (s) {
    for (const [name, ref] of Object.entries(s.members ?? {})) {
      const v = error.fields[name];
      if (v === undefined || v === null) continue;
      if (ref.location === 'header') headers[ref.locationName!.toLowerCase()] = String(v);
    }
    body = serialize(error.type, { ...error.fields, message: error.message }) as Record<string, unknown>;
  }
  return { status: error.status, headers, body: JSON.stringify(body) };
}

/** The wire form of a success: the model's status code, the output serialized through its shape. */
export function successResponse(op: Operation, output: unknown): WireResponse {
  const status = op.http.responseCode ?? 200;
  if (!op.output || status === 204) return { status, headers: {} };
  return {
    status,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(serialize(op.output.shape, output ?? {})),
  };
}
