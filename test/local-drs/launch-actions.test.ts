/**
 * Launch actions of the local DRS through the real @aws-sdk/client-drs: PutLaunchAction,
 * ListLaunchActions, DeleteLaunchAction, the runs DescribeJobs reports for launched servers
 * (timing, faults, the two readings), and the EC2 status fake over its recovery instances.
 */
import {
  CreateExtendedSourceServerCommand, DeleteLaunchActionCommand, DescribeJobsCommand, DrsClient, ListLaunchActionsCommand,
  PutLaunchActionCommand, PutLaunchActionCommandInput, StartRecoveryCommand,
} from '@aws-sdk/client-drs';
import { Ec2InstanceStatus } from './ec2-status';
import { client, errorOf, REGION, startWithAccounts, TARGET } from './helpers';
import { LocalDrs } from './index';

const START = new Date('2026-01-05T10:00:00.000Z');
const ACTION_ID = '0a1b2c3d-0000-4000-8000-000000000001';

let drs: LocalDrs | undefined;
afterEach(async () => {
  await drs?.stop();
  drs = undefined;
});

async function setUp(): Promise<{ target: DrsClient; id: string }> {
  const started = await startWithAccounts({ clock: 'manual', startTime: START });
  drs = started.drs;
  const target = client(drs, TARGET);
  const created = await target.send(new CreateExtendedSourceServerCommand({ sourceServerArn: started.staging.arn }));
  drs.recovery.configure({ startSeconds: 30, launchSeconds: 300 });
  return { target, id: created.sourceServer!.sourceServerID! };
}

function action(resourceId: string, extra: Partial<PutLaunchActionCommandInput> = {}): PutLaunchActionCommandInput {
  return {
    resourceId,
    actionId: ACTION_ID,
    actionCode: 'AWS-RunShellScript',
    actionVersion: '$DEFAULT',
    category: 'VALIDATION',
    optional: false,
    active: true,
    order: 9001,
    name: 'check',
    description: 'a drill check',
    ...extra,
  };
}

async function runsOf(target: DrsClient, jobID: string) {
  const r = await target.send(new DescribeJobsCommand({ filters: { jobIDs: [jobID] } }));
  return r.items![0].participatingServers![0].launchActionsStatus?.runs;
}

async function drillOf(target: DrsClient, id: string): Promise<string> {
  return (await target.send(new StartRecoveryCommand({ isDrill: true, sourceServers: [{ sourceServerID: id }] }))).job!.jobID!;
}

test('put (idempotent by actionId), list (filter), delete; unknown ids are ResourceNotFoundException', async () => {
  const { target, id } = await setUp();
  const put = await target.send(new PutLaunchActionCommand(action(id, { parameters: { commands: { value: 'uptime', type: 'DYNAMIC' } } })));
  expect(put).toMatchObject({ resourceId: id, actionId: ACTION_ID, type: 'SSM_COMMAND', category: 'VALIDATION' });
  await target.send(new PutLaunchActionCommand(action(id, { order: 9002 })));
  const listed = await target.send(new ListLaunchActionsCommand({ resourceId: id, filters: { actionIds: [ACTION_ID] } }));
  expect(listed.items).toHaveLength(1);
  expect(listed.items![0].order).toBe(9002);
  await target.send(new DeleteLaunchActionCommand({ resourceId: id, actionId: ACTION_ID }));
  expect((await target.send(new ListLaunchActionsCommand({ resourceId: id }))).items).toEqual([]);
  expect((await errorOf(target.send(new DeleteLaunchActionCommand({ resourceId: id, actionId: ACTION_ID })))).name).toBe('ResourceNotFoundException');
  expect((await errorOf(target.send(new PutLaunchActionCommand(action('s-00000000000000000'))))).name).toBe('ResourceNotFoundException');
  // The model's patterns: an actionId must be a UUID.
  expect((await errorOf(target.send(new PutLaunchActionCommand(action(id, { actionId: 'not-a-uuid' }))))).name).toBe('ValidationException');
});

test('a drill reports an IN_PROGRESS run at the launch, SUCCEEDED runSeconds later; an inactive action gets none', async () => {
  const { target, id } = await setUp();
  await target.send(new PutLaunchActionCommand(action(id)));
  await target.send(new PutLaunchActionCommand(action(id, { actionId: '0a1b2c3d-0000-4000-8000-000000000002', active: false })));
  const jobID = await drillOf(target, id);
  drs!.advanceTime(330_000);
  const runs = await runsOf(target, jobID);
  expect(runs).toHaveLength(1);
  expect(runs![0]).toMatchObject({ status: 'IN_PROGRESS', action: { actionId: ACTION_ID, actionCode: 'AWS-RunShellScript' }, runId: expect.any(String) });
  drs!.advanceTime(120_000);
  expect((await runsOf(target, jobID))![0].status).toBe('SUCCEEDED');
});

test('faults: failRuns gives FAILED with the reason; slowRuns delays the end', async () => {
  const { target, id } = await setUp();
  await target.send(new PutLaunchActionCommand(action(id)));
  drs!.recovery.launchActions.failRuns(id, 'exit 1').slowRuns(id, 60);
  const jobID = await drillOf(target, id);
  drs!.advanceTime(330_000 + 120_000);
  expect((await runsOf(target, jobID))![0].status).toBe('IN_PROGRESS');
  drs!.advanceTime(60_000);
  expect((await runsOf(target, jobID))![0]).toMatchObject({ status: 'FAILED', failureReason: 'exit 1' });
});

test('readings: runOnDrills false reports no runs for drills; jobWaitsForRuns keeps the job STARTED until the runs ended', async () => {
  const { target, id } = await setUp();
  await target.send(new PutLaunchActionCommand(action(id)));
  drs!.recovery.launchActions.configure({ runOnDrills: false });
  const first = await drillOf(target, id);
  drs!.advanceTime(400_000);
  expect(await runsOf(target, first)).toBeUndefined();
  drs!.recovery.launchActions.configure({ runOnDrills: true, jobWaitsForRuns: true });
  drs!.removeRecoveryInstance(TARGET, REGION, id);
  const second = await drillOf(target, id);
  drs!.advanceTime(330_000);
  const status = async () => (await target.send(new DescribeJobsCommand({ filters: { jobIDs: [second] } }))).items![0].status;
  expect(await status()).toBe('STARTED');
  drs!.advanceTime(120_000);
  expect(await status()).toBe('COMPLETED');
});

test('EC2 status fake: initializing, then ok; impaired; unknown ids', async () => {
  const { target, id } = await setUp();
  const ec2 = new Ec2InstanceStatus(drs!, TARGET, REGION, { okAfterSeconds: 180 });
  await drillOf(target, id);
  drs!.advanceTime(330_000);
  const instanceId = drs!.recovery.instances(TARGET, REGION)[0].id;
  const status = () => (ec2.describeInstanceStatus({ InstanceIds: [instanceId], IncludeAllInstances: true }).InstanceStatuses[0] as any);
  expect(status()).toMatchObject({ InstanceId: instanceId, InstanceStatus: { Status: 'initializing' }, SystemStatus: { Status: 'initializing' } });
  drs!.advanceTime(180_000);
  expect(status()).toMatchObject({ InstanceStatus: { Status: 'ok' }, SystemStatus: { Status: 'ok' } });
  ec2.impair(id);
  expect(status()).toMatchObject({ InstanceStatus: { Status: 'impaired' }, SystemStatus: { Status: 'ok' } });
  expect(() => ec2.describeInstanceStatus({ InstanceIds: ['i-00000000000000000'] })).toThrow(expect.objectContaining({ name: 'Ec2.InvalidInstanceIDNotFound' }));
});
