/**
 * The drill's sweeper as synthesized: its rule on the state machine's status changes, its
 * schedule, its configuration, its alarm; its role in the IAM simulator (least privilege); the
 * drill's tag unique to the drill (two drills named `same`); the terminate grant limited to the
 * drilled servers; cdk-nag packs without unacknowledged findings; cfn-lint.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { DrillCheck, ExtendedSourceServer, RecoveryDrill, RecoveryDrillProps, StagingAccountExtension } from '../../src';
import { OwnerTags } from '../../src/contract';
import { DrillTags } from '../../src/contract/drill';
import { SWEEP_CONFIG_ENV } from '../../src/contract/drill-sweeper';
import { authorizerFromTemplate } from '../local-drs/iam';
import { CfnTemplate } from '../support/cfn-template';
import { allPacks } from '../support/check-nag-packs';

const ACCOUNT = '222222222222';
const REGION = 'us-east-1';
const STACK_ID = `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/Target/11111111-2222-3333-4444-555555555555`;
const STAGING_ARN = (n: number) => `arn:aws:drs:${REGION}:111111111111:source-server/s-1234567890abcdef${n}`;
const serverArn = (id: string) => `arn:aws:drs:${REGION}:${ACCOUNT}:source-server/${id}`;
const instanceArn = (id: string) => `arn:aws:drs:${REGION}:${ACCOUNT}:recovery-instance/${id}`;
const resourceTags = (tags: Record<string, string>) => Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:ResourceTag/${k}`, v]));

interface Built { stack: Stack; drill: RecoveryDrill; template: CfnTemplate; web: ExtendedSourceServer; db: ExtendedSourceServer }

function build(props: (b: { stack: Stack; web: ExtendedSourceServer; db: ExtendedSourceServer }) => RecoveryDrillProps, stackName = 'Target'): Built {
  const stack = new Stack(new App(), stackName, { env: { account: ACCOUNT, region: REGION } });
  const web = new ExtendedSourceServer(stack, 'Web', { stagingSourceServerArn: STAGING_ARN(1) });
  const db = new ExtendedSourceServer(stack, 'Db', { stagingSourceServerArn: STAGING_ARN(2) });
  const drill = new RecoveryDrill(stack, 'Drill', props({ stack, web, db }));
  return { stack, drill, web, db, template: Template.fromStack(stack).toJSON() as CfnTemplate };
}

const SM_NAME = 'DrillStateMachine-0123456789ab';

function allowedFor(b: Built, role: iam.IRole, attributes: Record<string, Record<string, string>> = {}) {
  const authorize = authorizerFromTemplate(b.template, b.stack.getLogicalId(role.node.defaultChild as iam.CfnRole),
    {
      account: ACCOUNT,
      region: REGION,
      stackName: b.stack.stackName,
      stackId: STACK_ID,
      attributes: {
        [stateMachineId(b)]: { Name: SM_NAME },
        [logicalIdOf(b.web)]: { SourceServerArn: serverArn('s-0000000000000000a'), SourceServerId: 's-0000000000000000a' },
        [logicalIdOf(b.db)]: { SourceServerArn: serverArn('s-0000000000000000b'), SourceServerId: 's-0000000000000000b' },
        ...attributes,
      },
    });
  return (action: string, resource: string, context: Record<string, string | string[]> = {}) =>
    authorize({ action, resource, account: ACCOUNT, region: REGION, context }).allowed;
}

const logicalIdOf = (s: ExtendedSourceServer) => Stack.of(s).getLogicalId(s.node.defaultChild!.node.defaultChild as any);
const sweeperRole = (drill: RecoveryDrill) => drill.node.findChild('Sweeper').node.findChild('Role') as iam.Role;
const sweeperFunctionId = (b: Built) => Object.keys(b.template.Resources!).find((id) => id.startsWith('DrillSweeperFunction') && b.template.Resources![id].Type === 'AWS::Lambda::Function')!;
const stateMachineId = (b: Built) => Object.keys(b.template.Resources!).find((id) => b.template.Resources![id].Type === 'AWS::StepFunctions::StateMachine')!;

describe('rules, configuration and alarm', () => {
  const b = build(({ web, db }) => ({ servers: [web, db], drillName: 'nightly', checks: [DrillCheck.ssmDocument({ documentName: 'AWS-RunShellScript' })] }));
  const t = Template.fromJSON(b.template);

  test("a rule on the state machine's ABORTED, TIMED_OUT and FAILED status changes invokes the sweeper", () => {
    t.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        'detail': { stateMachineArn: [{ Ref: stateMachineId(b) }], status: ['ABORTED', 'TIMED_OUT', 'FAILED'] },
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [sweeperFunctionId(b), 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 } })],
    });
  });

  test('an hourly schedule invokes it too', () => {
    t.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 hour)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [sweeperFunctionId(b), 'Arn'] } })],
    });
  });

  test("configured with the drill's tag value, state machine, launch action ids and servers; one at a time", () => {
    const fn = b.template.Resources![sweeperFunctionId(b)].Properties as any;
    expect(fn.ReservedConcurrentExecutions).toBe(1);
    const raw = fn.Environment.Variables[SWEEP_CONFIG_ENV];
    const text = JSON.stringify(raw);
    expect(text).toContain(b.drill.drillTag);
    expect(text).toContain(stateMachineId(b));
    const actionId = b.template.Resources![stateMachineId(b)].Properties!.DefinitionString;
    const ids = [...JSON.stringify(actionId).matchAll(/"ActionId\\*":\s*\\*"([0-9a-f-]{36})/g)].map((m) => m[1]);
    expect(ids.length).toBeGreaterThan(0);
    for (const id of ids) expect(text).toContain(id);
  });

  test('an alarm when it had to act or failed, with the drill\'s topic', () => {
    const stack = new Stack(new App(), 'T', { env: { account: ACCOUNT, region: REGION } });
    const topic = new sns.Topic(stack, 'Topic');
    const drill = new RecoveryDrill(stack, 'Drill', { servers: [new ExtendedSourceServer(stack, 'W', { stagingSourceServerArn: STAGING_ARN(1) })], drillName: 'm', topic });
    const tt = Template.fromStack(stack);
    expect(drill.cleanupAlarm).toBeDefined();
    tt.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: stack.getLogicalId(topic.node.defaultChild as any) }],
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'FILL(terminated, 0) + FILL(removed, 0) + FILL(failures, 0) + FILL(errors, 0)' }),
        Match.objectLike({ MetricStat: Match.objectLike({ Metric: { MetricName: 'SweptDrillInstances', Namespace: 'CdkDrsMultiAccount', Dimensions: [{ Name: 'DrillName', Value: 'm' }] } }) }),
        Match.objectLike({ MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'Errors', Namespace: 'AWS/Lambda' }) }) }),
      ]),
    });
  });
});

describe("the sweeper's role (IAM simulator)", () => {
  const b = build(({ web }) => ({ servers: [web], drillName: 'nightly', checks: [DrillCheck.ssmDocument({ documentName: 'AWS-RunShellScript' })] }));
  const webId = logicalIdOf(b.web);
  const allowed = allowedFor(b, sweeperRole(b.drill), { [webId]: { SourceServerArn: serverArn('s-0000000000000000a'), SourceServerId: 's-0000000000000000a' } });
  const ownedBy = (logicalId: string) => ({ [OwnerTags.STACK_ID]: STACK_ID, [OwnerTags.LOGICAL_ID]: logicalId });

  test("terminates instances with the drill's tag value, or the drilled server's own tags; nothing else", () => {
    expect(allowed('drs:TerminateRecoveryInstances', instanceArn('i-0123456789abcdef0'), resourceTags({ [DrillTags.DRILL]: b.drill.drillTag }))).toBe(true);
    expect(allowed('drs:TerminateRecoveryInstances', instanceArn('i-0123456789abcdef0'), resourceTags(ownedBy(webId)))).toBe(true);
    expect(allowed('drs:TerminateRecoveryInstances', instanceArn('i-0123456789abcdef0'), resourceTags({ [DrillTags.DRILL]: 'nightly' }))).toBe(false);
    expect(allowed('drs:TerminateRecoveryInstances', instanceArn('i-0123456789abcdef0'))).toBe(false);
  });

  test('reads DRS, its own executions; removes launch actions of the drilled server only', () => {
    for (const action of ['drs:DescribeJobs', 'drs:DescribeRecoveryInstances', 'drs:DescribeSourceServers']) expect(allowed(action, '*')).toBe(true);
    expect(allowed('states:DescribeExecution', `arn:aws:states:${REGION}:${ACCOUNT}:execution:${SM_NAME}:exec-1`)).toBe(true);
    expect(allowed('states:DescribeExecution', `arn:aws:states:${REGION}:${ACCOUNT}:execution:OtherMachine:exec-1`)).toBe(false);
    expect(allowed('drs:DeleteLaunchAction', serverArn('s-0000000000000000a'))).toBe(true);
    expect(allowed('drs:ListLaunchActions', serverArn('s-0000000000000000a'))).toBe(true);
    expect(allowed('drs:DeleteLaunchAction', serverArn('s-0000000000000000b'))).toBe(false);
  });

  test('cannot start, tag, put launch actions, or stop executions', () => {
    expect(allowed('drs:StartRecovery', serverArn('s-0000000000000000a'), { [`aws:RequestTag/${DrillTags.DRILL}`]: b.drill.drillTag })).toBe(false);
    expect(allowed('drs:TagResource', instanceArn('i-0123456789abcdef0'))).toBe(false);
    expect(allowed('drs:PutLaunchAction', serverArn('s-0000000000000000a'))).toBe(false);
    expect(allowed('states:StopExecution', '*')).toBe(false);
    expect(allowed('states:StartExecution', '*')).toBe(false);
  });

  test('the statements name the state machine and its executions, nothing wider', () => {
    const policy = Object.values(b.template.Resources!).find((r) => r.Type === 'AWS::IAM::Policy' &&
      JSON.stringify(r.Properties!.Roles).includes(b.stack.getLogicalId(sweeperRole(b.drill).node.defaultChild as iam.CfnRole)))!;
    const statements = (policy.Properties!.PolicyDocument as any).Statement as any[];
    const bySid = Object.fromEntries(statements.filter((s) => s.Sid).map((s) => [s.Sid, s]));
    expect(bySid.ListRunningDrillExecutions.Resource).toEqual({ Ref: stateMachineId(b) });
    expect(JSON.stringify(bySid.ReadDrillExecutions.Resource)).toContain(`"${stateMachineId(b)}","Name"`);
    expect(JSON.stringify(bySid.ReadDrillExecutions.Resource)).toContain(':execution:');
  });

  test('without SSM document checks, no launch action permission', () => {
    const plain = build(({ web }) => ({ servers: [web] }));
    const may = allowedFor(plain, sweeperRole(plain.drill), { [logicalIdOf(plain.web)]: { SourceServerArn: serverArn('s-0000000000000000a'), SourceServerId: 's-0000000000000000a' } });
    expect(may('drs:DeleteLaunchAction', serverArn('s-0000000000000000a'))).toBe(false);
  });
});

describe('issue 16 item 8: the tag value and the terminate grant', () => {
  test('two drills named `same` in two stacks have different tag values, and neither role may terminate the other\'s instances', () => {
    const one = build(({ web }) => ({ servers: [web], drillName: 'same' }), 'One');
    const two = build(({ web }) => ({ servers: [web], drillName: 'same' }), 'Two');
    expect(one.drill.drillName).toBe(two.drill.drillName);
    expect(one.drill.drillTag).not.toBe(two.drill.drillTag);
    expect(one.drill.drillTag).toMatch(/^same:[0-9a-f]{16}$/);
    for (const role of [one.drill.role, sweeperRole(one.drill)]) {
      const allowed = allowedFor(one, role);
      expect(allowed('drs:TerminateRecoveryInstances', instanceArn('i-0123456789abcdef0'), resourceTags({ [DrillTags.DRILL]: one.drill.drillTag }))).toBe(true);
      expect(allowed('drs:TerminateRecoveryInstances', instanceArn('i-0123456789abcdef0'), resourceTags({ [DrillTags.DRILL]: two.drill.drillTag }))).toBe(false);
    }
    // And the state machine starts its jobs with its own value only.
    const start = allowedFor(one, one.drill.role);
    const tags = (v: string) => ({ [`aws:RequestTag/${DrillTags.DRILL}`]: v, [`aws:RequestTag/${DrillTags.EXECUTION}`]: 'e', 'aws:TagKeys': [DrillTags.DRILL, DrillTags.EXECUTION] });
    const web = serverArn('s-0000000000000000a');
    const oneWithServer = allowedFor(one, one.drill.role, { [logicalIdOf(one.web)]: { SourceServerArn: web, SourceServerId: 's-0000000000000000a' } });
    expect(oneWithServer('drs:StartRecovery', web, tags(one.drill.drillTag))).toBe(true);
    expect(oneWithServer('drs:StartRecovery', web, tags(two.drill.drillTag))).toBe(false);
    void start;
  });

  test('the same drill synthesizes the same tag value every time (instances of earlier executions stay covered)', () => {
    const a = build(({ web }) => ({ servers: [web], drillName: 'n' }));
    const b = build(({ web }) => ({ servers: [web], drillName: 'n' }));
    expect(a.drill.drillTag).toBe(b.drill.drillTag);
  });

  test('declared servers: the terminate grant covers the drilled servers, not every server of their stack', () => {
    const b = build(({ web }) => ({ servers: [web], drillName: 'n' }));
    for (const role of [b.drill.role, sweeperRole(b.drill)]) {
      const allowed = allowedFor(b, role);
      const instanceOf = (logicalId: string) => resourceTags({ [OwnerTags.STACK_ID]: STACK_ID, [OwnerTags.LOGICAL_ID]: logicalId });
      expect(allowed('drs:TerminateRecoveryInstances', instanceArn('i-0123456789abcdef0'), instanceOf(logicalIdOf(b.web)))).toBe(true);
      // Db is in the same stack and is not drilled: its (real) recovery instance is out of reach.
      expect(allowed('drs:TerminateRecoveryInstances', instanceArn('i-0123456789abcdef0'), instanceOf(logicalIdOf(b.db)))).toBe(false);
    }
  });
});

describe('cdk-nag and cfn-lint', () => {
  const cases: Array<[string, (x: { stack: Stack; web: ExtendedSourceServer; db: ExtendedSourceServer }) => RecoveryDrillProps]> = [
    ['servers with an SSM check', ({ web, db }) => ({ servers: [web, db], checks: [DrillCheck.ssmDocument({ documentName: 'AWS-RunShellScript' })] })],
    ['an extension with an SSM check', ({ stack }) => ({
      extensions: [new StagingAccountExtension(stack, 'Ext', { stagingAccountId: '111111111111' })],
      checks: [DrillCheck.ssmDocument({ documentName: 'AWS-RunShellScript' })],
    })],
  ];

  test.each(cases)('%s: no unacknowledged finding on the sweeper under the five packs', (_name, props) => {
    const b = build(props);
    const open = allPacks().flatMap((pack) => pack.validateScope(b.stack).violations
      .flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`)))
      .filter((f) => f.includes('/Sweeper/'));
    expect(open).toEqual([]);
  });

  const lint = (() => {
    try {
      execFileSync('cfn-lint', ['--version'], { stdio: 'ignore' });
      return test;
    } catch {
      return test.skip;
    }
  })();
  lint('the template is cfn-lint clean (no errors)', () => {
    const b = build(cases[0][1]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sweeper-lint-'));
    const file = path.join(dir, 'template.json');
    fs.writeFileSync(file, JSON.stringify(b.template));
    let out = '';
    let code = 0;
    try {
      out = execFileSync('cfn-lint', ['--format', 'parseable', file], { encoding: 'utf8' });
    } catch (err) {
      out = String((err as { stdout?: string }).stdout ?? '');
      code = (err as { status?: number }).status ?? 1;
    }
    // cfn-lint's exit code: bit 2 = errors (warnings and informational findings are bits 4 and 8).
    expect({ errors: Math.floor(code / 2) % 2, out: out.split('\n').filter((l) => /:E\d/.test(l)) }).toEqual({ errors: 0, out: [] });
  }, 120_000);
});
