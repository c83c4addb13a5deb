import * as fs from 'fs';
import * as path from 'path';
import { App, CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { definitionsFrom } from './harness';
import { DrillCheck, ExtendedServerSelector, ExtendedSourceServer, LaunchActionParameterType, RecoveryDrill, RecoveryDrillProps, ServerSelector, StagingAccountExtension } from '../../src';
import { OwnerTags } from '../../src/contract';
import { DrillTags } from '../../src/contract/drill';
import { authorizerFromTemplate } from '../local-drs/iam';
import { Authorizer } from '../local-drs/types';
import { CfnTemplate } from '../support/cfn-template';

const ACCOUNT = '222222222222';
const REGION = 'us-east-1';
const STACK_ID = `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/Target/11111111-2222-3333-4444-555555555555`;
const STAGING_ARN = `arn:aws:drs:${REGION}:111111111111:source-server/s-1234567890abcdef0`;
const serverArn = (id: string) => `arn:aws:drs:${REGION}:${ACCOUNT}:source-server/${id}`;
const instanceArn = (id: string) => `arn:aws:drs:${REGION}:${ACCOUNT}:recovery-instance/${id}`;

function newStack(): Stack {
  return new Stack(new App(), 'Target', { env: { account: ACCOUNT, region: REGION } });
}

function build(props: (stack: Stack) => RecoveryDrillProps): { stack: Stack; drill: RecoveryDrill; template: CfnTemplate } {
  const stack = newStack();
  const drill = new RecoveryDrill(stack, 'Drill', props(stack));
  return { stack, drill, template: Template.fromStack(stack).toJSON() as CfnTemplate };
}

const ctx = { account: ACCOUNT, region: REGION, stackName: 'Target', stackId: STACK_ID };

function authorizer(template: CfnTemplate, stack: Stack, role: iam.IRole): Authorizer {
  return authorizerFromTemplate(template, stack.getLogicalId(role.node.defaultChild as iam.CfnRole), ctx);
}

function requestTags(tags: Record<string, string>): Record<string, string | string[]> {
  return { ...Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:RequestTag/${k}`, v])), 'aws:TagKeys': Object.keys(tags) };
}
function resourceTags(tags: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:ResourceTag/${k}`, v]));
}

describe('validation at synth', () => {
  test.each<[string, (stack: Stack) => RecoveryDrillProps, string]>([
    ['no servers at all', () => ({}), 'give the servers to drill with servers, extensions and extendedServerSelector, in any combination (the drill drills their union'],
    ['both selector props', () => ({ selector: ServerSelector.all(), extendedServerSelector: ExtendedServerSelector.all() }), 'give at most one of extendedServerSelector and selector'],
    ['a staging-account ServerSelector as extendedServerSelector (JavaScript, Python)', () => ({ extendedServerSelector: ServerSelector.all() as any }),
      "extendedServerSelector must be an ExtendedServerSelector (it reads the extended servers' tags in this, the target, account); a ServerSelector reads staging-account tags"],
    ['an RTO longer than the timeout', () => ({ selector: ServerSelector.all(), recoveryTimeObjective: Duration.hours(3) }),
      'recoveryTimeObjective (10800 s) must be at most timeout (7200 s, the default): the drill stops waiting at its timeout'],
    ['an empty list', () => ({ servers: [] }), 'servers must list at least one server'],
    ['101 servers per job', () => ({ selector: ServerSelector.all(), serversPerJob: 101 }), "serversPerJob must be a whole number from 1 to 100 (DRS's servers per recovery job), got 101"],
    ['a bad drill name', () => ({ selector: ServerSelector.all(), drillName: 'my drill!' }), 'drillName must be 1-128 letters, digits or -_.:/'],
    ['a timeout shorter than the poll', () => ({ selector: ServerSelector.all(), timeout: Duration.seconds(30) }), 'timeout (30 s) must be at least pollInterval (60 s)'],
    ['checkConcurrency without check', () => ({ selector: ServerSelector.all(), checkConcurrency: 2 }), 'checkConcurrency needs check'],
    // Issue 16, item 10: the same server twice, as the same object or by the same id.
    ['the same server twice', (s) => {
      const web = ExtendedSourceServer.fromSourceServerId(s, 'Web', 's-0123456789abcdef0');
      return { servers: [web, ExtendedSourceServer.fromSourceServerId(s, 'Db', 's-0123456789abcdef1'), web] };
    }, 'servers[2] is servers[0] again (source server s-0123456789abcdef0): list each once'],
    ['the same server id twice', (s) => ({
      servers: [ExtendedSourceServer.fromSourceServerId(s, 'A', 's-0123456789abcdef0'), ExtendedSourceServer.fromSourceServerId(s, 'B', 's-0123456789abcdef0')],
    }), 'servers[1] is servers[0] again'],
  ])('%s', (_, props, message) => {
    expect(() => build(props)).toThrow(message);
    expect(() => build(props)).toThrow(/^RecoveryDrill Target\/Drill: /);
  });
});

describe('partitions (issue 16, item 9)', () => {
  const resources = (states: Record<string, any>): string[] => Object.values(states).flatMap((st: any) => [
    ...(st.Resource ? [st.Resource] : []), ...(st.ItemProcessor ? resources(st.ItemProcessor.States) : []),
  ]);
  test.each([['cn-north-1', 'aws-cn'], ['us-gov-west-1', 'aws-us-gov'], ['us-east-1', 'aws']])('every Task resource is in the stack\'s partition: %s', (region, partition) => {
    const stack = new Stack(new App(), 'Target', { env: { account: ACCOUNT, region } });
    new RecoveryDrill(stack, 'Drill', {
      selector: ServerSelector.all(),
      checks: [DrillCheck.ec2StatusChecks(), DrillCheck.ssmDocument({ documentName: 'AWS-RunShellScript' }),
        DrillCheck.lambdaFunction(lambda.Function.fromFunctionArn(stack, 'Probe', `arn:${partition}:lambda:${region}:${ACCOUNT}:function:probe`))],
    });
    const template = Template.fromStack(stack).toJSON() as CfnTemplate;
    // The partition is the template's AWS::Partition, never a literal `aws`.
    const machine = Object.values(template.Resources ?? {}).find((r: any) => r.Type === 'AWS::StepFunctions::StateMachine') as any;
    expect(JSON.stringify(machine.Properties.DefinitionString)).not.toContain('arn:aws:states');
    const [d] = Object.values(definitionsFrom(template, { account: ACCOUNT, region, stackName: 'Target', partition }));
    const all = resources(d.States);
    expect(all.length).toBeGreaterThan(10);
    for (const r of all) expect(r.startsWith(`arn:${partition}:states:::`)).toBe(true);
  });
});

describe('the state machine', () => {
  const { template, drill: nightly } = build((s) => ({ servers: [ExtendedSourceServer.fromSourceServerId(s, 'S', 's-0123456789abcdef0')], drillName: 'nightly' }));
  const definition = Object.values(definitionsFrom(template, ctx))[0];
  const all = (states: Record<string, any>): Array<[string, any]> => Object.entries(states).flatMap(([n, st]) =>
    [[n, st] as [string, any], ...(st.ItemProcessor ? all(st.ItemProcessor.States) : [])]);
  const tasks = all(definition.States).filter(([, st]) => st.Type === 'Task');

  test('DRS calls are SDK integrations; Lambda only for the read-only steps, never in the wait loop', () => {
    expect(Object.fromEntries(tasks.map(([n, st]) => [n, st.Resource]))).toEqual({
      Plan: 'arn:aws:states:::lambda:invoke',
      RecheckWave: 'arn:aws:states:::lambda:invoke',
      StartRecovery: 'arn:aws:states:::aws-sdk:drs:startRecovery',
      DescribeJob: 'arn:aws:states:::aws-sdk:drs:describeJobs',
      DescribeTimedOutJob: 'arn:aws:states:::aws-sdk:drs:describeJobs',
      Collect: 'arn:aws:states:::lambda:invoke',
      TerminateRecoveryInstances: 'arn:aws:states:::aws-sdk:drs:terminateRecoveryInstances',
      PublishResult: 'arn:aws:states:::events:putEvents',
      PublishMetrics: 'arn:aws:states:::aws-sdk:cloudwatch:putMetricData',
    });
    expect(definition.States.WaitForJob).toEqual({ Type: 'Wait', Seconds: 60, Next: 'DescribeJob' });
  });

  test('StartRecovery is a drill tagged with the drill and the execution', () => {
    expect(definition.States.StartRecovery.Parameters).toEqual({
      'SourceServers.$': '$.run.wave.Servers',
      'IsDrill': true,
      'Tags': { [DrillTags.DRILL]: nightly.drillTag, [`${DrillTags.EXECUTION}.$`]: '$$.Execution.Name' },
    });
  });

  test('every failure of the drill proper leads to Collect, so the clean-up runs', () => {
    for (const name of ['Plan', 'StartRecovery', 'DescribeJob']) {
      expect(definition.States[name].Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.run.error', Next: 'Collect' }]);
    }
    expect(definition.States.TimedOut.Next).toBe('WaitForTimedOutJob');
    expect(definition.States.Collect.Next).toBe('CleanUp');
  });

  test('check: a Map of the user\'s function per launched server, then judge, then the clean-up; invoke on that function only', () => {
    const { stack, drill, template: t } = build((s) => ({
      selector: ServerSelector.all(),
      check: lambda.Function.fromFunctionArn(s, 'Probe', `arn:aws:lambda:${REGION}:${ACCOUNT}:function:probe`),
    }));
    const d = Object.values(definitionsFrom(t, ctx))[0];
    expect(d.States.Collect.Next).toBe('CheckServers');
    expect(d.States.CheckServers).toMatchObject({ Type: 'Map', ItemsPath: '$.result.Launched', MaxConcurrency: 10, Next: 'Judge' });
    expect(d.States.CheckServers.ItemProcessor.States.CheckServer.Parameters.FunctionName).toBe(`arn:aws:lambda:${REGION}:${ACCOUNT}:function:probe`);
    expect(d.States.Judge).toMatchObject({ Next: 'CleanUp', Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.run.judgeError', Next: 'CleanUp' }] });
    const authorize = authorizer(t, stack, drill.role);
    const invoke = (resource: string) => authorize({ action: 'lambda:InvokeFunction', resource, account: ACCOUNT, region: REGION, context: {} }).allowed;
    expect(invoke(`arn:aws:lambda:${REGION}:${ACCOUNT}:function:probe`)).toBe(true);
    expect(invoke(`arn:aws:lambda:${REGION}:${ACCOUNT}:function:other`)).toBe(false);
  });

  test('keepInstancesFor adds a Wait before the clean-up', () => {
    const kept = build(() => ({ selector: ServerSelector.all(), keepInstancesFor: Duration.hours(2) })).template;
    const d = Object.values(definitionsFrom(kept, ctx))[0];
    expect(d.States.Collect.Next).toBe('KeepInstances');
    expect(d.States.KeepInstances).toMatchObject({ Type: 'Wait', Seconds: 7200, Next: 'CleanUp' });
  });

  test('logging and tracing are on', () => {
    Template.fromJSON(template).hasResourceProperties('AWS::StepFunctions::StateMachine', {
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: true }),
    });
  });
});

describe('IAM of the state machine role (IAM simulator)', () => {
  test('servers: StartRecovery only on the drilled servers, only with the drill tag', () => {
    const { stack, drill, template } = build((s) => ({ servers: [ExtendedSourceServer.fromSourceServerId(s, 'S', 's-0123456789abcdef0')], drillName: 'nightly' }));
    const authorize = authorizer(template, stack, drill.role);
    const allowed = (action: string, resource: string, context: Record<string, string | string[]> = {}) =>
      authorize({ action, resource, account: ACCOUNT, region: REGION, context }).allowed;
    const tags = requestTags({ [DrillTags.DRILL]: drill.drillTag, [DrillTags.EXECUTION]: 'exec-1' });
    expect(allowed('drs:StartRecovery', serverArn('s-0123456789abcdef0'), tags)).toBe(true);
    expect(allowed('drs:StartRecovery', serverArn('s-0123456789abcdef1'), tags)).toBe(false);
    expect(allowed('drs:StartRecovery', serverArn('s-0123456789abcdef0'))).toBe(false);
    expect(allowed('drs:StartRecovery', serverArn('s-0123456789abcdef0'), requestTags({ [DrillTags.DRILL]: 'other', [DrillTags.EXECUTION]: 'x' }))).toBe(false);
    // Terminate: only instances with the drill's tag (imported servers: their tags are unknown).
    expect(allowed('drs:TerminateRecoveryInstances', instanceArn('i-0123456789abcdef0'), resourceTags({ [DrillTags.DRILL]: drill.drillTag }))).toBe(true);
    expect(allowed('drs:TerminateRecoveryInstances', instanceArn('i-0123456789abcdef0'))).toBe(false);
    expect(allowed('drs:TerminateRecoveryInstances', instanceArn('i-0123456789abcdef0'), resourceTags({ [DrillTags.DRILL]: 'other' }))).toBe(false);
    // No other DRS change.
    for (const action of ['drs:DeleteSourceServer', 'drs:DisconnectSourceServer', 'drs:UntagResource']) {
      expect(allowed(action, serverArn('s-0123456789abcdef0'))).toBe(false);
    }
    expect(allowed('drs:DescribeJobs', '*')).toBe(true);
    expect(allowed('cloudwatch:PutMetricData', '*', { 'cloudwatch:namespace': 'CdkDrsMultiAccount' })).toBe(true);
    expect(allowed('cloudwatch:PutMetricData', '*', { 'cloudwatch:namespace': 'Other' })).toBe(false);
  });

  test('extensions: StartRecovery and Terminate by the extension\'s owner tags (the instance copies its server\'s tags)', () => {
    const stack = newStack();
    const extension = new StagingAccountExtension(stack, 'Ext', { stagingAccountId: '111111111111' });
    const drill = new RecoveryDrill(stack, 'Drill', { extensions: [extension], drillName: 'weekly' });
    const template = Template.fromStack(stack).toJSON() as CfnTemplate;
    const authorize = authorizer(template, stack, drill.role);
    const allowed = (action: string, resource: string, context: Record<string, string | string[]> = {}) =>
      authorize({ action, resource, account: ACCOUNT, region: REGION, context }).allowed;
    const logicalId = stack.getLogicalId(extension.node.findChild('Resource').node.defaultChild as any);
    const owner = { [OwnerTags.STACK_ID]: STACK_ID, [OwnerTags.LOGICAL_ID]: logicalId };
    const tags = requestTags({ [DrillTags.DRILL]: drill.drillTag, [DrillTags.EXECUTION]: 'e' });
    expect(allowed('drs:StartRecovery', serverArn('s-0123456789abcdef0'), { ...resourceTags(owner), ...tags })).toBe(true);
    expect(allowed('drs:StartRecovery', serverArn('s-0123456789abcdef0'), { ...resourceTags({ ...owner, [OwnerTags.LOGICAL_ID]: 'Other' }), ...tags })).toBe(false);
    expect(allowed('drs:StartRecovery', serverArn('s-0123456789abcdef0'), tags)).toBe(false);
    expect(allowed('drs:TerminateRecoveryInstances', instanceArn('i-0123456789abcdef0'), resourceTags(owner))).toBe(true);
    expect(allowed('drs:TerminateRecoveryInstances', instanceArn('i-0123456789abcdef0'), resourceTags({ Application: 'x' }))).toBe(false);
  });

  test('the Lambda steps only read', () => {
    const { stack, drill, template } = build(() => ({ selector: ServerSelector.all(), drillName: 'n' }));
    const authorize = authorizer(template, stack, drill.stepFunction.role as iam.Role);
    const allowed = (action: string, resource: string, context: Record<string, string | string[]> = {}) =>
      authorize({ action, resource, account: ACCOUNT, region: REGION, context }).allowed;
    for (const action of ['drs:DescribeSourceServers', 'drs:DescribeRecoveryInstances', 'drs:DescribeJobs']) expect(allowed(action, '*')).toBe(true);
    expect(allowed('drs:DescribeJobLogItems', `arn:aws:drs:${REGION}:${ACCOUNT}:job/drsjob-0123456789abcdef0`, resourceTags({ [DrillTags.DRILL]: drill.drillTag }))).toBe(true);
    expect(allowed('drs:DescribeJobLogItems', `arn:aws:drs:${REGION}:${ACCOUNT}:job/drsjob-0123456789abcdef0`)).toBe(false);
    expect(allowed('drs:StartRecovery', serverArn('s-0123456789abcdef0'), requestTags({ [DrillTags.DRILL]: 'n', [DrillTags.EXECUTION]: 'e' }))).toBe(false);
    expect(allowed('drs:TerminateRecoveryInstances', instanceArn('i-0123456789abcdef0'), resourceTags({ [DrillTags.DRILL]: 'n' }))).toBe(false);
  });

  test('servers, extensions and a selector together: each is allowed by its own statement, nothing else is', () => {
    const { stack, drill, template } = build((s) => {
      const east = new StagingAccountExtension(s, 'East', { stagingAccountId: '111111111111' });
      const west = new StagingAccountExtension(s, 'West', { stagingAccountId: '333333333333' });
      const db = ExtendedSourceServer.fromSourceServerId(s, 'Db', 's-0000000000000000d');
      return { extensions: [east, west], servers: [db], extendedServerSelector: ExtendedServerSelector.tagEquals('tier', 'web'), drillName: 'u' };
    });
    const d = Object.values(definitionsFrom(template, ctx))[0];
    const targets = d.States.Plan.Parameters.Payload.Targets;
    expect(targets.SourceServerIds).toEqual(['s-0000000000000000d']);
    expect(new Set(targets.Owners.map((o: { LogicalId: string }) => o.LogicalId)).size).toBe(2);
    expect(targets.Selector).toEqual({ Type: 'tag', Key: 'tier', Values: ['web'] });
    const authorize = authorizer(template, stack, drill.role);
    const tags = requestTags({ [DrillTags.DRILL]: drill.drillTag, [DrillTags.EXECUTION]: 'e' });
    const start = (id: string, t: Record<string, string>) =>
      authorize({ action: 'drs:StartRecovery', resource: serverArn(id), account: ACCOUNT, region: REGION, context: { ...resourceTags(t), ...tags } }).allowed;
    const ownerOf = (x: StagingAccountExtension) =>
      ({ [OwnerTags.STACK_ID]: STACK_ID, [OwnerTags.LOGICAL_ID]: stack.getLogicalId(x.node.findChild('Resource').node.defaultChild as any) });
    const east = stack.node.findChild('East') as StagingAccountExtension;
    const west = stack.node.findChild('West') as StagingAccountExtension;
    expect(start('s-0000000000000000d', {})).toBe(true);
    expect(start('s-0123456789abcdef0', ownerOf(east))).toBe(true);
    expect(start('s-0123456789abcdef0', ownerOf(west))).toBe(true);
    expect(start('s-0123456789abcdef0', { tier: 'web' })).toBe(true);
    expect(start('s-0123456789abcdef0', { tier: 'db' })).toBe(false);
    expect(start('s-0123456789abcdef0', { ...ownerOf(east), [OwnerTags.LOGICAL_ID]: 'Other' })).toBe(false);
  });

  test('a selector\'s required tags narrow StartRecovery', () => {
    const { stack, drill, template } = build(() => ({ selector: ServerSelector.allOf(ServerSelector.tagEquals('dr', 'yes'), ServerSelector.hostnameMatches('web-*')), drillName: 's' }));
    const authorize = authorizer(template, stack, drill.role);
    const tags = requestTags({ [DrillTags.DRILL]: drill.drillTag, [DrillTags.EXECUTION]: 'e' });
    const start = (t: Record<string, string>) => authorize({ action: 'drs:StartRecovery', resource: serverArn('s-0123456789abcdef0'), account: ACCOUNT, region: REGION, context: { ...resourceTags(t), ...tags } }).allowed;
    expect(start({ dr: 'yes' })).toBe(true);
    expect(start({ dr: 'no' })).toBe(false);
  });
});

describe('attributes, alarm, schedule, notifications', () => {
  test('an alarm on DrillSucceeded below 1 for this drill; the schedule starts the state machine; the topic gets alarm and results', () => {
    const stack = newStack();
    const topic = new sns.Topic(stack, 'Topic');
    const drill = new RecoveryDrill(stack, 'Drill', {
      servers: [new ExtendedSourceServer(stack, 'Web', { stagingSourceServerArn: STAGING_ARN })],
      drillName: 'monthly',
      schedule: events.Schedule.rate(Duration.days(30)),
      topic,
    });
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'DrillSucceeded',
      Namespace: 'CdkDrsMultiAccount',
      Statistic: 'Minimum',
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      Dimensions: [{ Name: 'DrillName', Value: 'monthly' }],
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: stack.getLogicalId(topic.node.defaultChild as sns.CfnTopic) }],
    });
    t.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(30 days)',
      Targets: [Match.objectLike({ Arn: { Ref: stack.getLogicalId(drill.stateMachine.node.defaultChild as any) }, Input: '{"reason":"schedule"}' })],
    });
    t.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { 'source': ['cdk-drs-multi-account'], 'detail-type': ['DRS Recovery Drill Result'], 'detail': { drillName: ['monthly'] } },
    });
    expect(drill.scheduleRule).toBeDefined();
  });

  test('grantStart: StartExecution on this state machine only', () => {
    const stack = newStack();
    const drill = new RecoveryDrill(stack, 'Drill', { selector: ServerSelector.all() });
    const role = new iam.Role(stack, 'Ops', { assumedBy: new iam.AccountRootPrincipal() });
    drill.grantStart(role);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: stack.getLogicalId(role.node.defaultChild as iam.CfnRole) }],
      PolicyDocument: { Statement: [{ Action: 'states:StartExecution', Effect: 'Allow', Resource: { Ref: stack.getLogicalId(drill.stateMachine.node.defaultChild as any) } }] },
    });
  });

  test('imported servers: a warning that their instances are terminable only by the drill tag', () => {
    const stack = newStack();
    new RecoveryDrill(stack, 'Drill', { servers: [ExtendedSourceServer.fromSourceServerId(stack, 'S', 's-0123456789abcdef0')] });
    Annotations.fromStack(stack).hasWarning('/Target/Drill', Match.stringLikeRegexp('only if DRS gives recovery instances the tags of StartRecovery'));
    const declared = newStack();
    new RecoveryDrill(declared, 'Drill', { servers: [new ExtendedSourceServer(declared, 'Web', { stagingSourceServerArn: STAGING_ARN })] });
    Annotations.fromStack(declared).hasNoWarning('/Target/Drill', Match.anyValue());
  });
});

describe('docs/iam.md', () => {
  test('explains every statement of the drill\'s roles by its Sid', () => {
    const stack = newStack();
    const extension = new StagingAccountExtension(stack, 'Ext', { stagingAccountId: '111111111111' });
    new RecoveryDrill(stack, 'D1', { extensions: [extension] });
    new RecoveryDrill(stack, 'D2', {
      servers: [new ExtendedSourceServer(stack, 'Web', { stagingSourceServerArn: STAGING_ARN })],
      check: lambda.Function.fromFunctionArn(stack, 'Probe', `arn:aws:lambda:${REGION}:${ACCOUNT}:function:probe`),
      checks: [DrillCheck.ec2StatusChecks(), DrillCheck.ssmDocument({
        documentName: 'AWS-RunShellScript', parameters: { commands: { value: 'uptime-command', type: LaunchActionParameterType.SSM_STORE } },
      })],
    });
    const template = Template.fromStack(stack).toJSON() as CfnTemplate;
    const sids = Object.entries(template.Resources!).filter(([id, r]) => r.Type === 'AWS::IAM::Policy' && id.startsWith('D'))
      .flatMap(([, p]) => (p.Properties!.PolicyDocument as { Statement: { Sid?: string }[] }).Statement)
      .map((s) => s.Sid).filter((sid): sid is string => sid !== undefined);
    expect(new Set(sids).size).toBeGreaterThanOrEqual(10);
    expect(sids).toEqual(expect.arrayContaining(['InvokeServerCheck', 'ReadInstanceStatus', 'DrillLaunchActionsOfDrilledServers', 'RunCheckDocumentsThroughDrs']));
    const doc = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'iam.md'), 'utf8');
    const documented = [...doc.matchAll(/^### `([A-Za-z0-9]+)`/gm)].map((m) => m[1]);
    for (const sid of sids) expect(documented).toContain(sid);
  });
});

describe('checks (DrillCheck)', () => {
  const PROBE = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:probe`;
  const all = (states: Record<string, any>): Record<string, any> => Object.assign({}, ...Object.entries(states).map(([n, st]) =>
    ({ [n]: st, ...(st.ItemProcessor ? all(st.ItemProcessor.States) : {}) })));

  test.each<[string, () => DrillCheck[], string]>([
    ['two EC2 status checks', () => [DrillCheck.ec2StatusChecks(), DrillCheck.ec2StatusChecks()], 'checks: give DrillCheck.ec2StatusChecks at most once'],
    ['a timeout shorter than the interval', () => [DrillCheck.ec2StatusChecks({ timeout: Duration.seconds(10), interval: Duration.seconds(30) })],
      'checks[0].timeout (10 s) must be at least its interval (30 s)'],
    ['a bad document name', () => [DrillCheck.ssmDocument({ documentName: 'my doc' })], "checks[0].documentName must be an SSM document name or ARN (letters, digits, -/:), got 'my doc'"],
    ['a bad version', () => [DrillCheck.ssmDocument({ documentName: 'AWS-RunShellScript', documentVersion: 'v1' })], 'checks[0].documentVersion must be a number, $DEFAULT or $LATEST'],
    ['an order out of range', () => [DrillCheck.ec2StatusChecks(), DrillCheck.ssmDocument({ documentName: 'D', order: 1 })], 'checks[1].order must be a whole number from 2 to 10000'],
    ['a parameter value DRS refuses', () => [DrillCheck.ssmDocument({ documentName: 'D', parameters: { commands: { value: 'echo hi' } } })],
      'checks[0].parameters.commands.value must be 1-1011 letters, digits'],
    // DrillCheck is abstract: a subclass of one's own (in any jsii language) has no kind.
    ['a check not made by its factories', () => [DrillCheck.ec2StatusChecks(), new (class extends DrillCheck { public readonly _kind = undefined as any; })()],
      "checks[1]: make checks with DrillCheck's static methods"],
  ])('validation: %s', (_, checks, message) => {
    expect(() => build(() => ({ selector: ServerSelector.all(), checks: checks() }))).toThrow(message);
  });

  test('a token is not validated at synth', () => {
    expect(() => build((s) => ({
      selector: ServerSelector.all(),
      checks: [DrillCheck.ssmDocument({ documentName: new CfnParameter(s, 'Doc').valueAsString })],
    }))).not.toThrow();
  });

  test('EC2 status checks: Wait states between DescribeInstanceStatus (IncludeAllInstances), no Lambda; ec2 permission on * only', () => {
    const { stack, drill, template: t } = build(() => ({ selector: ServerSelector.all(), checks: [DrillCheck.ec2StatusChecks()] }));
    const d = Object.values(definitionsFrom(t, ctx))[0];
    const states = all(d.States);
    expect(d.States.Collect.Next).toBe('CheckServers');
    expect(states.DescribeInstanceStatus).toMatchObject({
      Resource: 'arn:aws:states:::aws-sdk:ec2:describeInstanceStatus',
      Parameters: { 'InstanceIds.$': 'States.Array($.Server.Ec2InstanceID)', 'IncludeAllInstances': true },
    });
    expect(states.WaitForInstanceStatus).toEqual({ Type: 'Wait', Seconds: 30, Next: 'CountInstanceStatusPoll' });
    expect(states.InstanceStatusPending.Choices[0]).toMatchObject({ NumericGreaterThanEquals: 30 }); // 15 min / 30 s
    expect(Object.values(states).filter((st: any) => st.Resource === 'arn:aws:states:::lambda:invoke').length).toBe(4); // plan, recheck, collect, judge
    const authorize = authorizer(t, stack, drill.role);
    const ask = (action: string, resource = '*') => authorize({ action, resource, account: ACCOUNT, region: REGION, context: {} }).allowed;
    expect(ask('ec2:DescribeInstanceStatus')).toBe(true);
    expect(ask('ec2:DescribeInstances')).toBe(false);
    expect(ask('drs:PutLaunchAction', serverArn('s-0123456789abcdef0'))).toBe(false);
  });

  test('SSM document: put before each StartRecovery, read by the drill function, removed after the checks and before CollectFailed', () => {
    const { template: t } = build(() => ({
      selector: ServerSelector.all(),
      checks: [DrillCheck.ssmDocument({ documentName: 'AWS-RunShellScript', parameters: { commands: { value: 'uptime' } } })],
    }));
    const again = build(() => ({ selector: ServerSelector.all(), checks: [DrillCheck.ssmDocument({ documentName: 'AWS-RunShellScript' })] })).template;
    const d = Object.values(definitionsFrom(t, ctx))[0];
    const states = all(d.States);
    expect(d.States.WaveClear.Default).toBe('PutLaunchActions');
    expect(d.States.PutLaunchActions).toMatchObject({ Type: 'Map', ItemsPath: '$.run.wave.Servers', Next: 'StartRecovery' });
    expect(states.PutLaunchAction.Parameters).toMatchObject({
      'ResourceId.$': '$.SourceServerID',
      'ActionCode': 'AWS-RunShellScript',
      'ActionVersion': '$DEFAULT',
      'Category': 'VALIDATION',
      'Optional': false,
      'Active': true,
      'Order': 9001,
      'Parameters': { commands: { Value: 'uptime', Type: 'DYNAMIC' } },
      'ActionId': expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/),
    });
    // The same drill gets the same action id at every synth.
    const againId = all(Object.values(definitionsFrom(again, ctx))[0].States).PutLaunchAction.Parameters.ActionId;
    expect(againId).toBe(states.PutLaunchAction.Parameters.ActionId);
    expect(states.ReadLaunchActionRuns.Parameters.Payload).toMatchObject({ Step: 'launchActionRuns', ActionIds: [states.PutLaunchAction.Parameters.ActionId] });
    expect(d.States.Judge.Next).toBe('RemoveLaunchActions');
    expect(d.States.RemoveLaunchActions).toMatchObject({ ItemsPath: '$.run.plan.Waves', Next: 'CleanUp' });
    expect(d.States.Collect.Catch[0].Next).toBe('RemoveLaunchActionsBeforeCollectFailed');
    expect(d.States.RemoveLaunchActionsBeforeCollectFailed.Next).toBe('CollectFailed');
    expect(states.RemoveLaunchActionsDeleteLaunchAction.Catch[0].ErrorEquals).toEqual(['Drs.ResourceNotFoundException']);
    expect(d.States.Finish.Choices.map((c: any) => c.Next)).toContain('LaunchActionCleanUpFailed');
  });

  test('SSM document IAM: Put/DeleteLaunchAction on the drilled servers only; SSM for the document only through DRS', () => {
    const { stack, drill, template: t } = build((s) => ({
      servers: [ExtendedSourceServer.fromSourceServerId(s, 'S', 's-0123456789abcdef0')],
      checks: [DrillCheck.ssmDocument({ documentName: 'AWS-RunShellScript' })],
    }));
    const authorize = authorizer(t, stack, drill.role);
    const ask = (action: string, resource: string) => authorize({ action, resource, account: ACCOUNT, region: REGION, context: {} }).allowed;
    for (const action of ['drs:PutLaunchAction', 'drs:DeleteLaunchAction']) {
      expect(ask(action, serverArn('s-0123456789abcdef0'))).toBe(true);
      expect(ask(action, serverArn('s-99999999999999999'))).toBe(false);
    }
    expect(ask('ssm:SendCommand', '*')).toBe(false);
    const viaDrs = (action: string, resource: string, calledVia?: string) => authorize({
      action, resource, account: ACCOUNT, region: REGION, context: calledVia ? { 'aws:CalledVia': [calledVia] } : {},
    }).allowed;
    const doc = `arn:aws:ssm:${REGION}::document/AWS-RunShellScript`;
    expect(viaDrs('ssm:SendCommand', doc, 'drs.amazonaws.com')).toBe(true);
    expect(viaDrs('ssm:SendCommand', `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/i-0123456789abcdef0`, 'drs.amazonaws.com')).toBe(true);
    expect(viaDrs('ssm:SendCommand', doc)).toBe(false);
    expect(viaDrs('ssm:SendCommand', `arn:aws:ssm:${REGION}::document/AWS-RunPowerShellScript`, 'drs.amazonaws.com')).toBe(false);
    const steps = authorizer(t, stack, drill.stepFunction.role!);
    expect(steps({ action: 'drs:DescribeJobs', resource: '*', account: ACCOUNT, region: REGION, context: {} }).allowed).toBe(true);
    expect(steps({ action: 'drs:PutLaunchAction', resource: serverArn('s-0123456789abcdef0'), account: ACCOUNT, region: REGION, context: {} }).allowed).toBe(false);
  });

  test('the deprecated check prop still works, and runs after checks', () => {
    const { template: t } = build((s) => ({
      selector: ServerSelector.all(),
      checks: [DrillCheck.ec2StatusChecks()],
      check: lambda.Function.fromFunctionArn(s, 'Probe', PROBE),
    }));
    const d = Object.values(definitionsFrom(t, ctx))[0];
    expect(d.States.CheckServers.ItemProcessor.StartAt).toBe('StartInstanceStatusChecks');
    expect(d.States.CheckServers.ItemProcessor.States.InstanceStatusOk.Choices[2].Next).toBe('CheckServer');
    expect(d.States.CheckServers.ItemProcessor.States.CheckServer.Parameters.FunctionName).toBe(PROBE);
  });
});
