import {
  ExtendedSourceServerResourceProperties,
  parseSourceServerArn,
  SourceServerArnParts,
  validateStagingSourceServerArn,
  validateUserTags,
} from '../contract';

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

type Known = keyof ExtendedSourceServerResourceProperties;
const KNOWN: readonly Known[] = ['StagingSourceServerArn', 'Tags'];
// CloudFormation adds ServiceToken to every custom resource's properties.
const ALWAYS_PRESENT = ['ServiceToken'];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Parses `Custom::DrsExtendedSourceServer` properties (all strings, as CloudFormation passes
 * them) with the contract's validators. Unknown properties are rejected: the constructs and the
 * handler ship together, so an unknown name means they drifted apart.
 */
export function parseExtendedSourceServerProperties(raw: unknown): ExtendedSourceServerInput {
  if (!isRecord(raw)) throw new PropertyError('ResourceProperties must be an object');
  const problems: string[] = [];
  for (const key of Object.keys(raw)) {
    if (!(KNOWN as readonly string[]).includes(key) && !ALWAYS_PRESENT.includes(key)) {
      problems.push(`unknown property '${key}' (expected ${KNOWN.join(', ')})`);
    }
  }

  const arn = raw.StagingSourceServerArn;
  if (arn === undefined || arn === '') {
    problems.push('StagingSourceServerArn is required');
  } else if (typeof arn !== 'string') {
    problems.push(`StagingSourceServerArn must be a string, got ${JSON.stringify(arn)}`);
  } else {
    problems.push(...validateStagingSourceServerArn('StagingSourceServerArn', arn));
  }

  let tags: Record<string, string> = {};
  if (raw.Tags !== undefined) {
    if (!isRecord(raw.Tags)) {
      problems.push(`Tags must be a map of key to value, got ${JSON.stringify(raw.Tags)}`);
    } else {
      tags = raw.Tags as Record<string, string>;
      problems.push(...validateUserTags('Tags', tags));
    }
  }

  if (problems.length > 0) throw new PropertyError(`invalid properties: ${problems.join('; ')}`);
  const staging = parseSourceServerArn(arn as string)!;
  return { stagingSourceServerArn: arn as string, staging, tags: { ...tags } };
}
