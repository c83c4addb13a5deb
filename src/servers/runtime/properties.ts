import {
  ExtendedSourceServerResourceProperties,
  parseSourceServerArn,
  SourceServerArnParts,
  validateStagingSourceServerArn,
  validateUserTags,
} from '../../contract';

/** Bad ResourceProperties: the message names the property. */
export class PropertyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PropertyError';
  }
}

export interface ExtendedSourceServerInput {
  readonly stagingSourceServerArn: string;
  readonly staging: SourceServerArnParts;
  /** User tags only; owner tags are added by the lifecycle. */
  readonly tags: Record<string, string>;
}

/**
 * Every property the contract defines, as a record so that a new contract field fails to compile
 * until the parser knows it.
 */
const KNOWN: Record<keyof ExtendedSourceServerResourceProperties, true> = { StagingSourceServerArn: true, Tags: true };
// CloudFormation adds ServiceToken to every custom resource's properties.
const ALWAYS_PRESENT = ['ServiceToken'];

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Collects the problems of `raw`'s property names. Unknown properties are rejected: the
 * constructs and the handler ship together, so an unknown name means they drifted apart.
 */
export function checkPropertyNames(raw: Record<string, unknown>, knownFields: Record<string, true>, problems: string[]): void {
  const known = Object.keys(knownFields);
  for (const key of Object.keys(raw)) {
    if (!known.includes(key) && !ALWAYS_PRESENT.includes(key)) {
      problems.push(`unknown property '${key}' (expected ${known.join(', ')})`);
    }
  }
}

/** A required string property, checked with `validate`; undefined (and a problem) when bad. */
export function requiredString(
  raw: Record<string, unknown>, name: string, validate: (field: string, value: string) => string[], problems: string[],
): string | undefined {
  const value = raw[name];
  if (value === undefined || value === '') {
    problems.push(`${name} is required`);
  } else if (typeof value !== 'string') {
    problems.push(`${name} must be a string, got ${JSON.stringify(value)}`);
  } else {
    const found = validate(name, value);
    problems.push(...found);
    return found.length === 0 ? value : undefined;
  }
  return undefined;
}

/** The optional `Tags` property: user tags, checked with the contract's rules. */
export function userTags(raw: Record<string, unknown>, problems: string[]): Record<string, string> {
  if (raw.Tags === undefined) return {};
  if (!isRecord(raw.Tags)) {
    problems.push(`Tags must be a map of key to value, got ${JSON.stringify(raw.Tags)}`);
    return {};
  }
  const tags = raw.Tags as Record<string, string>;
  problems.push(...validateUserTags('Tags', tags));
  return { ...tags };
}

/**
 * Parses `Custom::DrsExtendedSourceServer` properties (all strings, as CloudFormation passes
 * them) with the contract's validators.
 */
export function parseExtendedSourceServerProperties(raw: unknown): ExtendedSourceServerInput {
  if (!isRecord(raw)) throw new PropertyError('ResourceProperties must be an object');
  const problems: string[] = [];
  checkPropertyNames(raw, KNOWN, problems);
  const arn = requiredString(raw, 'StagingSourceServerArn', validateStagingSourceServerArn, problems);
  const tags = userTags(raw, problems);
  if (problems.length > 0 || arn === undefined) throw new PropertyError(`invalid properties: ${problems.join('; ')}`);
  return { stagingSourceServerArn: arn, staging: parseSourceServerArn(arn)!, tags };
}
