/**
 * The coverage report's contract: the environment its Lambda reads (the `DrsCoverageReport`
 * construct writes it) and the `detail` of the EventBridge event it puts on each run.
 */

/** Environment variables of the coverage report function. */
export const CoverageEnv = {
  /** Whole days; a server whose last launch is older (or that never launched) is "not drilled in time". */
  MAX_DAYS_SINCE_DRILL: 'COVERAGE_MAX_DAYS_SINCE_DRILL',
  /** Name or ARN of the event bus for the report event; unset: no event. */
  EVENT_BUS: 'COVERAGE_EVENT_BUS',
  /** Comma-separated staging accounts to check besides those ListStagingAccounts returns. */
  EXTRA_STAGING_ACCOUNTS: 'COVERAGE_EXTRA_STAGING_ACCOUNTS',
} as const;

/** Most items of each list in the event per staging account; counts are always complete. */
export const COVERAGE_LIST_LIMIT = 50;

/** Extended servers one stack owns in one staging account. */
export interface StackCoverage {
  /** The `cdk-drs-multi-account:stack-id` tag: the stack's ARN. */
  readonly stackId: string;
  readonly servers: number;
  /** Distinct `cdk-drs-multi-account:logical-id` values (resources of the stack). */
  readonly resources: number;
}

export interface ServerIssue {
  readonly sourceServerId: string;
  readonly stagingSourceServerArn?: string;
  /** EXTENSION_ERROR: DRS's `stagingArea.errorMessage`. */
  readonly errorMessage?: string;
  /** Not drilled in time: when the last launch was started, if ever. */
  readonly lastLaunchDateTime?: string;
  /** Not drilled in time: the last launch's status, if any. */
  readonly lastLaunchStatus?: string;
}

export interface UnextendedServer {
  readonly arn: string;
  readonly hostname?: string;
}

/** Counts of one staging account (or of all, in `totals`). */
export interface CoverageCounts {
  readonly extendedServers: number;
  readonly managedServers: number;
  readonly unmanagedServers: number;
  readonly extensionErrors: number;
  readonly notDrilledInTime: number;
  readonly unextendedServers: number;
}

export interface StagingAccountCoverage extends CoverageCounts {
  readonly stagingAccountId: string;
  readonly stacks: StackCoverage[];
  /** Ids of extended servers without both owner tags. */
  readonly unmanaged: string[];
  readonly extensionErrorServers: ServerIssue[];
  readonly notDrilledInTimeServers: ServerIssue[];
  readonly unextended: UnextendedServer[];
  /** True when a list was cut at COVERAGE_LIST_LIMIT items. */
  readonly truncated: boolean;
  /**
   * Why part of this account could not be read (for example ListExtensibleSourceServers denied
   * because the staging account no longer trusts this one); the figures cover what was read.
   */
  readonly readError?: string;
}

/** The `detail` of the coverage report event. */
export interface CoverageReportDetail {
  readonly generatedAt: string;
  readonly region: string;
  readonly maxDaysSinceDrill: number;
  readonly stagingAccountCount: number;
  readonly totals: CoverageCounts;
  readonly stagingAccounts: StagingAccountCoverage[];
}
