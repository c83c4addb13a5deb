/**
 * The sweeper's logic over mocked DRS and Step Functions clients: what it terminates (drill
 * instances of this drill's ended executions only), what it leaves (running executions, other
 * drills, recoveries, hand launches), launch actions only while nothing runs, and its failures.
 */
import {
  DeleteLaunchActionCommand, DescribeJobsCommand, DescribeRecoveryInstancesCommand, DescribeSourceServersCommand, DrsClient, Job,
  ListLaunchActionsCommand, RecoveryInstance, TerminateRecoveryInstancesCommand,
} from '@aws-sdk/client-drs';
import { DescribeExecutionCommand, ExecutionDoesNotExist, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { executionArn } from '../../../src/aws/sfn/executions';
import { DrillTags } from '../../../src/contract/drill';
import { SweepConfig } from '../../../src/contract/drill-sweeper';
import { drillJobsByExecution, instancesOfJobs, sweep, sweepEmfLine, triggerOf } from '../../../src/drill/runtime/sweep';

const SM = 'arn:aws:states:us-east-1:222222222222:stateMachine:Drill';
const TAG = 'nightly:0123456789abcdef';
const config: SweepConfig = { DrillName: 'nightly', DrillTag: TAG, StateMachineArn: SM, LaunchActionIds: [], Targets: { SourceServerIds: ['s-a', 's-b', 's-c'] } };

const job = (jobID: string, execution: string | undefined, servers: string[], extra: Partial<Job> = {}): Job => ({
  jobID,
  type: 'LAUNCH',
  initiatedBy: 'START_DRILL',
  status: 'COMPLETED',
  tags: { [DrillTags.DRILL]: TAG, ...(execution ? { [DrillTags.EXECUTION]: execution } : {}) },
  participatingServers: servers.map((sourceServerID) => ({ sourceServerID, launchStatus: 'LAUNCHED' })),
  ...extra,
});
const instance = (recoveryInstanceID: string, jobID: string | undefined, sourceServerID: string, isDrill = true): RecoveryInstance =>
  ({ recoveryInstanceID, jobID, sourceServerID, isDrill });

function mocks(jobs: Job[], instances: RecoveryInstance[], statuses: Record<string, string>) {
  const drs = mockClient(DrsClient);
  const sfn = mockClient(SFNClient);
  drs.on(DescribeJobsCommand).resolves({ items: jobs });
  drs.on(DescribeRecoveryInstancesCommand).resolves({ items: instances });
  drs.on(TerminateRecoveryInstancesCommand).resolves({ job: { jobID: 'drsjob-terminate' } });
  drs.on(DescribeSourceServersCommand).resolves({ items: [{ sourceServerID: 's-a' }, { sourceServerID: 's-b' }, { sourceServerID: 's-c' }] });
  drs.on(ListLaunchActionsCommand).resolves({ items: [] });
  for (const [name, status] of Object.entries(statuses)) {
    if (status === 'GONE') sfn.on(DescribeExecutionCommand, { executionArn: executionArn(SM, name) }).rejects(new ExecutionDoesNotExist({ message: 'gone', $metadata: {} }));
    else sfn.on(DescribeExecutionCommand, { executionArn: executionArn(SM, name) }).resolves({ status: status as any });
  }
  sfn.on(ListExecutionsCommand).resolves({
    executions: Object.entries(statuses).filter(([, s]) => s === 'RUNNING').map(([name]) => ({ name } as any)),
  });
  return { drs, sfn, deps: { drs: new DrsClient({ region: 'us-east-1' }), sfn: new SFNClient({ region: 'us-east-1' }) } };
}

const terminated = (drs: ReturnType<typeof mockClient>) =>
  drs.commandCalls(TerminateRecoveryInstancesCommand).flatMap((c) => c.args[0].input.recoveryInstanceIDs ?? []).sort();

afterEach(() => {
  mockClient(DrsClient).restore();
  mockClient(SFNClient).restore();
});

test('the execution ARN of a state machine execution', () => {
  expect(executionArn(SM, 'exec-1')).toBe('arn:aws:states:us-east-1:222222222222:execution:Drill:exec-1');
  expect(executionArn('arn:aws-us-gov:states:us-gov-west-1:222222222222:stateMachine:D', 'x')).toBe('arn:aws-us-gov:states:us-gov-west-1:222222222222:execution:D:x');
  expect(() => executionArn('arn:aws:lambda:us-east-1:2:function:f', 'x')).toThrow('not a state machine ARN');
});

test("the drill's launch jobs by execution: this drill's tag, an execution tag, LAUNCH only", () => {
  const jobs = [
    job('j1', 'e1', ['s-a']),
    job('j2', 'e1', ['s-b']),
    job('j3', 'e2', ['s-c']),
    job('j4', 'e3', ['s-a'], { type: 'TERMINATE' }),
    job('j5', undefined, ['s-a']),
    job('j6', 'e4', ['s-a'], { tags: { [DrillTags.DRILL]: 'nightly', [DrillTags.EXECUTION]: 'e4' } }), // same name, another stack
  ];
  const by = drillJobsByExecution(jobs, TAG);
  expect([...by.keys()]).toEqual(['e1', 'e2']);
  expect(by.get('e1')!.map((j) => j.jobID)).toEqual(['j1', 'j2']);
});

test('instances of the jobs: isDrill, the job one of them, the server a participant of it', () => {
  const jobs = [job('j1', 'e1', ['s-a', 's-b'])];
  const all = [
    instance('i-1', 'j1', 's-a'),
    instance('i-2', 'j1', 's-b', false), // a recovery's instance
    instance('i-3', 'j9', 's-a'), // another job's
    instance('i-4', undefined, 's-b'), // launched by hand
    instance('i-5', 'j1', 's-c'), // not a participant of j1
  ];
  expect(instancesOfJobs(all, jobs).map((i) => i.recoveryInstanceID)).toEqual(['i-1']);
});

test('terminates the drill instances of ended executions, whatever ended them, and nothing else', async () => {
  const jobs = [
    job('j1', 'aborted', ['s-a']), job('j2', 'timed-out', ['s-b']), job('j3', 'failed', ['s-c']), job('j4', 'gone', ['s-d']),
    job('j5', 'running', ['s-e']),
    job('j6', 'other', ['s-f'], { tags: { [DrillTags.DRILL]: 'another-drill', [DrillTags.EXECUTION]: 'other' } }),
  ];
  const instances = [
    instance('i-1', 'j1', 's-a'), instance('i-2', 'j2', 's-b'), instance('i-3', 'j3', 's-c'), instance('i-4', 'j4', 's-d'),
    instance('i-5', 'j5', 's-e'), instance('i-6', 'j6', 's-f'),
    instance('i-7', 'drsjob-real', 's-a', false),
  ];
  const { drs, deps } = mocks(jobs, instances, { 'aborted': 'ABORTED', 'timed-out': 'TIMED_OUT', 'failed': 'FAILED', 'gone': 'GONE', 'running': 'RUNNING' });
  const result = await sweep(deps, config, 'schedule');
  expect(terminated(drs)).toEqual(['i-1', 'i-2', 'i-3', 'i-4']);
  expect(result.instancesTerminated).toBe(4);
  expect(result.runningExecutions).toEqual(['running']);
  expect(result.executions.map((e) => `${e.executionName} ${e.status}`).sort()).toEqual(['aborted ABORTED', 'failed FAILED', 'gone GONE', 'timed-out TIMED_OUT']);
  expect(result.failures).toEqual([]);
});

test('an execution whose status cannot be read is left alone and reported', async () => {
  const { drs, sfn, deps } = mocks([job('j1', 'e1', ['s-a'])], [instance('i-1', 'j1', 's-a')], {});
  sfn.on(DescribeExecutionCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
  const result = await sweep(deps, config, 'schedule');
  expect(terminated(drs)).toEqual([]);
  expect(result.failures).toEqual([expect.stringContaining('execution e1: could not read its status, nothing of it touched (AccessDeniedException: denied)')]);
});

test('nothing to do: no DescribeExecution, no terminate, zeros in the metrics', async () => {
  const { drs, sfn, deps } = mocks([job('j1', 'done', ['s-a'])], [instance('i-9', 'drsjob-real', 's-a', false)], { done: 'SUCCEEDED' });
  const result = await sweep(deps, config, 'schedule');
  expect(sfn.commandCalls(DescribeExecutionCommand)).toHaveLength(0);
  expect(drs.commandCalls(TerminateRecoveryInstancesCommand)).toHaveLength(0);
  const emf = JSON.parse(sweepEmfLine(result, 1000));
  expect(emf).toMatchObject({ DrillName: 'nightly', SweptDrillInstances: 0, SweptLaunchActions: 0, SweepFailures: 0 });
  expect(emf._aws.CloudWatchMetrics[0]).toEqual({
    Namespace: 'CdkDrsMultiAccount',
    Dimensions: [['DrillName']],
    Metrics: [{ Name: 'SweptDrillInstances', Unit: 'Count' }, { Name: 'SweptLaunchActions', Unit: 'Count' }, { Name: 'SweepFailures', Unit: 'Count' }],
  });
});

test('terminates in batches of 100, and a failed batch does not stop the next', async () => {
  const servers = Array.from({ length: 250 }, (_, n) => `s-${n}`);
  const jobs = [job('j1', 'e1', servers)];
  const instances = servers.map((s, n) => instance(`i-${String(n).padStart(3, '0')}`, 'j1', s));
  const { drs, deps } = mocks(jobs, instances, { e1: 'ABORTED' });
  drs.on(TerminateRecoveryInstancesCommand).rejectsOnce(Object.assign(new Error('quota'), { name: 'ServiceQuotaExceededException' }))
    .resolves({ job: { jobID: 'drsjob-t' } });
  const result = await sweep(deps, config, 'schedule');
  expect(drs.commandCalls(TerminateRecoveryInstancesCommand).map((c) => c.args[0].input.recoveryInstanceIDs!.length)).toEqual([100, 100, 50]);
  expect(result.instancesTerminated).toBe(150);
  expect(result.failures).toEqual([expect.stringContaining('ServiceQuotaExceededException')]);
});

describe('launch actions', () => {
  const withActions: SweepConfig = { ...config, LaunchActionIds: ['aaaaaaaa-0000-4000-8000-000000000001'] };
  const [ACTION] = withActions.LaunchActionIds;

  test('removed from the targets and the servers of the jobs when no execution runs; others ignored', async () => {
    const { drs, deps } = mocks([job('j1', 'e1', ['s-z'])], [], { e1: 'ABORTED' });
    drs.on(ListLaunchActionsCommand).callsFake((input) => ({
      items: ['s-a', 's-z'].includes(input.resourceId) ? [{ actionId: ACTION }, { actionId: 'users-own-action' }] : [],
    }));
    const result = await sweep(deps, withActions, 'schedule');
    expect(drs.commandCalls(ListLaunchActionsCommand).map((c) => c.args[0].input.resourceId)).toEqual(['s-a', 's-b', 's-c', 's-z']);
    expect(drs.commandCalls(DeleteLaunchActionCommand).map((c) => c.args[0].input)).toEqual([
      { resourceId: 's-a', actionId: ACTION }, { resourceId: 's-z', actionId: ACTION },
    ]);
    expect(result.launchActionsRemoved).toEqual([`s-a/${ACTION}`, `s-z/${ACTION}`]);
  });

  test('left while an execution of the drill runs', async () => {
    const { drs, deps } = mocks([job('j1', 'e1', ['s-a'])], [], { e1: 'RUNNING' });
    drs.on(ListLaunchActionsCommand).resolves({ items: [{ actionId: ACTION }] });
    const result = await sweep(deps, withActions, 'schedule');
    expect(drs.commandCalls(ListLaunchActionsCommand)).toHaveLength(0);
    expect(drs.commandCalls(DeleteLaunchActionCommand)).toHaveLength(0);
    expect(result.launchActionsRemoved).toEqual([]);
  });

  test('an action already gone is no failure; another error is', async () => {
    const { drs, deps } = mocks([], [], {});
    drs.on(ListLaunchActionsCommand).resolves({ items: [{ actionId: ACTION }] });
    drs.on(DeleteLaunchActionCommand, { resourceId: 's-a' }).rejects(Object.assign(new Error('gone'), { name: 'ResourceNotFoundException' }));
    drs.on(DeleteLaunchActionCommand, { resourceId: 's-b' }).rejects(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));
    drs.on(DeleteLaunchActionCommand, { resourceId: 's-c' }).resolves({});
    const result = await sweep(deps, withActions, 'schedule');
    expect(result.launchActionsRemoved).toEqual([`s-c/${ACTION}`]);
    expect(result.failures).toEqual([expect.stringContaining('server s-b: DeleteLaunchAction')]);
  });
});

test('the trigger: the execution status change event, or the schedule', () => {
  // The shape of https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html (Execution Status Change).
  const event = {
    'version': '0',
    'source': 'aws.states',
    'detail-type': 'Step Functions Execution Status Change',
    'detail': { executionArn: executionArn(SM, 'e1'), stateMachineArn: SM, name: 'e1', status: 'ABORTED', startDate: 1, stopDate: 2, input: '{}', output: null },
  };
  expect(triggerOf(event)).toBe('ABORTED e1');
  expect(triggerOf({ 'detail-type': 'Scheduled Event', 'source': 'aws.events' })).toBe('schedule');
});

test('a termination already under way (ConflictException) counts as done, not as a failure', async () => {
  const { drs, deps } = mocks([job('j1', 'e1', ['s-a', 's-b'])], [instance('i-1', 'j1', 's-a'), instance('i-2', 'j1', 's-b')], { e1: 'FAILED' });
  drs.on(TerminateRecoveryInstancesCommand).rejects(Object.assign(new Error('Recovery instance i-1 is already being terminated by job drsjob-1'), { name: 'ConflictException' }));
  const result = await sweep(deps, config, 'FAILED e1');
  expect(result.failures).toEqual([]);
  expect(result.instancesTerminated).toBe(0);
  expect(result.instancesAlreadyTerminating).toBe(2);
});

test('any other refusal of TerminateRecoveryInstances is a failure, named with its instances', async () => {
  const { drs, deps } = mocks([job('j1', 'e1', ['s-a'])], [instance('i-1', 'j1', 's-a')], { e1: 'FAILED' });
  drs.on(TerminateRecoveryInstancesCommand).rejects(Object.assign(new Error('no'), { name: 'ValidationException' }));
  const result = await sweep(deps, config, 'FAILED e1');
  expect(result.failures).toEqual(['execution e1: TerminateRecoveryInstances of i-1 failed (ValidationException: no)']);
  expect(result.instancesAlreadyTerminating).toBe(0);
});
