/**
 * The library's CloudWatch metrics and EventBridge event, named once. Everything that writes a
 * figure (the coverage report's handler, the recovery drill's state machine) and everything
 * built on one (the `DrsMetrics` factory, and the alarms and dashboard widgets made from it)
 * imports these definitions, so one name serves the writer, the alarm, the widget and the docs.
 *
 * Internal: not exported from the package's index (the constructs expose the metrics as
 * `cloudwatch.Metric` objects instead).
 */

/** CloudWatch namespace of every metric the library writes. */
export const METRICS_NAMESPACE = 'CdkDrsMultiAccount';

/** Dimension names. */
export const MetricDimensions = {
  /** The drill's name (`RecoveryDrill`'s `drillName`). */
  DRILL_NAME: 'DrillName',
  /** The staging account a coverage figure is about. */
  STAGING_ACCOUNT_ID: 'StagingAccountId',
} as const;

/** CloudWatch units the library uses (a subset of CloudWatch's `StandardUnit`). */
export type MetricUnitName = 'Count' | 'Seconds' | 'None';

/** One metric: what writers publish and what the factory reads. */
export interface MetricDefinition {
  readonly name: string;
  readonly unit: MetricUnitName;
  /** The statistic that answers the metric's question (what alarms and widgets use). */
  readonly statistic: 'Sum' | 'Maximum' | 'Minimum' | 'Average';
  /**
   * Dimension names of the per-item figure. Coverage metrics are also published without
   * dimensions, as totals over every staging account (see `CoverageMetrics`).
   */
  readonly dimensions: readonly string[];
  /** One sentence for widgets' and alarms' descriptions and the docs. */
  readonly description: string;
}

/** Written once per drill run, dimension `DrillName`. */
export const DrillMetrics = {
  SERVERS_DRILLED: {
    name: 'ServersDrilled',
    unit: 'Count',
    statistic: 'Sum',
    dimensions: [MetricDimensions.DRILL_NAME],
    description: 'Source servers the drill launched successfully',
  },
  SERVERS_FAILED: {
    name: 'ServersFailed',
    unit: 'Count',
    statistic: 'Sum',
    dimensions: [MetricDimensions.DRILL_NAME],
    description: 'Source servers the drill failed to launch',
  },
  MAX_RECOVERY_TIME_SECONDS: {
    name: 'MaxRecoveryTimeSeconds',
    unit: 'Seconds',
    statistic: 'Maximum',
    dimensions: [MetricDimensions.DRILL_NAME],
    description: 'Slowest server: seconds from StartRecovery to its recovery instance launching',
  },
  MEDIAN_RECOVERY_TIME_SECONDS: {
    name: 'MedianRecoveryTimeSeconds',
    unit: 'Seconds',
    statistic: 'Maximum',
    dimensions: [MetricDimensions.DRILL_NAME],
    description: 'Median server: seconds from StartRecovery to its recovery instance launching',
  },
  DRILL_SUCCEEDED: {
    name: 'DrillSucceeded',
    unit: 'Count',
    statistic: 'Minimum',
    dimensions: [MetricDimensions.DRILL_NAME],
    description: '1 when every server launched (and was cleaned up), 0 otherwise',
  },
} as const satisfies Record<string, MetricDefinition>;

/**
 * Written by each run of a drill's sweeper (the clean-up after an execution that ended without
 * its own clean-up), dimension `DrillName`. Any value above 0 means it had to act.
 */
export const DrillSweepMetrics = {
  INSTANCES_TERMINATED: {
    name: 'SweptDrillInstances',
    unit: 'Count',
    statistic: 'Sum',
    dimensions: [MetricDimensions.DRILL_NAME],
    description: 'Drill instances left by an ended execution that the sweeper terminated',
  },
  LAUNCH_ACTIONS_REMOVED: {
    name: 'SweptLaunchActions',
    unit: 'Count',
    statistic: 'Sum',
    dimensions: [MetricDimensions.DRILL_NAME],
    description: "The drill's launch actions left on servers that the sweeper removed",
  },
  FAILURES: {
    name: 'SweepFailures',
    unit: 'Count',
    statistic: 'Sum',
    dimensions: [MetricDimensions.DRILL_NAME],
    description: 'Drill instances or launch actions the sweeper found and could not remove',
  },
} as const satisfies Record<string, MetricDefinition>;

/**
 * Written by each coverage report run: per staging account (dimension `StagingAccountId`) and,
 * with the same names and no dimension, as totals over all staging accounts.
 */
export const CoverageMetrics = {
  EXTENDED_SERVERS: {
    name: 'ExtendedServers',
    unit: 'Count',
    statistic: 'Maximum',
    dimensions: [MetricDimensions.STAGING_ACCOUNT_ID],
    description: 'Extended source servers in the target account',
  },
  MANAGED_SERVERS: {
    name: 'ManagedServers',
    unit: 'Count',
    statistic: 'Maximum',
    dimensions: [MetricDimensions.STAGING_ACCOUNT_ID],
    description: 'Extended source servers that a CloudFormation stack owns (owner tags)',
  },
  UNMANAGED_SERVERS: {
    name: 'UnmanagedServers',
    unit: 'Count',
    statistic: 'Maximum',
    dimensions: [MetricDimensions.STAGING_ACCOUNT_ID],
    description: 'Extended source servers that no stack manages (no owner tags)',
  },
  EXTENSION_ERRORS: {
    name: 'ExtensionErrors',
    unit: 'Count',
    statistic: 'Maximum',
    dimensions: [MetricDimensions.STAGING_ACCOUNT_ID],
    description: 'Extended source servers in EXTENSION_ERROR',
  },
  NOT_DRILLED_IN_TIME: {
    name: 'ServersNotDrilledInTime',
    unit: 'Count',
    statistic: 'Maximum',
    dimensions: [MetricDimensions.STAGING_ACCOUNT_ID],
    description: 'Extended source servers whose last launch is older than maxDaysSinceDrill (or that never launched)',
  },
  UNEXTENDED_SERVERS: {
    name: 'UnextendedServers',
    unit: 'Count',
    statistic: 'Maximum',
    dimensions: [MetricDimensions.STAGING_ACCOUNT_ID],
    description: 'Staging servers that could be extended but are not (ListExtensibleSourceServers)',
  },
  STAGING_ACCOUNTS: {
    name: 'StagingAccounts',
    unit: 'Count',
    statistic: 'Maximum',
    dimensions: [],
    description: 'Staging accounts checked (ListStagingAccounts plus any configured extra ones); total only',
  },
} as const satisfies Record<string, MetricDefinition>;

/** The coverage report's EventBridge event (one per run, on the configured bus). */
export const CoverageEvent = {
  SOURCE: 'cdk-drs-multi-account',
  DETAIL_TYPE: 'DRS Coverage Report',
} as const;

/** The recovery drill's EventBridge event, for `RecoveryDrill` (one per run). */
export const DrillEvent = {
  SOURCE: 'cdk-drs-multi-account',
  DETAIL_TYPE: 'DRS Recovery Drill Result',
} as const;
