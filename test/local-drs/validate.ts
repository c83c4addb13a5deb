/**
 * A generic validator of values against the model's shapes: required members, types, string
 * lengths, patterns, enums, list and map sizes, integer ranges. The same code checks requests
 * (the server's ValidationException) and, in strict mode, responses (the tests' shape checks).
 */
import { shape as shapeOf, Shape } from './model';

export interface FieldProblem {
  /** Path of the member: `filters.sourceServerIDs[2]`, `tags[key]` (map value), `tags` (map key). */
  readonly name: string;
  readonly message: string;
}

export interface ValidateOptions {
  /**
   * Strict mode, for responses: members the shape does not declare and `null` values are
   * problems too. Requests are lenient about unknown members, as AWS services are.
   */
  readonly strict?: boolean;
}

// Smithy patterns are unanchored: compiled once per pattern, tested with .test().
const patternCache = new Map<string, RegExp>();
function compiled(pattern: string): RegExp {
  let re = patternCache.get(pattern);
  if (!re) {
    re = new RegExp(pattern, 'u');
    patternCache.set(pattern, re);
  }
  return re;
}

/** Validates `value` against the shape named `shapeName`; returns every problem found. */
export function validateShape(shapeName: string, value: unknown, path: string, options: ValidateOptions = {}): FieldProblem[] {
  const problems: FieldProblem[] = [];
  check(shapeName, value, path, options, problems);
  return problems;
}

function check(shapeName: string, value: unknown, path: string, options: ValidateOptions, problems: FieldProblem[]): void {
  const s = shapeOf(shapeName);
  const fail = (message: string) => problems.push({ name: path, message });
  if (value === null) {
    if (options.strict) fail('Member must not be null');
    return;
  }
  switch (s.type) {
    case 'structure':
      if (!isPlainObject(value)) return void fail('Member must be an object');
      return checkStructure(s, value, path, options, problems);
    case 'string':
      if (typeof value !== 'string') return void fail('Member must be a string');
      return checkString(s, value, fail);
    case 'integer':
    case 'long':
      if (typeof value !== 'number' || !Number.isInteger(value)) return void fail('Member must be an integer');
      if (s.min !== undefined && value < s.min) fail(`Member must have value greater than or equal to ${s.min}`);
      if (s.max !== undefined && value > s.max) fail(`Member must have value less than or equal to ${s.max}`);
      return;
    case 'double':
    case 'float':
      if (typeof value !== 'number') fail('Member must be a number');
      return;
    case 'boolean':
      if (typeof value !== 'boolean') fail('Member must be a boolean');
      return;
    case 'timestamp':
      if (typeof value !== 'number' && typeof value !== 'string') fail('Member must be a timestamp');
      return;
    case 'list':
      if (!Array.isArray(value)) return void fail('Member must be a list');
      checkSize(s, value.length, fail);
      value.forEach((item, i) => check(s.member!.shape, item, `${path}[${i}]`, options, problems));
      return;
    case 'map': {
      if (!isPlainObject(value)) return void fail('Member must be a map');
      const entries = Object.entries(value);
      checkSize(s, entries.length, fail);
      for (const [k, v] of entries) {
        check(s.key!.shape, k, path, options, problems);
        check(s.value!.shape, v, `${path}[${k}]`, options, problems);
      }
      return;
    }
    default:
      return;
  }
}

function checkStructure(s: Shape, value: Record<string, unknown>, path: string, options: ValidateOptions, problems: FieldProblem[]): void {
  const members = s.members ?? {};
  const join = (name: string) => (path ? `${path}.${name}` : name);
  for (const name of s.required ?? []) {
    if (value[name] === undefined || value[name] === null) {
      problems.push({ name: join(name), message: 'Member must not be null' });
    }
  }
  for (const [name, v] of Object.entries(value)) {
    const ref = members[name];
    if (!ref) {
      if (options.strict) problems.push({ name: join(name), message: 'Member is not declared by the shape' });
      continue;
    }
    if (v === undefined || (v === null && !options.strict)) continue;
    check(ref.shape, v, join(name), options, problems);
  }
}

function checkString(s: Shape, value: string, fail: (message: string) => void): void {
  // Smithy counts Unicode scalar values, not UTF-16 code units.
  const length = [...value].length;
  if (s.min !== undefined && length < s.min) fail(`Member must have length greater than or equal to ${s.min}`);
  if (s.max !== undefined && length > s.max) fail(`Member must have length less than or equal to ${s.max}`);
  if (s.pattern !== undefined && !compiled(s.pattern).test(value)) fail(`Member must satisfy regular expression pattern: ${s.pattern}`);
  if (s.enum !== undefined && !s.enum.includes(value)) fail(`Member must satisfy enum value set: [${s.enum.join(', ')}]`);
}

function checkSize(s: Shape, size: number, fail: (message: string) => void): void {
  if (s.min !== undefined && size < s.min) fail(`Member must have at least ${s.min} elements`);
  if (s.max !== undefined && size > s.max) fail(`Member must have at most ${s.max} elements`);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
