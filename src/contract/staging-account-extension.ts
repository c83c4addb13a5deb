/**
 * The contract of `Custom::DrsStagingAccountExtension`: its properties, its attributes, the
 * server selector's wire format and the scheduled-reconciliation payload. Shared by the construct
 * and the handler like the rest of the contract.
 */
import type { LaunchSettingsProperty } from './launch-settings';

/**
 * A server selector as written into the custom resource's properties. `Type` says which members
 * are used: `all` (none), `hostname` (`Patterns`: globs with `*` and `?`, case-insensitive),
 * `tag` (`Key`, and `Values` or, without them, any value), `allOf` / `anyOf` (`Selectors`),
 * `not` (one entry in `Selectors`).
 */
export interface ServerSelectorProperty {
  readonly Type: string;
  readonly Patterns?: string[];
  readonly Key?: string;
  readonly Values?: string[];
  readonly Selectors?: ServerSelectorProperty[];
}

export const SelectorTypes = {
  ALL: 'all',
  HOSTNAME: 'hostname',
  TAG: 'tag',
  ALL_OF: 'allOf',
  ANY_OF: 'anyOf',
  NOT: 'not',
} as const;

export const SelectorLimits = {
  /** Patterns of one hostname selector, values of one tag selector, entries of one allOf/anyOf. */
  MAX_ENTRIES: 50,
  /** DRS hostnames are BoundedString (at most 256 characters). */
  MAX_PATTERN_LENGTH: 256,
  /** Nesting of allOf / anyOf / not. */
  MAX_DEPTH: 5,
} as const;

/** Properties of `Custom::DrsStagingAccountExtension` as CloudFormation passes them (all strings). */
export interface StagingAccountExtensionResourceProperties {
  readonly StagingAccountId: string;
  /** Absent: every extensible server. */
  readonly Selector?: ServerSelectorProperty;
  /** User tags for every extended server (owner tags are added by the handler). */
  readonly Tags?: Record<string, string>;
  /** 'true': owned servers that no longer match are removed. */
  readonly PruneNotMatching?: string;
  /** 'true': servers in EXTENSION_ERROR or that could not be extended fail the request. */
  readonly FailOnExtensionError?: string;
  /** Any value; changing it makes CloudFormation send an Update, i.e. a reconciliation. */
  readonly ReconcileToken?: string;
  /**
   * The staging servers of this staging account that `ExtendedSourceServer`s of the same stack
   * declare, with their tags (sorted by ARN; absent when none). The per-server declaration wins:
   * the extension hands such a server to the per-server resource that holds it, and takes back a
   * server it had lent once no per-server resource of the template declares it (docs/ownership.md).
   * Declaring or removing such a server therefore changes these properties, so CloudFormation sends
   * the extension an Update in the update and another in its rollback.
   */
  readonly PerServerDeclarations?: PerServerDeclarationProperty[];
  /** Launch settings applied to every server this resource owns (absent: left as they are). */
  readonly LaunchSettings?: LaunchSettingsProperty;
}

/** One entry of `PerServerDeclarations`. */
export interface PerServerDeclarationProperty {
  readonly StagingSourceServerArn: string;
  readonly Tags?: Record<string, string>;
}

/** Counts returned in the custom resource's `Data`. Never per-server lists (4 KB response limit). */
export const StagingAccountExtensionAttributes = {
  STAGING_ACCOUNT_ID: 'StagingAccountId',
  /** Servers this resource owns after the request. */
  SERVER_COUNT: 'ServerCount',
  /** Extended by this request. */
  EXTENDED_COUNT: 'ExtendedCount',
  /** Owned before this request and kept. */
  ALREADY_OWNED_COUNT: 'AlreadyOwnedCount',
  /** Removed by this request because they no longer matched (prune opted in). */
  PRUNED_COUNT: 'PrunedCount',
  /** Owned servers that no longer match and were kept (prune not opted in). */
  NOT_MATCHING_COUNT: 'NotMatchingCount',
  /** Owned servers in EXTENSION_ERROR. */
  EXTENSION_ERROR_COUNT: 'ExtensionErrorCount',
  /** Servers that could not be extended or pruned in this request. */
  FAILED_COUNT: 'FailedCount',
  /** Extensible staging servers the selector does not match. */
  SKIPPED_NOT_MATCHING_COUNT: 'SkippedNotMatchingCount',
  /** Staging servers already extended into this account by something else (not touched). */
  OWNED_ELSEWHERE_COUNT: 'OwnedElsewhereCount',
  /** Owned servers not yet EXTENDED when the request ended. */
  PENDING_COUNT: 'PendingCount',
} as const;

/**
 * The `RequestType` of a reconciliation that no CloudFormation request asked for (the optional
 * EventBridge schedule). Such an event carries only `RequestType`, `ResourceType`, `StackId` and
 * `LogicalResourceId` (an EventBridge target Input is limited to 8,192 characters, too little for
 * many tags or a large selector): the handler reads the resource's properties from its
 * CloudFormation Metadata (key `RECONCILE_METADATA_KEY`, resolved by CloudFormation) with
 * DescribeStackResource at each run, and its status and physical id with them. There is no
 * `ResponseURL`: nobody is answered, the outcome is logged.
 */
export const RECONCILE_REQUEST_TYPE = 'Reconcile';

/** Metadata key of the custom resource that holds its properties for scheduled runs. */
export const RECONCILE_METADATA_KEY = 'cdk-drs-multi-account:reconcile';

/** The physical id: one resource per staging account, stable across updates. */
export const STAGING_ACCOUNT_EXTENSION_ID_PREFIX = 'drs-staging-account-extension:';

export function stagingAccountExtensionId(stagingAccountId: string): string {
  return `${STAGING_ACCOUNT_EXTENSION_ID_PREFIX}${stagingAccountId}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringList(field: string, value: unknown, problems: string[], opts: { min: number; maxLength: number }): string[] {
  if (!Array.isArray(value)) {
    problems.push(`${field} must be a list of strings`);
    return [];
  }
  if (value.length < opts.min || value.length > SelectorLimits.MAX_ENTRIES) {
    problems.push(`${field} must have ${opts.min}-${SelectorLimits.MAX_ENTRIES} entries, got ${value.length}`);
  }
  value.forEach((v, i) => {
    if (typeof v !== 'string' || v.length === 0 || v.length > opts.maxLength) {
      problems.push(`${field}[${i}] must be a string of 1-${opts.maxLength} characters, got ${JSON.stringify(v)}`);
    }
  });
  return value as string[];
}

/**
 * Checks a selector in its wire format; returns problems (empty when valid). Used by the
 * construct at synth (on what it rendered) and by the handler on what CloudFormation passed.
 */
export function validateServerSelector(field: string, selector: unknown, depth = 1): string[] {
  const problems: string[] = [];
  if (!isRecord(selector)) return [`${field} must be an object with a Type, got ${JSON.stringify(selector)}`];
  if (depth > SelectorLimits.MAX_DEPTH) return [`${field} nests deeper than ${SelectorLimits.MAX_DEPTH} levels`];
  const allowed: Record<string, string[]> = {
    [SelectorTypes.ALL]: [],
    [SelectorTypes.HOSTNAME]: ['Patterns'],
    [SelectorTypes.TAG]: ['Key', 'Values'],
    [SelectorTypes.ALL_OF]: ['Selectors'],
    [SelectorTypes.ANY_OF]: ['Selectors'],
    [SelectorTypes.NOT]: ['Selectors'],
  };
  const type = selector.Type;
  if (typeof type !== 'string' || !(type in allowed)) {
    return [`${field}.Type must be one of ${Object.keys(allowed).join(', ')}, got ${JSON.stringify(type)}`];
  }
  for (const key of Object.keys(selector)) {
    if (key !== 'Type' && !allowed[type].includes(key)) problems.push(`${field} of Type ${type} has unknown member '${key}'`);
  }
  switch (type) {
    case SelectorTypes.HOSTNAME:
      stringList(`${field}.Patterns`, selector.Patterns, problems, { min: 1, maxLength: SelectorLimits.MAX_PATTERN_LENGTH });
      break;
    case SelectorTypes.TAG:
      if (typeof selector.Key !== 'string' || selector.Key.length === 0 || selector.Key.length > 256) {
        problems.push(`${field}.Key must be a tag key of 1-256 characters, got ${JSON.stringify(selector.Key)}`);
      }
      if (selector.Values !== undefined) stringList(`${field}.Values`, selector.Values, problems, { min: 1, maxLength: 256 });
      break;
    case SelectorTypes.ALL_OF:
    case SelectorTypes.ANY_OF:
    case SelectorTypes.NOT: {
      const min = 1;
      const list = selector.Selectors;
      if (!Array.isArray(list)) {
        problems.push(`${field}.Selectors must be a list of selectors`);
        break;
      }
      if (type === SelectorTypes.NOT ? list.length !== 1 : list.length < min || list.length > SelectorLimits.MAX_ENTRIES) {
        problems.push(type === SelectorTypes.NOT
          ? `${field}.Selectors of Type not must hold exactly one selector, got ${list.length}`
          : `${field}.Selectors must have ${min}-${SelectorLimits.MAX_ENTRIES} entries, got ${list.length}`);
      }
      list.forEach((s, i) => problems.push(...validateServerSelector(`${field}.Selectors[${i}]`, s, depth + 1)));
      break;
    }
  }
  return problems;
}
