/**
 * The DRS API model (botocore JSON, copied beside this file) as typed data: shapes, operations
 * and the HTTP route table. Everything the local DRS validates, routes and serializes is read
 * from here, so a refreshed model changes behaviour without code changes.
 */
import { readFileSync } from 'fs';
import { join } from 'path';

export interface MemberRef {
  readonly shape: string;
  readonly location?: 'uri' | 'querystring' | 'header' | 'headers' | 'statusCode';
  readonly locationName?: string;
}

export interface Shape {
  readonly type: 'structure' | 'string' | 'list' | 'map' | 'integer' | 'long' | 'boolean' | 'timestamp' | 'double' | 'float' | 'blob';
  readonly members?: Record<string, MemberRef>;
  readonly required?: readonly string[];
  readonly member?: MemberRef;
  readonly key?: MemberRef;
  readonly value?: MemberRef;
  readonly min?: number;
  readonly max?: number;
  readonly pattern?: string;
  readonly enum?: readonly string[];
  readonly sensitive?: boolean;
  readonly error?: { readonly httpStatusCode: number };
  readonly exception?: boolean;
}

export interface Operation {
  readonly name: string;
  readonly http: { readonly method: string; readonly requestUri: string; readonly responseCode?: number };
  readonly input?: { readonly shape: string };
  readonly output?: { readonly shape: string };
  readonly errors?: ReadonlyArray<{ readonly shape: string }>;
}

export interface Model {
  readonly shapes: Record<string, Shape>;
  readonly operations: Record<string, Operation>;
}

export interface Paginator {
  readonly input_token: string;
  readonly output_token: string;
  readonly limit_key: string;
  readonly result_key: string;
}

const MODEL_DIR = join(__dirname, 'model');

export const model: Model = JSON.parse(readFileSync(join(MODEL_DIR, 'drs-service-2.json'), 'utf8'));

export const paginators: Record<string, Paginator> =
  JSON.parse(readFileSync(join(MODEL_DIR, 'drs-paginators-1.json'), 'utf8')).pagination;

export function shape(name: string): Shape {
  const s = model.shapes[name];
  if (!s) throw new Error(`Shape ${name} is not in the DRS model`);
  return s;
}

export function operation(name: string): Operation {
  const op = model.operations[name];
  if (!op) throw new Error(`Operation ${name} is not in the DRS model`);
  return op;
}

/** The status code an operation answers with on success (the model's default is 200). */
export function successCode(op: Operation): number {
  return op.http.responseCode ?? 200;
}

interface Route {
  readonly operation: Operation;
  readonly method: string;
  readonly regex: RegExp;
  readonly labels: string[];
}

/** Routes built from each operation's `http.method` + `requestUri` (`{label}` matches one path segment). */
const routes: Route[] = Object.values(model.operations).map((op) => {
  const [path] = op.http.requestUri.split('?');
  const labels: string[] = [];
  const source = path.split('/').map((segment) => {
    const m = /^\{([^}+]+)(\+?)\}$/.exec(segment);
    if (!m) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    labels.push(m[1]);
    return m[2] ? '(.+)' : '([^/]+)';
  }).join('/');
  return { operation: op, method: op.http.method, regex: new RegExp(`^${source}$`), labels };
});

export interface RouteMatch {
  readonly operation: Operation;
  /** Decoded URI label values. */
  readonly labels: Record<string, string>;
}

/** Finds the operation for a request, or undefined when no operation of the model matches. */
export function route(method: string, rawPath: string): RouteMatch | undefined {
  for (const r of routes) {
    if (r.method !== method) continue;
    const m = r.regex.exec(rawPath);
    if (!m) continue;
    const labels: Record<string, string> = {};
    r.labels.forEach((label, i) => { labels[label] = decodeURIComponent(m[i + 1]); });
    return { operation: r.operation, labels };
  }
  return undefined;
}
