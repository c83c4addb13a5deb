import { DescribeJobLogItemsCommand, DescribeJobsCommand, DescribeRecoveryInstancesCommand, DrsClient, Job } from '@aws-sdk/client-drs';
import { mockClient } from 'aws-sdk-client-mock';
import { CollectRequest } from '../../../src/contract/drill';
import { collect, judge, launchedAt, median, ownInstances, parseJobIds } from '../../../src/drill/runtime/collect';

const base: CollectRequest = { Step: 'collect', DrillName: 'd', ExecutionName: 'e', JobIds: '', MetricNamespace: 'CdkDrsMultiAccount' };

test('job ids accumulated by States.Format', () => {
  expect(parseJobIds(' drsjob-a drsjob-b  drsjob-a')).toEqual(['drsjob-a', 'drsjob-b']);
  expect(parseJobIds('')).toEqual([]);
});

test('median', () => {
  expect(median([])).toBeUndefined();
  expect(median([5, 1, 3])).toBe(3);
  expect(median([4, 1, 3, 2])).toBe(2.5);
});

test('own instances: drill instances of this execution\'s jobs only', () => {
  const jobs = new Set(['drsjob-a']);
  const all = [
    { recoveryInstanceID: 'i-1', jobID: 'drsjob-a', isDrill: true },
    { recoveryInstanceID: 'i-2', jobID: 'drsjob-a', isDrill: false }, // a recovery's, whatever the job says
    { recoveryInstanceID: 'i-3', jobID: 'drsjob-other', isDrill: true }, // another drill's
    { recoveryInstanceID: 'i-4', isDrill: true }, // launched by hand, no job
  ];
  expect(ownInstances(all, jobs).map((i) => i.recoveryInstanceID)).toEqual(['i-1']);
});

test('launch time: LAUNCH_FINISHED if DRS writes it, else LAUNCH_START, else the end of the job', () => {
  const job: Job = { jobID: 'j', endDateTime: '2026-01-01T00:10:00Z' };
  const at = (event: string, t: string) => ({ event: event as any, logDateTime: t, eventData: { sourceServerID: 's' } });
  expect(launchedAt(job, [at('LAUNCH_START', '2026-01-01T00:05:00Z'), at('LAUNCH_FINISHED', '2026-01-01T00:06:00Z')], 's')).toBe('2026-01-01T00:06:00Z');
  expect(launchedAt(job, [at('LAUNCH_START', '2026-01-01T00:05:00Z')], 's')).toBe('2026-01-01T00:05:00Z');
  expect(launchedAt(job, [], 's')).toBe('2026-01-01T00:10:00Z');
});

describe('collect', () => {
  const drs = mockClient(DrsClient);
  beforeEach(() => {
    drs.reset();
    drs.on(DescribeJobsCommand).resolves({
      items: [{
        jobID: 'drsjob-a',
        status: 'COMPLETED',
        creationDateTime: '2026-01-01T00:00:00Z',
        endDateTime: '2026-01-01T00:20:00Z',
        participatingServers: [
          { sourceServerID: 's-1', launchStatus: 'LAUNCHED', recoveryInstanceID: 'i-1' },
          { sourceServerID: 's-2', launchStatus: 'LAUNCHED', recoveryInstanceID: 'i-2' },
          { sourceServerID: 's-3', launchStatus: 'FAILED' },
        ],
      }],
    });
    drs.on(DescribeJobLogItemsCommand).resolves({
      items: [
        { event: 'LAUNCH_START', logDateTime: '2026-01-01T00:05:00Z', eventData: { sourceServerID: 's-1' } },
        { event: 'LAUNCH_START', logDateTime: '2026-01-01T00:15:00Z', eventData: { sourceServerID: 's-2' } },
        { event: 'LAUNCH_FAILED', logDateTime: '2026-01-01T00:06:00Z', eventData: { sourceServerID: 's-3', rawError: 'no capacity' } },
      ],
    });
    drs.on(DescribeRecoveryInstancesCommand).resolves({
      items: [
        { recoveryInstanceID: 'i-1', jobID: 'drsjob-a', isDrill: true, ec2InstanceID: 'i-1' },
        { recoveryInstanceID: 'i-2', jobID: 'drsjob-a', isDrill: true, ec2InstanceID: 'i-2' },
        { recoveryInstanceID: 'i-9', jobID: 'drsjob-z', isDrill: false },
      ],
    });
  });

  test('per-server times, outcome, metrics, and the instances to terminate', async () => {
    const r = await collect(new DrsClient({}), { ...base, JobIds: ' drsjob-a', RecoveryTimeObjectiveSeconds: 600, Error: {}, Refusal: '' });
    expect(r.Outcome).toBe('FAILED');
    expect(r.TerminateBatches).toEqual([['i-1', 'i-2']]);
    const servers = r.Detail.servers as any[];
    expect(servers.map((s) => [s.sourceServerId, s.recoveryTimeSeconds, s.succeeded])).toEqual([['s-1', 300, true], ['s-2', 900, false], ['s-3', undefined, false]]);
    expect(servers[1].reason).toContain('more than the recovery time objective of 600 s');
    expect(servers[2].reason).toBe('LAUNCH_FAILED: no capacity');
    expect(r.Detail).toMatchObject({ maxRecoveryTimeSeconds: 900, medianRecoveryTimeSeconds: 600, serversFailed: 2 });
    expect(Object.fromEntries(r.MetricData.map((m) => [m.MetricName, m.Value]))).toEqual({
      ServersDrilled: 3, ServersFailed: 2, DrillSucceeded: 0, MaxRecoveryTimeSeconds: 900, MedianRecoveryTimeSeconds: 600,
    });
  });

  test('a refusal or a timeout sets the outcome; no jobs means no DRS reads', async () => {
    drs.reset();
    const refused = await collect(new DrsClient({}), { ...base, Refusal: 'REFUSED_LIMITS', Error: {} });
    expect(refused).toMatchObject({ Outcome: 'REFUSED_LIMITS', Succeeded: false, TerminateCount: 0 });
    expect(drs.calls()).toHaveLength(0);
    const timedOut = await collect(new DrsClient({}), { ...base, Error: { Error: 'DrillTimedOut', Cause: 'job x' } });
    expect(timedOut.Outcome).toBe('TIMED_OUT');
    expect(timedOut.Summary).toContain('stopped by DrillTimedOut: job x');
  });
});

describe('judge', () => {
  const launched = (id: string) => ({
    sourceServerId: id,
    jobId: 'drsjob-a',
    launchStatus: 'LAUNCHED',
    recoveryInstanceId: `i-${id}`,
    startedAt: '2026-01-01T00:00:00Z',
    launchedAt: '2026-01-01T00:05:00Z',
    recoveryTimeSeconds: 300,
    succeeded: true,
  });
  const request = { ...base, Step: 'judge' as const, JobIds: 'drsjob-a', TerminateBatches: [['i-1', 'i-2', 'i-3']], Error: {}, Refusal: '' };

  test('a passed check ends the recovery time; a failed, thrown or missing one fails the server; the instances stay to terminate', () => {
    const r = judge({
      ...request,
      RecoveryTimeObjectiveSeconds: 1000,
      Servers: [launched('1'), launched('2'), launched('3'), launched('4')],
      Checks: [
        { SourceServerID: '1', Result: { passed: true }, CheckedAt: '2026-01-01T00:07:00Z' },
        { SourceServerID: '2', Result: { passed: false, detail: 'HTTP 500' } },
        { SourceServerID: '3', Error: { Error: 'Error', Cause: 'timeout' } },
      ],
    });
    const s = r.Detail.servers as any[];
    expect(s.map((x) => [x.sourceServerId, x.succeeded, x.recoveryTimeSeconds, x.reason])).toEqual([
      ['1', true, 420, undefined],
      ['2', false, 300, 'the check did not pass: HTTP 500'],
      ['3', false, 300, 'the check did not pass: Error: timeout'],
      ['4', false, 300, 'the check did not run'],
    ]);
    expect(r).toMatchObject({ Outcome: 'FAILED', TerminateBatches: [['i-1', 'i-2', 'i-3']] });
  });

  test('a check time before the launch (another clock) does not shorten the recovery time', () => {
    const r = judge({ ...request, Servers: [launched('1')], Checks: [{ SourceServerID: '1', Result: { passed: true }, CheckedAt: '2025-12-31T00:00:00Z' }] });
    expect((r.Detail.servers as any[])[0]).toMatchObject({ succeeded: true, recoveryTimeSeconds: 300 });
    expect(r.Outcome).toBe('SUCCEEDED');
  });
});
