/**
 * The report's figures as CloudWatch Embedded Metric Format (EMF) log lines: one per staging
 * account (dimension StagingAccountId) and one with the totals (no dimension). Lambda writes
 * stdout to CloudWatch Logs, which extracts the metrics: no CloudWatch client in the bundle and
 * no cloudwatch:PutMetricData permission.
 */
import { CoverageCounts, CoverageMetrics, CoverageReportDetail, MetricDefinition, MetricDimensions, METRICS_NAMESPACE } from '../../contract';

const COUNT_FIELDS: ReadonlyArray<[MetricDefinition, keyof CoverageCounts]> = [
  [CoverageMetrics.EXTENDED_SERVERS, 'extendedServers'],
  [CoverageMetrics.MANAGED_SERVERS, 'managedServers'],
  [CoverageMetrics.UNMANAGED_SERVERS, 'unmanagedServers'],
  [CoverageMetrics.EXTENSION_ERRORS, 'extensionErrors'],
  [CoverageMetrics.NOT_DRILLED_IN_TIME, 'notDrilledInTime'],
  [CoverageMetrics.UNEXTENDED_SERVERS, 'unextendedServers'],
];

/** An EMF document: the `_aws` directive plus the dimension and metric members it names. */
export function emfDocument(timestampMs: number, dimensions: Record<string, string>,
  values: ReadonlyArray<[MetricDefinition, number]>): Record<string, unknown> {
  return {
    _aws: {
      Timestamp: timestampMs,
      CloudWatchMetrics: [{
        Namespace: METRICS_NAMESPACE,
        Dimensions: [Object.keys(dimensions)],
        Metrics: values.map(([m]) => ({ Name: m.name, Unit: m.unit })),
      }],
    },
    ...dimensions,
    ...Object.fromEntries(values.map(([m, v]) => [m.name, v])),
  };
}

/** The EMF lines for one report. */
export function coverageEmfLines(report: CoverageReportDetail): string[] {
  const ts = Date.parse(report.generatedAt);
  const lines = report.stagingAccounts.map((a) => emfDocument(ts, { [MetricDimensions.STAGING_ACCOUNT_ID]: a.stagingAccountId },
    COUNT_FIELDS.map(([m, field]) => [m, a[field]])));
  lines.push(emfDocument(ts, {}, [
    ...COUNT_FIELDS.map(([m, field]): [MetricDefinition, number] => [m, report.totals[field]]),
    [CoverageMetrics.STAGING_ACCOUNTS, report.stagingAccountCount],
  ]));
  return lines.map((l) => JSON.stringify(l));
}
