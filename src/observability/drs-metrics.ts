import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { CoverageMetrics, DrillMetrics, MetricDefinition, MetricDimensions, METRICS_NAMESPACE } from '../contract';

/** DRS's own namespace (the metrics DRS publishes for source servers). */
const DRS_NAMESPACE = 'AWS/DRS';
/** Dimension of DRS's per-server metrics. Not confirmed by DRS's documentation (see docs/monitoring). */
const DRS_SERVER_DIMENSION = 'SourceServerID';

/**
 * Options for a metric of one recovery drill.
 */
export interface DrillMetricOptions extends cloudwatch.MetricOptions {
  /** The drill's name (`RecoveryDrill`'s `drillName`): the `DrillName` dimension. */
  readonly drillName: string;
}

/**
 * Options for a coverage report metric.
 */
export interface CoverageMetricOptions extends cloudwatch.MetricOptions {
  /**
   * One staging account's figure (the `StagingAccountId` dimension).
   *
   * @default - the total over every staging account (the metric without dimensions)
   */
  readonly stagingAccountId?: string;
}

/**
 * Options for a DRS metric of one source server.
 */
export interface SourceServerMetricOptions extends cloudwatch.MetricOptions {
  /** The source server's id (`s-...`), e.g. `ExtendedSourceServer.sourceServerId`. */
  readonly sourceServerId: string;
}

/**
 * Metric factory for cdk-drs-multi-account: the figures `RecoveryDrill` and
 * `DrsCoverageReport` publish (namespace `CdkDrsMultiAccount`) and DRS's own per-server
 * replication metrics (namespace `AWS/DRS`). Each method returns a `cloudwatch.Metric` with the
 * name, dimensions, statistic and period that answer its question; alarms, dashboards and
 * `DrsDashboard` are built on these, so one definition serves them all. Options override the
 * defaults (e.g. `period`, `statistic`, `label`, `color`).
 *
 * @example
 * import { App, Stack } from 'aws-cdk-lib';
 * import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
 * import { DrsMetrics } from 'cdk-drs-multi-account';
 *
 * const app = new App();
 * const stack = new Stack(app, 'Ops');
 * new cloudwatch.Alarm(stack, 'DrillFailed', {
 *   metric: DrsMetrics.drillSucceeded({ drillName: 'weekly' }),
 *   threshold: 1,
 *   comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
 *   evaluationPeriods: 1,
 * });
 */
export class DrsMetrics {
  /** The namespace of the library's own metrics. */
  public static readonly NAMESPACE: string = METRICS_NAMESPACE;

  /** Source servers a drill launched successfully (sum per period). */
  public static serversDrilled(options: DrillMetricOptions): cloudwatch.Metric {
    return drill(DrillMetrics.SERVERS_DRILLED, options);
  }

  /** Source servers a drill failed to launch (sum per period). */
  public static serversFailed(options: DrillMetricOptions): cloudwatch.Metric {
    return drill(DrillMetrics.SERVERS_FAILED, options);
  }

  /** Seconds from StartRecovery to the slowest server's launch (maximum per period). */
  public static maxRecoveryTime(options: DrillMetricOptions): cloudwatch.Metric {
    return drill(DrillMetrics.MAX_RECOVERY_TIME_SECONDS, options);
  }

  /** Seconds from StartRecovery to the median server's launch (maximum per period). */
  public static medianRecoveryTime(options: DrillMetricOptions): cloudwatch.Metric {
    return drill(DrillMetrics.MEDIAN_RECOVERY_TIME_SECONDS, options);
  }

  /** 1 when a drill run succeeded, 0 when it did not (minimum per period: any failure shows). */
  public static drillSucceeded(options: DrillMetricOptions): cloudwatch.Metric {
    return drill(DrillMetrics.DRILL_SUCCEEDED, options);
  }

  /** Extended source servers (coverage report). */
  public static extendedServers(options: CoverageMetricOptions = {}): cloudwatch.Metric {
    return coverage(CoverageMetrics.EXTENDED_SERVERS, options);
  }

  /** Extended source servers a CloudFormation stack owns (coverage report). */
  public static managedServers(options: CoverageMetricOptions = {}): cloudwatch.Metric {
    return coverage(CoverageMetrics.MANAGED_SERVERS, options);
  }

  /** Extended source servers no stack manages (coverage report). */
  public static unmanagedServers(options: CoverageMetricOptions = {}): cloudwatch.Metric {
    return coverage(CoverageMetrics.UNMANAGED_SERVERS, options);
  }

  /** Extended source servers in EXTENSION_ERROR (coverage report). */
  public static extensionErrors(options: CoverageMetricOptions = {}): cloudwatch.Metric {
    return coverage(CoverageMetrics.EXTENSION_ERRORS, options);
  }

  /** Extended source servers not drilled within `maxDaysSinceDrill` (coverage report). */
  public static serversNotDrilledInTime(options: CoverageMetricOptions = {}): cloudwatch.Metric {
    return coverage(CoverageMetrics.NOT_DRILLED_IN_TIME, options);
  }

  /** Staging servers that could be extended and are not (coverage report). */
  public static unextendedServers(options: CoverageMetricOptions = {}): cloudwatch.Metric {
    return coverage(CoverageMetrics.UNEXTENDED_SERVERS, options);
  }

  /** Staging accounts the coverage report checked (a total; `stagingAccountId` is ignored). */
  public static stagingAccounts(options: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return coverage(CoverageMetrics.STAGING_ACCOUNTS, options);
  }

  /**
   * DRS replication lag of one source server, in seconds (`AWS/DRS` `LagDuration`, maximum per
   * five minutes). The `SourceServerID` dimension is not confirmed by DRS's documentation.
   */
  public static replicationLag(options: SourceServerMetricOptions): cloudwatch.Metric {
    return drsServer('LagDuration', options);
  }

  /**
   * DRS replication backlog of one source server, in bytes (`AWS/DRS` `Backlog`, maximum per
   * five minutes). The `SourceServerID` dimension is not confirmed by DRS's documentation.
   */
  public static replicationBacklog(options: SourceServerMetricOptions): cloudwatch.Metric {
    return drsServer('Backlog', options);
  }

  /**
   * Every source server's replication lag in one expression (a CloudWatch `SEARCH`), for graphs
   * that should follow servers as they are added. Not usable in alarms.
   */
  public static replicationLagOfAllServers(period: Duration = Duration.minutes(5)): cloudwatch.MathExpression {
    return drsSearch('LagDuration', period);
  }

  /** Every source server's replication backlog in one `SEARCH` expression (graphs only). */
  public static replicationBacklogOfAllServers(period: Duration = Duration.minutes(5)): cloudwatch.MathExpression {
    return drsSearch('Backlog', period);
  }

  private constructor() {}
}

function base(def: MetricDefinition, period: Duration, options: cloudwatch.MetricOptions, dimensionsMap: Record<string, string>): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: def.name,
    statistic: def.statistic,
    period,
    ...options,
    dimensionsMap: nonEmpty({ ...dimensionsMap, ...options.dimensionsMap }),
  });
}

function nonEmpty(map: Record<string, string>): Record<string, string> | undefined {
  return Object.keys(map).length > 0 ? map : undefined;
}

/** CloudWatch's unit for each unit name of the contract. */
const UNITS: Record<MetricDefinition['unit'], cloudwatch.Unit | undefined> = {
  Count: cloudwatch.Unit.COUNT,
  Seconds: cloudwatch.Unit.SECONDS,
  None: undefined,
};

/**
 * A drill's metrics carry their unit: the drill publishes every datum with it, and the drill's
 * own alarm has always filtered on it.
 */
function drill(def: MetricDefinition, options: DrillMetricOptions): cloudwatch.Metric {
  const { drillName, ...rest } = options;
  return base(def, Duration.days(1), { unit: UNITS[def.unit], ...rest }, { [MetricDimensions.DRILL_NAME]: drillName });
}

function coverage(def: MetricDefinition, options: CoverageMetricOptions): cloudwatch.Metric {
  const { stagingAccountId, ...rest } = options;
  const perAccount = stagingAccountId !== undefined && def.dimensions.length > 0;
  return base(def, Duration.hours(1), rest, perAccount ? { [MetricDimensions.STAGING_ACCOUNT_ID]: stagingAccountId } : {});
}

function drsServer(name: string, options: SourceServerMetricOptions): cloudwatch.Metric {
  const { sourceServerId, ...rest } = options;
  return new cloudwatch.Metric({
    namespace: DRS_NAMESPACE,
    metricName: name,
    statistic: cloudwatch.Stats.MAXIMUM,
    period: Duration.minutes(5),
    ...rest,
    dimensionsMap: { [DRS_SERVER_DIMENSION]: sourceServerId, ...rest.dimensionsMap },
  });
}

function drsSearch(name: string, period: Duration): cloudwatch.MathExpression {
  return new cloudwatch.MathExpression({
    expression: `SEARCH('{${DRS_NAMESPACE},${DRS_SERVER_DIMENSION}} MetricName="${name}"', 'Maximum', ${period.toSeconds()})`,
    usingMetrics: {},
    label: '',
    period,
  });
}
