/**
 * DrsDashboard: the dashboard body CloudWatch receives (widgets, layout, metrics from
 * DrsMetrics, annotations for the RTO and lag), the SEARCH fallback, chunking of many servers,
 * synth-time validation, and cdk-nag AwsSolutions.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DrsCoverageReport, DrsDashboard, DrsDashboardProps, ExtendedServerSelector, ExtendedSourceServer, RecoveryDrill } from '../../src';
import { tmpOutdirs } from '../support/tmp-outdir';

const ACCOUNT = '222222222222';
const REGION = 'us-east-1';
const outdir = tmpOutdirs('drs-dashboard-');

function stack(app = new App()): Stack {
  return new Stack(app, 'Target', { env: { account: ACCOUNT, region: REGION } });
}

/** The dashboard body with deploy-time values (alarm ARNs, server ids) as TOKEN. */
function body(s: Stack): { widgets: any[] } {
  const dashboards = Object.values(Template.fromStack(s).findResources('AWS::CloudWatch::Dashboard'));
  expect(dashboards).toHaveLength(1);
  const raw = dashboards[0].Properties.DashboardBody;
  const text = typeof raw === 'string' ? raw : (raw['Fn::Join'][1] as unknown[]).map((p) => (typeof p === 'string' ? p : 'TOKEN')).join('');
  return JSON.parse(text);
}

function build(props: DrsDashboardProps = {}, withReport = true): { s: Stack; widgets: any[] } {
  const s = stack();
  const coverageReport = withReport ? new DrsCoverageReport(s, 'Coverage', { interval: Duration.hours(12) }) : undefined;
  new DrsDashboard(s, 'Dashboard', { coverageReport, ...props });
  return { s, widgets: body(s).widgets };
}

const titled = (widgets: any[], title: string) => widgets.find((w) => w.properties.title === title);
const metricNames = (w: any) => w.properties.metrics.map((m: any[]) => m.filter((x) => typeof x === 'string')[1]);

describe('DrsDashboard', () => {
  test('rows fill the 24-column grid without overlapping', () => {
    const { widgets } = build({ drillNames: ['weekly'], sourceServerIds: ['s-1234567890abcdef0'], coverageStagingAccountIds: ['111111111111'] });
    const rows = new Map<number, number>();
    for (const w of widgets) rows.set(w.y, (rows.get(w.y) ?? 0) + w.width);
    for (const [, width] of rows) expect(width).toBe(24);
    const cells = new Set<string>();
    for (const w of widgets) {
      for (let x = w.x; x < w.x + w.width; x++) {
        for (let y = w.y; y < w.y + w.height; y++) {
          expect(cells.has(`${x},${y}`)).toBe(false);
          cells.add(`${x},${y}`);
        }
      }
    }
  });

  test('coverage: latest totals with sparklines, the report\'s alarms, trends with the alarm line', () => {
    const { widgets } = build();
    const now = titled(widgets, 'Coverage now (latest report)');
    expect(now.type).toBe('metric');
    expect(now.properties.sparkline).toBe(true);
    expect(metricNames(now)).toEqual(['ExtendedServers', 'ManagedServers', 'UnmanagedServers', 'ExtensionErrors', 'ServersNotDrilledInTime',
      'UnextendedServers', 'StagingAccounts']);
    expect(now.properties.metrics[0][0]).toBe('CdkDrsMultiAccount');
    expect(now.properties.metrics[0][now.properties.metrics[0].length - 1]).toMatchObject({ period: 43200, stat: 'Maximum' });
    const alarms = titled(widgets, 'Coverage alarms');
    expect(alarms.type).toBe('alarm');
    expect(alarms.properties.alarms).toHaveLength(3);
    const attention = titled(widgets, 'Needs attention');
    expect(metricNames(attention)).toEqual(['ExtensionErrors', 'ServersNotDrilledInTime', 'UnextendedServers']);
    expect(attention.properties.annotations.horizontal[0]).toMatchObject({ value: 1, fill: 'above' });
    expect(titled(widgets, 'Extended servers: managed and unmanaged').properties.stacked).toBe(true);
  });

  test('coverage per staging account when the accounts are given', () => {
    const { widgets } = build({ coverageStagingAccountIds: ['111111111111', '333333333333'] });
    const per = titled(widgets, 'Extended servers per staging account');
    expect(per.properties.metrics.map((m: any[]) => m.slice(0, 4))).toEqual([
      ['CdkDrsMultiAccount', 'ExtendedServers', 'StagingAccountId', '111111111111'],
      ['CdkDrsMultiAccount', 'ExtendedServers', 'StagingAccountId', '333333333333'],
    ]);
  });

  test('no coverage section without a report or accounts', () => {
    const { widgets } = build({}, false);
    expect(titled(widgets, 'Coverage now (latest report)')).toBeUndefined();
  });

  test('drills: results, recovery times with the RTO line, success over time', () => {
    const { widgets } = build({ drillNames: ['weekly', 'monthly'], recoveryTimeObjective: Duration.minutes(30) });
    expect(widgets.filter((w) => w.type === 'text').map((w) => w.properties.markdown)).toEqual(expect.arrayContaining(['## Drill: weekly', '## Drill: monthly']));
    const times = widgets.filter((w) => w.properties.title === 'Recovery time');
    expect(times).toHaveLength(2);
    expect(times[0].properties.annotations.horizontal).toEqual([{ value: 1800, label: 'RTO 30 minutes', color: '#d62728', yAxis: 'left' }]);
    expect(times[0].properties.metrics.map((m: any[]) => m.slice(0, 4))).toEqual([
      ['CdkDrsMultiAccount', 'MaxRecoveryTimeSeconds', 'DrillName', 'weekly'],
      ['CdkDrsMultiAccount', 'MedianRecoveryTimeSeconds', 'DrillName', 'weekly'],
    ]);
    expect(times[0].properties.yAxis.left).toMatchObject({ min: 0, label: 'Seconds' });
    const servers = widgets.find((w) => w.properties.title === 'Servers per drill');
    expect(servers.properties).toMatchObject({ view: 'bar', stacked: true });
    expect(metricNames(servers)).toEqual(['ServersDrilled', 'ServersFailed']);
    const success = widgets.find((w) => w.properties.title === 'Drill succeeded (1) or not (0)');
    expect(success.properties.metrics[0][1]).toBe('DrillSucceeded');
    expect(success.properties.metrics[0][4]).toMatchObject({ stat: 'Minimum' });
  });

  test('replication: lag and backlog per server (ids and construct servers), with the max-lag line', () => {
    const s = stack();
    const server = new ExtendedSourceServer(s, 'Web', { stagingSourceServerArn: `arn:aws:drs:${REGION}:111111111111:source-server/s-1234567890abcdef0` });
    new DrsDashboard(s, 'Dashboard', { servers: [server], sourceServerIds: ['s-aaaaaaaaaaaaaaaaa'], maxReplicationLag: Duration.minutes(5) });
    const widgets = body(s).widgets;
    const lag = titled(widgets, 'Replication lag (per server)');
    expect(lag.properties.metrics.map((m: any[]) => m.slice(0, 4))).toEqual([
      ['AWS/DRS', 'LagDuration', 'SourceServerID', 'TOKEN'],
      ['AWS/DRS', 'LagDuration', 'SourceServerID', 's-aaaaaaaaaaaaaaaaa'],
    ]);
    expect(lag.properties.metrics[0][4].label).toBe('${PROP(\'Dim.SourceServerID\')}');
    expect(lag.properties.metrics[1][4].label).toBe('s-aaaaaaaaaaaaaaaaa');
    expect(lag.properties.annotations.horizontal).toEqual([{ value: 300, label: 'max lag 5 minutes', color: '#d62728', yAxis: 'left' }]);
    expect(titled(widgets, 'Replication backlog (per server)').properties.yAxis.left.label).toBe('Bytes');
  });

  test('replication of every server with a SEARCH expression when none is named', () => {
    const { widgets } = build({}, false);
    const lag = titled(widgets, 'Replication lag (all source servers)');
    expect(lag.properties.metrics[0][0].expression).toBe('SEARCH(\'{AWS/DRS,SourceServerID} MetricName="LagDuration"\', \'Maximum\', 300)');
  });

  test('many servers: 25 per graph', () => {
    const ids = Array.from({ length: 60 }, (_, i) => `s-${String(i).padStart(17, '0')}`);
    const { widgets } = build({ sourceServerIds: ids }, false);
    const lags = widgets.filter((w) => String(w.properties.title).startsWith('Replication lag'));
    expect(lags.map((w) => w.properties.title)).toEqual([
      'Replication lag (servers 1-25)', 'Replication lag (servers 26-50)', 'Replication lag (servers 51-60)',
    ]);
    expect(lags.map((w) => w.properties.metrics.length)).toEqual([25, 25, 10]);
  });

  test.each([
    [{ sourceServerIds: ['nope'] }, 'sourceServerIds[0] must be a DRS source server id'],
    [{ coverageStagingAccountIds: ['1'] }, 'coverageStagingAccountIds[0] must be a 12-digit AWS account id'],
    [{ recoveryTimeObjective: Duration.seconds(0) }, 'recoveryTimeObjective must be longer than zero'],
    [{ drillNames: [''] }, 'drillNames[0] must not be empty'],
  ])('rejects %j at synth', (props, message) => {
    expect(() => new DrsDashboard(stack(), 'Dashboard', props)).toThrow(message);
  });

  test('drillNames that no RecoveryDrill of the app has fail at synth, naming the entry and the drills there are', () => {
    const app = new App();
    const s = stack(app);
    const drill = new RecoveryDrill(s, 'Drill', { extendedServerSelector: ExtendedServerSelector.all(), drillName: 'weekly' });
    new DrsDashboard(new Stack(app, 'Ops', { env: { account: ACCOUNT, region: REGION } }), 'Dashboard', {
      drillNames: [drill.drillName, 'does-not-exist'],
    });
    expect(() => app.synth()).toThrow("DrsDashboard Ops/Dashboard: drillNames[1] 'does-not-exist' is not the drillName of any RecoveryDrill in this app (they are: 'weekly'); use drill.drillName");
  });

  test('drillNames of drills in the app synthesize; without drills in the app the names cannot be checked', () => {
    const app = new App();
    const s = stack(app);
    new RecoveryDrill(s, 'Drill', { extendedServerSelector: ExtendedServerSelector.all(), drillName: 'weekly' });
    new DrsDashboard(s, 'Dashboard', { drillNames: ['weekly'] });
    expect(() => app.synth()).not.toThrow();
    const alone = new App();
    new DrsDashboard(stack(alone), 'Dashboard', { drillNames: ['from-another-app'] });
    expect(() => alone.synth()).not.toThrow();
  });

  test('cdk-nag AwsSolutions: no unacknowledged finding', () => {
    jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const app = new App({ outdir: outdir(), context: { '@aws-cdk/core:failSynthOnValidationErrors': 'false' } });
    const s = stack(app);
    new DrsDashboard(s, 'Dashboard', { coverageReport: new DrsCoverageReport(s, 'Coverage'), drillNames: ['weekly'] });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    app.synth();
    const reportFile = path.join(app.outdir, 'validation-report.json');
    const findings = fs.existsSync(reportFile) ? JSON.parse(fs.readFileSync(reportFile, 'utf8')).pluginReports
      .flatMap((r: any) => r.violations.flatMap((v: any) => v.violatingConstructs.map((c: any) => `${v.ruleName} at ${c.constructPath}`))) : [];
    expect(findings).toEqual([]);
    jest.restoreAllMocks();
  });
});
