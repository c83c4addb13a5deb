/**
 * DrsMetrics: each factory method's namespace, name, dimensions, statistic and period, from the
 * contract's definitions (the names the handler and the drill write), and option overrides.
 */
import { Duration } from 'aws-cdk-lib';
import { DrsMetrics } from '../../src';
import { CoverageMetrics, DrillMetrics } from '../../src/contract';

describe('DrsMetrics', () => {
  test('drill metrics: namespace, DrillName dimension, the contract\'s statistic, one day', () => {
    const cases: Array<[(o: { drillName: string }) => any, { name: string; statistic: string }]> = [
      [DrsMetrics.serversDrilled, DrillMetrics.SERVERS_DRILLED],
      [DrsMetrics.serversFailed, DrillMetrics.SERVERS_FAILED],
      [DrsMetrics.maxRecoveryTime, DrillMetrics.MAX_RECOVERY_TIME_SECONDS],
      [DrsMetrics.medianRecoveryTime, DrillMetrics.MEDIAN_RECOVERY_TIME_SECONDS],
      [DrsMetrics.drillSucceeded, DrillMetrics.DRILL_SUCCEEDED],
    ];
    for (const [factory, def] of cases) {
      const m = factory({ drillName: 'weekly' });
      expect(m.namespace).toBe('CdkDrsMultiAccount');
      expect(m.metricName).toBe(def.name);
      expect(m.dimensions).toEqual({ DrillName: 'weekly' });
      expect(m.statistic).toBe(def.statistic);
      expect(m.period.toSeconds()).toBe(86400);
      expect(m.label).toBeUndefined();
    }
    expect(DrsMetrics.NAMESPACE).toBe('CdkDrsMultiAccount');
  });

  test('coverage metrics: totals without dimensions, or one staging account', () => {
    const cases: Array<[(o?: { stagingAccountId?: string }) => any, { name: string }]> = [
      [DrsMetrics.extendedServers, CoverageMetrics.EXTENDED_SERVERS],
      [DrsMetrics.managedServers, CoverageMetrics.MANAGED_SERVERS],
      [DrsMetrics.unmanagedServers, CoverageMetrics.UNMANAGED_SERVERS],
      [DrsMetrics.extensionErrors, CoverageMetrics.EXTENSION_ERRORS],
      [DrsMetrics.serversNotDrilledInTime, CoverageMetrics.NOT_DRILLED_IN_TIME],
      [DrsMetrics.unextendedServers, CoverageMetrics.UNEXTENDED_SERVERS],
    ];
    for (const [factory, def] of cases) {
      expect(factory().metricName).toBe(def.name);
      expect(factory().dimensions).toBeUndefined();
      expect(factory().statistic).toBe('Maximum');
      expect(factory({ stagingAccountId: '111111111111' }).dimensions).toEqual({ StagingAccountId: '111111111111' });
    }
    expect(DrsMetrics.stagingAccounts().metricName).toBe('StagingAccounts');
    expect(DrsMetrics.stagingAccounts({ dimensionsMap: {} }).dimensions).toBeUndefined();
  });

  test('options override the defaults', () => {
    const m = DrsMetrics.extensionErrors({ stagingAccountId: '111111111111', period: Duration.hours(6), statistic: 'Average', label: 'errors', color: '#ff0000' });
    expect(m.period.toSeconds()).toBe(21600);
    expect(m.statistic).toBe('Average');
    expect(m.label).toBe('errors');
    expect(m.color).toBe('#ff0000');
  });

  test('DRS replication metrics per source server, and SEARCH expressions over all servers', () => {
    const lag = DrsMetrics.replicationLag({ sourceServerId: 's-1234567890abcdef0' });
    expect([lag.namespace, lag.metricName, lag.statistic, lag.period.toSeconds()]).toEqual(['AWS/DRS', 'LagDuration', 'Maximum', 300]);
    expect(lag.dimensions).toEqual({ SourceServerID: 's-1234567890abcdef0' });
    expect(DrsMetrics.replicationBacklog({ sourceServerId: 's-1234567890abcdef0' }).metricName).toBe('Backlog');
    expect(DrsMetrics.replicationLagOfAllServers().expression).toBe('SEARCH(\'{AWS/DRS,SourceServerID} MetricName="LagDuration"\', \'Maximum\', 300)');
    expect(DrsMetrics.replicationBacklogOfAllServers(Duration.minutes(1)).expression).toContain('MetricName="Backlog"\', \'Maximum\', 60)');
  });
});
