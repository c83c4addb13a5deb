/**
 * DrsCoverageReport: the function, schedule, environment, alarms built on DrsMetrics, the role
 * evaluated by the IAM simulator (DRS reads on *, PutEvents on its bus only, no PutMetricData),
 * onReport, synth-time validation, and cdk-nag AwsSolutions.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks, ServerlessChecks } from 'cdk-nag';
import { DrsCoverageReport, DrsDashboard } from '../../src';
import { CoverageEnv } from '../../src/contract';
import { authorizerFromTemplate } from '../local-drs/iam';
import { CfnTemplate } from '../support/cfn-template';
import { tmpOutdirs } from '../support/tmp-outdir';

const ACCOUNT = '222222222222';
const REGION = 'us-east-1';
const STACK_ID = `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/Target/11111111-2222-3333-4444-555555555555`;
const outdir = tmpOutdirs('drs-coverage-');

function stack(app = new App()): Stack {
  return new Stack(app, 'Target', { env: { account: ACCOUNT, region: REGION } });
}

const alarmsOf = (t: Template) => Object.values(t.findResources('AWS::CloudWatch::Alarm')).map((r) => r.Properties);

describe('DrsCoverageReport', () => {
  test('a function on a daily schedule with the settings in its environment', () => {
    const s = stack();
    new DrsCoverageReport(s, 'Coverage', { maxTimeSinceDrill: Duration.days(14), extraStagingAccountIds: ['111111111111', '333333333333'] });
    const t = Template.fromStack(s);
    t.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Timeout: 300,
      Environment: {
        Variables: {
          [CoverageEnv.MAX_DAYS_SINCE_DRILL]: '14',
          [CoverageEnv.EXTRA_STAGING_ACCOUNTS]: '111111111111,333333333333',
          [CoverageEnv.EVENT_BUS]: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:events:${REGION}:${ACCOUNT}:event-bus/default`]] },
        },
      },
    });
    t.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 0 });
    t.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 day)', State: 'ENABLED' });
    t.resourceCountIs('AWS::Lambda::Permission', 1);
    const keyId = Object.keys(t.findResources('AWS::KMS::Key'))[0];
    t.hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] }, RetentionInDays: 365 });
    t.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([Match.objectLike({
          Sid: 'CloudWatchLogsEncryptsCoverageLogGroup',
          Principal: { Service: { 'Fn::Join': ['', ['logs.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } },
        })]),
      },
    });
  });

  test('three alarms on the library\'s metrics, period = interval, missing data keeps the state', () => {
    const s = stack();
    const report = new DrsCoverageReport(s, 'Coverage', { interval: Duration.hours(6), notDrilledInTimeThreshold: 3 });
    const alarms = alarmsOf(Template.fromStack(s));
    expect(alarms).toHaveLength(3);
    const notDrilled = alarms.find((a) => a.MetricName === 'ServersNotDrilledInTime')!;
    expect(notDrilled).toMatchObject({
      Namespace: 'CdkDrsMultiAccount',
      Statistic: 'Maximum',
      Period: 21600,
      Threshold: 3,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'ignore',
    });
    expect(notDrilled.Dimensions).toBeUndefined();
    expect(alarms.find((a) => a.MetricName === 'ExtensionErrors')).toMatchObject({ Threshold: 1, Period: 21600 });
    expect(alarms.find((a) => a.MetricName === 'Errors')).toMatchObject({ Namespace: 'AWS/Lambda', Statistic: 'Sum', TreatMissingData: 'notBreaching' });
    expect(report.alarms).toHaveLength(3);
    expect(report.metricExtensionErrors({ stagingAccountId: '111111111111' }).dimensions).toEqual({ StagingAccountId: '111111111111' });
  });

  test('addAlarmAction adds the action for ALARM and OK on every alarm', () => {
    const s = stack();
    const report = new DrsCoverageReport(s, 'Coverage');
    const topic = new sns.Topic(s, 'Topic');
    report.addAlarmAction(new cloudwatchActions.SnsAction(topic));
    for (const a of alarmsOf(Template.fromStack(s))) {
      expect(a.AlarmActions).toEqual([s.resolve(topic.topicArn)]);
      expect(a.OKActions).toEqual([s.resolve(topic.topicArn)]);
    }
  });

  test('the role: DRS reads on *, PutEvents on its bus only, logs; nothing else', () => {
    const s = stack();
    const busArn = `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/ops`;
    new DrsCoverageReport(s, 'Coverage', { eventBus: events.EventBus.fromEventBusArn(s, 'Ops', busArn) });
    const template = Template.fromStack(s).toJSON() as CfnTemplate;
    const roleId = Object.keys(template.Resources!).find((id) => template.Resources![id].Type === 'AWS::IAM::Role' && id.includes('Coverage'))!;
    const authorize = authorizerFromTemplate(template, roleId, { account: ACCOUNT, region: REGION, stackName: 'Target', stackId: STACK_ID });
    const allowed = (action: string, resource: string) => authorize({ action, resource, account: ACCOUNT, region: REGION, context: {} }).allowed;
    for (const action of ['drs:ListStagingAccounts', 'drs:DescribeSourceServers', 'drs:ListExtensibleSourceServers']) {
      expect(allowed(action, '*')).toBe(true);
    }
    for (const action of ['drs:StartRecovery', 'drs:DeleteSourceServer', 'drs:CreateExtendedSourceServer', 'drs:TagResource', 'cloudwatch:PutMetricData']) {
      expect(allowed(action, '*')).toBe(false);
    }
    expect(allowed('events:PutEvents', busArn)).toBe(true);
    expect(allowed('events:PutEvents', `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default`)).toBe(false);
    expect(allowed('logs:PutLogEvents', `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:other:log-stream:x`)).toBe(false);
    const policy = Object.values(template.Resources!).find((r) => r.Type === 'AWS::IAM::Policy')!;
    const statements = (policy.Properties!.PolicyDocument as any).Statement;
    expect(statements.find((st: any) => st.Action === 'events:PutEvents').Resource).toEqual(busArn);
    expect(statements.find((st: any) => st.Sid === 'ReadDrsCoverage')).toEqual({
      Sid: 'ReadDrsCoverage', Effect: 'Allow', Action: ['drs:ListStagingAccounts', 'drs:DescribeSourceServers', 'drs:ListExtensibleSourceServers'], Resource: '*',
    });
  });

  test('docs/iam.md explains the role\'s statement by its Sid', () => {
    const doc = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'iam.md'), 'utf8');
    const s = stack();
    new DrsCoverageReport(s, 'Coverage');
    const sids = Object.values(Template.fromStack(s).findResources('AWS::IAM::Policy'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement).map((st: any) => st.Sid).filter(Boolean);
    expect(sids).toEqual(['ReadDrsCoverage']);
    for (const sid of sids) expect(doc).toContain(`### \`${sid}\``);
  });

  test('onReport: a rule on the report\'s bus for its source and detail-type', () => {
    const s = stack();
    const report = new DrsCoverageReport(s, 'Coverage');
    const queue = new sqs.Queue(s, 'Queue');
    report.onReport('ToQueue', { target: new targets.SqsQueue(queue) });
    Template.fromStack(s).hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { 'source': ['cdk-drs-multi-account'], 'detail-type': ['DRS Coverage Report'] },
      Targets: [Match.objectLike({ Arn: s.resolve(queue.queueArn) })],
    });
  });

  test.each([
    [{ maxDaysSinceDrill: 0 }, 'maxDaysSinceDrill must be a whole number from 1 to 3650, got 0'],
    [{ maxDaysSinceDrill: 1.5 }, 'maxDaysSinceDrill must be a whole number from 1 to 3650, got 1.5'],
    [{ maxTimeSinceDrill: Duration.hours(36) }, 'maxTimeSinceDrill must be whole days from Duration.days(1) to Duration.days(3650), got 1 day 12 hours'],
    [{ maxTimeSinceDrill: Duration.days(3651) }, 'maxTimeSinceDrill must be whole days from Duration.days(1) to Duration.days(3650), got 3651 days'],
    [{ maxTimeSinceDrill: Duration.days(7), maxDaysSinceDrill: 7 }, 'give at most one of maxTimeSinceDrill and maxDaysSinceDrill'],
    [{ interval: Duration.minutes(30) }, 'interval must be whole hours from 1 hour to 1 day (it is also the alarms\' period), got 30 minutes'],
    [{ interval: Duration.days(2) }, 'interval must be whole hours from 1 hour to 1 day'],
    [{ notDrilledInTimeThreshold: 0 }, 'notDrilledInTimeThreshold must be a whole number from 1'],
    [{ extraStagingAccountIds: ['12'] }, 'extraStagingAccountIds[0] must be a 12-digit AWS account id, got \'12\''],
  ])('rejects %j at synth', (props, message) => {
    expect(() => new DrsCoverageReport(stack(), 'Coverage', props)).toThrow(message);
  });

  test('cdk-nag AwsSolutions, HIPAA, NIST 800-53 R5, PCI DSS 3.2.1, Serverless: no unacknowledged finding', () => {
    jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const app = new App({ outdir: outdir(), context: { '@aws-cdk/core:failSynthOnValidationErrors': 'false' } });
    const s = stack(app);
    const report = new DrsCoverageReport(s, 'Coverage', { eventBus: new events.EventBus(s, 'Ops') });
    new DrsDashboard(s, 'Dashboard', { coverageReport: report, drillNames: ['weekly'] });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new HIPAASecurityChecks(app), new NIST80053R5Checks(app),
      new PCIDSS321Checks(app), new ServerlessChecks(app));
    app.synth();
    const reportFile = path.join(app.outdir, 'validation-report.json');
    const findings = fs.existsSync(reportFile) ? JSON.parse(fs.readFileSync(reportFile, 'utf8')).pluginReports
      .flatMap((r: any) => r.violations.flatMap((v: any) => v.violatingConstructs.map((c: any) => `${v.ruleName} at ${c.constructPath}`))) : [];
    expect(findings).toEqual([]);
    jest.restoreAllMocks();
  });
});
