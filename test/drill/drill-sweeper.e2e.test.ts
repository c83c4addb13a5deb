/**
 * The bundled sweeper (assets/drill/drill-sweeper.lambda), run as Lambda would run it, against
 * the local DRS with the sweeper role's IAM from the synthesized template, after executions of a
 * drill were stopped mid-run (their drill instances launched, their launch actions on the
 * servers, no clean-up ran). Step Functions is a local endpoint (AWS_ENDPOINT_URL_SFN) that
 * answers DescribeExecution and ListExecutions from a table of execution statuses.
 *
 * Shows: every drill instance of the stopped executions terminated, and every launch action of
 * the drill removed once no execution runs; a running execution's instance and actions left
 * alone; a real recovery's instance of a drilled server (which the role's IAM could terminate
 * under the local DRS's reading, guess 43), another drill's instance, and the user's own launch
 * action untouched.
 */
import * as fs from 'fs';
import * as path from 'path';
import {
  CreateExtendedSourceServerCommand, DescribeRecoveryInstancesCommand, DrsClient, ListLaunchActionsCommand, PutLaunchActionCommand,
  StartRecoveryCommand,
} from '@aws-sdk/client-drs';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { LocalSfn, startLocalSfn } from './local-sfn';
import { DrillCheck, RecoveryDrill, StagingAccountExtension } from '../../src';
import { OwnerTags } from '../../src/contract';
import { DrillTags } from '../../src/contract/drill';
import { SWEEP_CONFIG_ENV, SweepResult } from '../../src/contract/drill-sweeper';
import { LocalDrs } from '../local-drs';
import { authorizerFromTemplate } from '../local-drs/iam';
import { CfnTemplate, resolveResourceProperties } from '../support/cfn-template';
import { BundleRun, runBundle } from '../support/run-bundle';

const ASSET_DIR = path.join(__dirname, '..', '..', 'assets', 'drill', 'drill-sweeper.lambda');
const REGION = 'us-east-1';
const TARGET = '222222222222';
const STAGING = '111111111111';
const STACK_ID = `arn:aws:cloudformation:${REGION}:${TARGET}:stack/DrillStack/11111111-2222-3333-4444-555555555555`;
const SM_NAME = 'DrillStateMachine-0123456789ab';
const SM_ARN = `arn:aws:states:${REGION}:${TARGET}:stateMachine:${SM_NAME}`;

describe('the bundled sweeper after executions were stopped mid-run', () => {
  let drs: LocalDrs;
  let target: DrsClient;
  let sfn: LocalSfn;
  const statuses: Record<string, string> = {};
  const ids: Record<string, string> = {};
  let drillTag: string;
  let actionId: string;
  let env: Record<string, string>;
  let authorize: ReturnType<typeof authorizerFromTemplate>;

  beforeAll(async () => {
    if (!fs.existsSync(path.join(ASSET_DIR, 'index.js'))) throw new Error(`the sweeper bundle is missing in ${ASSET_DIR}: run 'npx projen bundle' first`);
    const app = new App();
    const stack = new Stack(app, 'DrillStack', { env: { account: TARGET, region: REGION } });
    const extension = new StagingAccountExtension(stack, 'Ext', { stagingAccountId: STAGING });
    const construct = new RecoveryDrill(stack, 'Drill', {
      extensions: [extension], drillName: 'sweep-e2e', checks: [DrillCheck.ssmDocument({ documentName: 'AWS-RunShellScript' })],
    });
    drillTag = construct.drillTag;
    const template = Template.fromStack(stack).toJSON() as CfnTemplate;
    const smId = stack.getLogicalId(construct.stateMachine.node.defaultChild as any);
    const ctx = { account: TARGET, region: REGION, stackName: 'DrillStack', stackId: STACK_ID, attributes: { [smId]: { Name: SM_NAME, Arn: SM_ARN } }, physicalIds: { [smId]: SM_ARN } };
    const fnId = Object.keys(template.Resources!).find((id) => id.startsWith('DrillSweeperFunction') && template.Resources![id].Type === 'AWS::Lambda::Function')!;
    const fnProps = resolveResourceProperties(template, fnId, ctx) as any;
    const config = JSON.parse(fnProps.Environment.Variables[SWEEP_CONFIG_ENV]);
    [actionId] = config.LaunchActionIds;
    expect(config.StateMachineArn).toBe(SM_ARN);
    authorize = authorizerFromTemplate(template, stack.getLogicalId((construct.node.findChild('Sweeper').node.findChild('Role') as iam.Role).node.defaultChild as iam.CfnRole), ctx);
    const extLogicalId = stack.getLogicalId(extension.node.findChild('Resource').node.defaultChild as any);
    const owned = { [OwnerTags.STACK_ID]: STACK_ID, [OwnerTags.LOGICAL_ID]: extLogicalId };

    drs = await LocalDrs.start({ clock: 'manual', startTime: new Date('2026-12-01T06:00:00Z') });
    drs.addAccount(STAGING);
    drs.addAccount(TARGET);
    drs.setTrustEvaluator(() => ({ trusted: true }));
    target = new DrsClient({ ...drs.clientConfig(TARGET, REGION), maxAttempts: 1 });
    for (const [name, tags] of Object.entries({ a: owned, b: owned, c: owned, d: owned, foreign: { team: 'ops' } })) {
      const { arn } = drs.addReplicatingServer(STAGING, REGION, { hostname: `${name}.example` });
      ids[name] = (await target.send(new CreateExtendedSourceServerCommand({ sourceServerArn: arn, tags }))).sourceServer!.sourceServerID!;
    }
    const start = (servers: string[], tags: Record<string, string> | undefined, isDrill = true) =>
      target.send(new StartRecoveryCommand({ isDrill, sourceServers: servers.map((sourceServerID) => ({ sourceServerID })), tags }));
    const put = (server: string, id: string) => target.send(new PutLaunchActionCommand({
      resourceId: server,
      actionId: id,
      actionCode: 'AWS-RunShellScript',
      actionVersion: '$DEFAULT',
      category: 'VALIDATION',
      optional: false,
      active: true,
      order: 9001,
      name: 'check',
      description: 'put by the drill',
    }));
    // Execution `stopped` put its launch action on a, b and c, launched a and b, and was stopped (no clean-up ran).
    for (const s of ['a', 'b', 'c']) await put(ids[s], actionId);
    await start([ids.a, ids.b], { [DrillTags.DRILL]: drillTag, [DrillTags.EXECUTION]: 'stopped' });
    statuses.stopped = 'ABORTED';
    // Execution `running` of the same drill launched d and still runs.
    await start([ids.d], { [DrillTags.DRILL]: drillTag, [DrillTags.EXECUTION]: 'running' });
    statuses.running = 'RUNNING';
    // A person recovered c for real; another drill (same name, another stack) drilled the foreign server.
    await start([ids.c], undefined, false);
    await start([ids.foreign], { [DrillTags.DRILL]: 'sweep-e2e:ffffffffffffffff', [DrillTags.EXECUTION]: 'stopped' });
    // The user's own launch action on a stays.
    await put(ids.a, '11111111-2222-4333-8444-555555555555');
    drs.advanceTime(60 * 60 * 1000);
    drs.inventory(TARGET, REGION);
    sfn = await startLocalSfn({ region: REGION, account: TARGET, stateMachineName: SM_NAME }, statuses);
    expect(sfn.stateMachineArn).toBe(SM_ARN);
    const creds = drs.credentialsFor(TARGET);
    env = {
      PATH: process.env.PATH ?? '',
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: creds.accessKeyId,
      AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
      AWS_SESSION_TOKEN: 'local-session',
      AWS_ENDPOINT_URL_DRS: drs.endpoint,
      AWS_ENDPOINT_URL_SFN: sfn.url,
      [SWEEP_CONFIG_ENV]: fnProps.Environment.Variables[SWEEP_CONFIG_ENV],
    };
  }, 120_000);
  afterAll(async () => {
    target?.destroy();
    await sfn?.close();
    await drs?.stop();
  });

  async function sweepOnce(event: unknown): Promise<{ run: BundleRun; result: SweepResult; emf: any }> {
    drs.setAuthorizer(TARGET, authorize);
    let run: BundleRun;
    try {
      run = await runBundle(ASSET_DIR, env, event);
    } finally {
      drs.setAuthorizer(TARGET, undefined);
    }
    drs.advanceTime(60 * 60 * 1000);
    drs.inventory(TARGET, REGION);
    const lines = run.stdout.map((l) => { try { return JSON.parse(l); } catch { return undefined; } }).filter(Boolean);
    return { run, result: lines.find((l) => l.sweep)?.sweep, emf: lines.find((l) => l._aws) };
  }
  const instances = async () => (await target.send(new DescribeRecoveryInstancesCommand({ filters: {} }))).items ?? [];
  const actionsOn = async (server: string) =>
    ((await target.send(new ListLaunchActionsCommand({ resourceId: server }))).items ?? []).map((a) => a.actionId);

  test('on the ABORTED event: the stopped execution\'s instances terminated; the running one\'s, the recovery\'s, the other drill\'s kept; ' +
    'actions kept while one runs', async () => {
    const before = await instances();
    expect(before.map((i) => i.sourceServerID).sort()).toEqual([ids.a, ids.b, ids.c, ids.d, ids.foreign].sort());
    const event = {
      'version': '0',
      'source': 'aws.states',
      'detail-type': 'Step Functions Execution Status Change',
      'account': TARGET,
      'region': REGION,
      'detail': { executionArn: `${SM_ARN.replace(':stateMachine:', ':execution:')}:stopped`, stateMachineArn: SM_ARN, name: 'stopped', status: 'ABORTED', startDate: 1, stopDate: 2 },
    };
    const { run, result, emf } = await sweepOnce(event);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(result.trigger).toBe('ABORTED stopped');
    expect(result.instancesTerminated).toBe(2);
    expect(result.runningExecutions).toEqual(['running']);
    expect(emf).toMatchObject({ DrillName: 'sweep-e2e', SweptDrillInstances: 2, SweptLaunchActions: 0, SweepFailures: 0 });
    const after = await instances();
    expect(after.map((i) => i.sourceServerID).sort()).toEqual([ids.c, ids.d, ids.foreign].sort());
    expect(after.find((i) => i.sourceServerID === ids.c)!.isDrill).toBe(false);
    for (const s of ['a', 'b', 'c']) expect(await actionsOn(ids[s])).toContain(actionId);
  }, 120_000);

  test('on the schedule, once nothing runs: the rest terminated and every launch action of the drill removed; the user\'s action kept', async () => {
    statuses.running = 'TIMED_OUT';
    const { run, result, emf } = await sweepOnce({ 'detail-type': 'Scheduled Event', 'source': 'aws.events' });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(result.trigger).toBe('schedule');
    expect(result.instancesTerminated).toBe(1);
    expect(result.launchActionsRemoved.sort()).toEqual(['a', 'b', 'c'].map((s) => `${ids[s]}/${actionId}`).sort());
    expect(emf).toMatchObject({ SweptDrillInstances: 1, SweptLaunchActions: 3, SweepFailures: 0 });
    const after = await instances();
    // Only the real recovery's and the other drill's instances are left.
    expect(after.map((i) => i.sourceServerID).sort()).toEqual([ids.c, ids.foreign].sort());
    for (const s of ['a', 'b', 'c', 'd']) expect(await actionsOn(ids[s])).not.toContain(actionId);
    expect(await actionsOn(ids.a)).toEqual(['11111111-2222-4333-8444-555555555555']);
  }, 120_000);

  test('a third run has nothing to do and says so in its metrics', async () => {
    const { run, emf } = await sweepOnce({ 'detail-type': 'Scheduled Event', 'source': 'aws.events' });
    expect(run.code).toBe(0);
    expect(emf).toMatchObject({ SweptDrillInstances: 0, SweptLaunchActions: 0, SweepFailures: 0 });
    expect(sfn.targets.every((t) => ['AWSStepFunctions.DescribeExecution', 'AWSStepFunctions.ListExecutions'].includes(t))).toBe(true);
  }, 120_000);
});
