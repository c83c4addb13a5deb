import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { DrsMonitoring, ExtendedSourceServer, IExtendedSourceServer } from '../../src';

const ACCOUNT = '222222222222';
const REGION = 'us-east-1';
const STAGING_SERVER = `arn:aws:drs:${REGION}:111111111111:source-server/s-1234567890abcdef0`;

function stack(): Stack {
  return new Stack(new App(), 'Target', { env: { account: ACCOUNT, region: REGION } });
}

function servers(s: Stack, count: number): IExtendedSourceServer[] {
  return Array.from({ length: count }, (_, i) => new ExtendedSourceServer(s, `Server${i}`, {
    stagingSourceServerArn: `arn:aws:drs:${REGION}:111111111111:source-server/s-${String(i).padStart(17, '0')}`,
  }));
}

const rules = (t: Template) => Object.values(t.findResources('AWS::Events::Rule')).map((r) => r.Properties);
const byType = (t: Template, detailType: string) => rules(t).filter((r) => r.EventPattern['detail-type'][0] === detailType);
const STALLED = 'DRS Source Server Data Replication Stalled Change';
const LAUNCH = 'DRS Source Server Launch Result';

describe('DrsMonitoring', () => {
  test('one stalled rule and one launch result rule match the servers by ARN, and send to the topic', () => {
    const s = stack();
    const [server] = servers(s, 1);
    const topic = new sns.Topic(s, 'Topic');
    new DrsMonitoring(s, 'Monitoring', { servers: [server], sourceServerArns: [`arn:aws:drs:${REGION}:${ACCOUNT}:source-server/s-aaaaaaaaaaaaaaaaa`], topic });
    const t = Template.fromStack(s);
    const serverArn = s.resolve(server.sourceServerArn);
    const topicRef = s.resolve(topic.topicArn);
    const resources = [serverArn, `arn:aws:drs:${REGION}:${ACCOUNT}:source-server/s-aaaaaaaaaaaaaaaaa`];
    expect(byType(t, STALLED)).toEqual([expect.objectContaining({
      State: 'ENABLED',
      EventPattern: { 'source': ['aws.drs'], 'detail-type': [STALLED], resources, 'detail': { state: ['STALLED', 'NOT_STALLED'] } },
      Targets: [{ Arn: topicRef, Id: 'Target0' }],
    })]);
    expect(byType(t, LAUNCH)).toEqual([expect.objectContaining({
      EventPattern: { 'source': ['aws.drs'], 'detail-type': [LAUNCH], resources },
      Targets: [{ Arn: topicRef, Id: 'Target0' }],
    })]);
    // EventBridge may publish to the topic.
    t.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: [{ Action: 'sns:Publish', Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Resource: topicRef, Sid: '0' }] },
    });
  });

  test('notifyWhenStallClears: false matches STALLED only', () => {
    const s = stack();
    new DrsMonitoring(s, 'Monitoring', { servers: servers(s, 1), topic: new sns.Topic(s, 'Topic'), notifyWhenStallClears: false });
    expect(byType(Template.fromStack(s), STALLED)[0].EventPattern.detail).toEqual({ state: ['STALLED'] });
  });

  test('many servers are split into rules of at most 20 ARNs, each server in exactly one rule of each kind', () => {
    const s = stack();
    const all = servers(s, 45);
    const monitoring = new DrsMonitoring(s, 'Monitoring', { servers: all, topic: new sns.Topic(s, 'Topic') });
    expect(monitoring.replicationStalledRules).toHaveLength(3);
    expect(monitoring.launchResultRules).toHaveLength(3);
    const t = Template.fromStack(s);
    for (const type of [STALLED, LAUNCH]) {
      const lists = byType(t, type).map((r) => r.EventPattern.resources);
      expect(lists.map((l) => l.length)).toEqual([20, 20, 5]);
      expect(lists.flat()).toEqual(all.map((server) => s.resolve(server.sourceServerArn)));
    }
  });

  test('addTarget sends every rule to another target too', () => {
    const s = stack();
    const monitoring = new DrsMonitoring(s, 'Monitoring', { servers: servers(s, 21) });
    const queue = new sqs.Queue(s, 'Queue', { enforceSSL: true });
    monitoring.addTarget(new targets.SqsQueue(queue));
    const arns = rules(Template.fromStack(s)).map((r) => r.Targets.map((x: { Arn: unknown }) => x.Arn));
    expect(arns).toEqual(Array(4).fill([s.resolve(queue.queueArn)]));
  });

  test('lag alarms: one per server on AWS/DRS LagDuration, threshold in seconds, notifying the topic on ALARM and OK', () => {
    const s = stack();
    const [server] = servers(s, 1);
    const topic = new sns.Topic(s, 'Topic');
    const monitoring = new DrsMonitoring(s, 'Monitoring', {
      servers: [server],
      sourceServerArns: [STAGING_SERVER.replace('111111111111', ACCOUNT)],
      topic,
      replicationLagThreshold: Duration.minutes(30),
      lagEvaluationPeriods: 2,
    });
    expect(monitoring.lagAlarms).toHaveLength(2);
    const alarms = Object.values(Template.fromStack(s).findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
    const common = {
      Namespace: 'AWS/DRS',
      MetricName: 'LagDuration',
      Statistic: 'Maximum',
      Period: 300,
      Threshold: 1800,
      EvaluationPeriods: 2,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'missing',
      AlarmActions: [s.resolve(topic.topicArn)],
      OKActions: [s.resolve(topic.topicArn)],
    };
    expect(alarms).toEqual([
      expect.objectContaining({ ...common, Dimensions: [{ Name: 'SourceServerID', Value: s.resolve(server.sourceServerId) }] }),
      expect.objectContaining({
        ...common,
        Dimensions: [{ Name: 'SourceServerID', Value: 's-1234567890abcdef0' }],
        AlarmDescription: 'DRS replication lag of source server s-1234567890abcdef0 exceeds 30 minutes',
      }),
    ]);
  });

  test('addAlarmAction takes any number of actions, as DrsCoverageReport.addAlarmAction and Alarm.addAlarmAction do', () => {
    const s = stack();
    const [a, b] = [new sns.Topic(s, 'A'), new sns.Topic(s, 'B')];
    const monitoring = new DrsMonitoring(s, 'Monitoring', { servers: servers(s, 1), topic: new sns.Topic(s, 'Topic'), replicationLagThreshold: Duration.minutes(30) });
    monitoring.addAlarmAction(new cloudwatchActions.SnsAction(a), new cloudwatchActions.SnsAction(b));
    const [alarm] = Object.values(Template.fromStack(s).findResources('AWS::CloudWatch::Alarm')).map((x) => x.Properties);
    expect(alarm.AlarmActions).toEqual(expect.arrayContaining([s.resolve(a.topicArn), s.resolve(b.topicArn)]));
    expect(alarm.OKActions).toEqual(expect.arrayContaining([s.resolve(a.topicArn), s.resolve(b.topicArn)]));
  });

  test('a server ARN known only at deploy time gets its id from the ARN', () => {
    const s = stack();
    const imported = ExtendedSourceServer.fromSourceServerId(s, 'Imported', 's-bbbbbbbbbbbbbbbbb');
    const arnToken = new sns.Topic(s, 'T').topicArn; // any deploy-time string
    new DrsMonitoring(s, 'Monitoring', { servers: [imported], sourceServerArns: [arnToken], topic: new sns.Topic(s, 'Topic'), replicationLagThreshold: Duration.hours(1) });
    const dims = Object.values(Template.fromStack(s).findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties.Dimensions[0].Value);
    expect(dims).toEqual(['s-bbbbbbbbbbbbbbbbb', { 'Fn::Select': [1, { 'Fn::Split': ['/', s.resolve(arnToken)] }] }]);
  });

  test('no threshold, no alarms', () => {
    const s = stack();
    expect(new DrsMonitoring(s, 'Monitoring', { servers: servers(s, 2), topic: new sns.Topic(s, 'Topic') }).lagAlarms).toEqual([]);
    Template.fromStack(s).resourceCountIs('AWS::CloudWatch::Alarm', 0);
  });

  test('validates the props, naming the construct and the prop', () => {
    const s = stack();
    expect(() => new DrsMonitoring(s, 'A', {}))
      .toThrow('DrsMonitoring Target/A: give the servers to watch in servers or sourceServerArns');
    expect(() => new DrsMonitoring(s, 'B', { sourceServerArns: ['arn:aws:drs:us-east-1:222222222222:source-server/nope'] }))
      .toThrow('sourceServerArns[0] must be a DRS source server ARN');
    expect(() => new DrsMonitoring(s, 'C', { sourceServerArns: [STAGING_SERVER], lagEvaluationPeriods: 0 }))
      .toThrow('lagEvaluationPeriods must be a whole number of at least 1, got 0');
    expect(() => new DrsMonitoring(s, 'D', { sourceServerArns: [STAGING_SERVER], replicationLagThreshold: Duration.millis(1500) }))
      .toThrow('replicationLagThreshold must be a whole number of seconds above zero');
  });

  test('events that go nowhere fail synth with the fix', () => {
    const s = stack();
    new DrsMonitoring(s, 'Monitoring', { sourceServerArns: [STAGING_SERVER] });
    expect(() => Template.fromStack(s)).toThrow('DrsMonitoring Target/Monitoring: events go nowhere; give a topic or call addTarget()');
  });
});
