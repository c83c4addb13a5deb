import {
  ServerSelectorProperty,
  StagingAccountExtensionResourceProperties,
  validateAccountId,
  validateServerSelector,
  validateUserTags,
} from '../contract';
import { PropertyError } from './properties';

export interface StagingAccountExtensionInput {
  readonly stagingAccountId: string;
  /** Undefined: every extensible server. */
  readonly selector?: ServerSelectorProperty;
  /** User tags only; owner tags are added by the lifecycle. */
  readonly tags: Record<string, string>;
  readonly pruneNotMatching: boolean;
  readonly failOnExtensionError: boolean;
}

type Known = keyof StagingAccountExtensionResourceProperties;
const KNOWN: readonly Known[] = ['StagingAccountId', 'Selector', 'Tags', 'PruneNotMatching', 'FailOnExtensionError', 'ReconcileToken'];
// CloudFormation adds ServiceToken to every custom resource's properties.
const ALWAYS_PRESENT = ['ServiceToken'];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** CloudFormation passes booleans as strings; the schedule's payload may keep them as booleans. */
function flag(name: string, value: unknown, problems: string[]): boolean {
  if (value === undefined || value === false || value === 'false') return false;
  if (value === true || value === 'true') return true;
  problems.push(`${name} must be 'true' or 'false', got ${JSON.stringify(value)}`);
  return false;
}

/**
 * Parses `Custom::DrsStagingAccountExtension` properties with the contract's validators.
 * Unknown properties are rejected: the construct and the handler ship together.
 */
export function parseStagingAccountExtensionProperties(raw: unknown): StagingAccountExtensionInput {
  if (!isRecord(raw)) throw new PropertyError('ResourceProperties must be an object');
  const problems: string[] = [];
  for (const key of Object.keys(raw)) {
    if (!(KNOWN as readonly string[]).includes(key) && !ALWAYS_PRESENT.includes(key)) {
      problems.push(`unknown property '${key}' (expected ${KNOWN.join(', ')})`);
    }
  }
  const account = raw.StagingAccountId;
  if (account === undefined || account === '') problems.push('StagingAccountId is required');
  else if (typeof account !== 'string') problems.push(`StagingAccountId must be a string, got ${JSON.stringify(account)}`);
  else problems.push(...validateAccountId('StagingAccountId', account));

  if (raw.Selector !== undefined) problems.push(...validateServerSelector('Selector', raw.Selector));

  let tags: Record<string, string> = {};
  if (raw.Tags !== undefined) {
    if (!isRecord(raw.Tags)) {
      problems.push(`Tags must be a map of key to value, got ${JSON.stringify(raw.Tags)}`);
    } else {
      tags = raw.Tags as Record<string, string>;
      problems.push(...validateUserTags('Tags', tags));
    }
  }
  const pruneNotMatching = flag('PruneNotMatching', raw.PruneNotMatching, problems);
  const failOnExtensionError = flag('FailOnExtensionError', raw.FailOnExtensionError, problems);
  if (raw.ReconcileToken !== undefined && typeof raw.ReconcileToken !== 'string') {
    problems.push(`ReconcileToken must be a string, got ${JSON.stringify(raw.ReconcileToken)}`);
  }

  if (problems.length > 0) throw new PropertyError(`invalid properties: ${problems.join('; ')}`);
  return {
    stagingAccountId: account as string,
    ...(raw.Selector !== undefined ? { selector: raw.Selector as ServerSelectorProperty } : {}),
    tags: { ...tags },
    pruneNotMatching,
    failOnExtensionError,
  };
}
