/**
 * The contract between the constructs (which write custom-resource properties at synth time)
 * and the handler (which reads them at deploy time). Both sides import this module, and esbuild
 * bundles it into the handler, so names, patterns and limits cannot drift apart.
 *
 * Internal: not exported from the package's index.
 */
import type { LaunchSettingsProperty } from './launch-settings';

/** CloudFormation resource types served by the per-stack handler. */
export const ResourceTypes = {
  EXTENDED_SOURCE_SERVER: 'Custom::DrsExtendedSourceServer',
  STAGING_ACCOUNT_EXTENSION: 'Custom::DrsStagingAccountExtension',
  SERVICE_INITIALIZATION: 'Custom::DrsServiceInitialization',
} as const;

/**
 * Tags that record which stack and which logical resource own a server. The handler only ever
 * disconnects, deletes or re-tags servers carrying both with this resource's values.
 */
export const OwnerTags = {
  /** Value: the CloudFormation stack id (an ARN, unique across stack re-creations). */
  STACK_ID: 'cdk-drs-multi-account:stack-id',
  /** Value: the logical id of the custom resource within that stack. */
  LOGICAL_ID: 'cdk-drs-multi-account:logical-id',
  /**
   * Value: the logical id of the resource of the same stack that held the server before a
   * handover (a rename or move within the stack) that is not confirmed yet. Present only
   * while the update that made the handover is in progress (docs/ownership.md).
   */
  PREVIOUS_LOGICAL_ID: 'cdk-drs-multi-account:previous-logical-id',
} as const;

/** The two tags every owned server carries. */
export const OWNER_TAG_KEYS: readonly string[] = [OwnerTags.STACK_ID, OwnerTags.LOGICAL_ID];

/** Every tag key the library writes: user tags may not use them, runbook grants may not touch them. */
export const RESERVED_TAG_KEYS: readonly string[] = [...OWNER_TAG_KEYS, OwnerTags.PREVIOUS_LOGICAL_ID];

/**
 * Metadata key of this library's server-owning custom resources (`Custom::DrsExtendedSourceServer`,
 * `Custom::DrsStagingAccountExtension`) that holds their declared user tags (an
 * object; CloudFormation resolves it, DescribeStackResource returns it). A rollback that hands a
 * server back to that resource (docs/ownership.md) reads them there, so the server carries that
 * resource's tags again, not those of the resource that had taken it over.
 */
export const DECLARED_TAGS_METADATA_KEY = 'cdk-drs-multi-account:declared-tags';

/** Properties of `Custom::DrsExtendedSourceServer` as CloudFormation passes them (all strings). */
export interface ExtendedSourceServerResourceProperties {
  readonly StagingSourceServerArn: string;
  /** User tags (owner tags are added by the handler). */
  readonly Tags?: Record<string, string>;
  /** Launch settings to apply to the server (absent: left as they are). */
  readonly LaunchSettings?: LaunchSettingsProperty;
}

/** Attributes returned in the custom resource's `Data` (read with `getAtt`). */
export const ExtendedSourceServerAttributes = {
  SOURCE_SERVER_ID: 'SourceServerId',
  SOURCE_SERVER_ARN: 'SourceServerArn',
  STAGING_ACCOUNT_ID: 'StagingAccountId',
  STAGING_SOURCE_SERVER_ARN: 'StagingSourceServerArn',
} as const;

/** Attributes returned in the `Data` of `Custom::DrsServiceInitialization`. */
export const ServiceInitializationAttributes = {
  INITIALIZED: 'Initialized',
} as const;

/** Input limits, from the DRS API model (drs-service-2.json) and the DRS user guide. */
export const Limits = {
  MAX_TAGS_PER_RESOURCE: 50,
  MAX_TAG_KEY_LENGTH: 256,
  MAX_TAG_VALUE_LENGTH: 256,
  RESERVED_TAG_PREFIX: 'aws:',
  MAX_TRUSTED_ACCOUNTS: 100,
  MIN_ARN_LENGTH: 20,
  MAX_ARN_LENGTH: 2048,
  /**
   * Page size for DescribeSourceServers (the model sets no maximum). Large pages keep the
   * look-up before each create at one call for up to this many extended servers per staging
   * account, instead of one call per 100.
   */
  DESCRIBE_PAGE_SIZE: 1000,
  /** CloudFormation rejects custom-resource responses above 4096 bytes. */
  MAX_RESPONSE_BYTES: 4096,
} as const;

/**
 * Patterns from the model, anchored (the model's own patterns are unanchored Smithy patterns;
 * the values a user writes must match as a whole). The source server ARN is narrower than the
 * model's `arn:(?:[0-9a-zA-Z_-]+:){3}([0-9]{12,}):source-server/...`, which lets any service and
 * account ids of 13 or more digits through: the service must be `drs` and the account 12 digits.
 * Groups: partition, Region, account, server id.
 */
export const Patterns = {
  STAGING_SOURCE_SERVER_ARN: /^arn:([0-9a-zA-Z_-]+):drs:([0-9a-zA-Z_-]+):([0-9]{12}):source-server\/(s-[0-9a-zA-Z]{17})$/,
  SOURCE_SERVER_ID: /^s-[0-9a-zA-Z]{17}$/,
  ACCOUNT_ID: /^[0-9]{12}$/,
} as const;

/** Parts of a source server ARN: arn:partition:drs:region:account:source-server/s-... */
export interface SourceServerArnParts {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly sourceServerId: string;
}

/** Splits a source server ARN, or returns undefined if it does not match the model's pattern. */
export function parseSourceServerArn(arn: string): SourceServerArnParts | undefined {
  if (arn.length < Limits.MIN_ARN_LENGTH || arn.length > Limits.MAX_ARN_LENGTH) return undefined;
  const m = Patterns.STAGING_SOURCE_SERVER_ARN.exec(arn);
  if (!m) return undefined;
  return { partition: m[1], region: m[2], account: m[3], sourceServerId: m[4] };
}

/**
 * Checks a staging source server ARN; returns problems (empty when valid). `field` names the
 * property in the message so the user knows what to fix.
 */
export function validateStagingSourceServerArn(field: string, arn: string): string[] {
  if (parseSourceServerArn(arn) === undefined) {
    return [
      `${field} must be a DRS source server ARN like arn:aws:drs:us-east-1:111122223333:source-server/s-1234567890abcdef0 ` +
      `(${Limits.MIN_ARN_LENGTH}-${Limits.MAX_ARN_LENGTH} characters), got '${arn}'`,
    ];
  }
  return [];
}

/** Checks an AWS account id; returns problems (empty when valid). */
export function validateAccountId(field: string, account: string): string[] {
  return Patterns.ACCOUNT_ID.test(account) ? [] : [`${field} must be a 12-digit AWS account id, got '${account}'`];
}

/**
 * Checks user tags: lengths, reserved prefixes, the owner keys (set by the library) and the
 * count including the owner tags the handler adds. Returns problems (empty when valid).
 */
export function validateUserTags(field: string, tags: Record<string, string>): string[] {
  const problems: string[] = [];
  const keys = Object.keys(tags);
  // The owner tags, plus the previous-logical-id tag a handover within the stack (a rename, a
  // move, a switch between per-server and whole-account) adds while it is unconfirmed.
  const max = Limits.MAX_TAGS_PER_RESOURCE - RESERVED_TAG_KEYS.length;
  if (keys.length > max) {
    problems.push(`${field} has ${keys.length} tags; at most ${max} are allowed (DRS allows ${Limits.MAX_TAGS_PER_RESOURCE} per server; the library ` +
      `adds ${OWNER_TAG_KEYS.length} owner tags, and a third while a rename or move hands the server over); remove ${keys.length - max}`);
  }
  for (const key of keys) {
    const value = tags[key];
    if (key.length === 0 || key.length > Limits.MAX_TAG_KEY_LENGTH) {
      problems.push(`${field} key '${key}' must be 1-${Limits.MAX_TAG_KEY_LENGTH} characters long`);
    }
    if (key.toLowerCase().startsWith(Limits.RESERVED_TAG_PREFIX)) {
      problems.push(`${field} key '${key}' uses the reserved prefix '${Limits.RESERVED_TAG_PREFIX}'; choose another key`);
    }
    if (RESERVED_TAG_KEYS.includes(key)) {
      problems.push(`${field} key '${key}' is set by cdk-drs-multi-account to record ownership; remove it`);
    }
    if (typeof value !== 'string' || value.length > Limits.MAX_TAG_VALUE_LENGTH) {
      problems.push(`${field} value for '${key}' must be a string of at most ${Limits.MAX_TAG_VALUE_LENGTH} characters`);
    }
  }
  return problems;
}

/**
 * The staging-account side of the trust (plain IAM, no DRS API): DRS in the target account
 * assumes this role in the staging account. The handler names it in error messages.
 */
export const StagingTrust = {
  ROLE_NAME_PREFIX: 'DRSStagingAccountRole_',
  ROLE_PATH: '/service-role/',
  /** AWS managed policy, relative to `arn:<partition>:iam::aws:policy/`. */
  MANAGED_POLICY_NAME: 'service-role/AWSElasticDisasterRecoveryStagingAccountPolicy_v2',
  SERVICE_PRINCIPAL: 'drs.amazonaws.com',
} as const;

/** Name of the role in the staging account that trusts `targetAccount`. */
export function stagingAccountRoleName(targetAccount: string): string {
  return `${StagingTrust.ROLE_NAME_PREFIX}${targetAccount}`;
}

export * from './staging-account-extension';
export * from './metrics';
export * from './coverage';
export * from './launch-settings';
