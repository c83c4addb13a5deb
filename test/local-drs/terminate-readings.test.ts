/**
 * Terminate jobs and the 500-servers-in-active-jobs quota under both readings of the local DRS
 * (README, guess 63), and terminate jobs that end with a participating server FAILED (guess 64).
 */
import {
  DescribeJobLogItemsCommand, DescribeJobsCommand, DescribeRecoveryInstancesCommand, DrsClient, StartRecoveryCommand,
  TerminateRecoveryInstancesCommand,
} from '@aws-sdk/client-drs';
import { client, errorOf, REGION, startWithAccounts, TARGET } from './helpers';
import { LocalDrs, QuotaCodes } from './index';

const START = new Date('2026-01-05T10:00:00.000Z');

async function setUp(terminateJobsCountAgainstActiveServers: boolean) {
  const { drs } = await startWithAccounts({ clock: 'manual', startTime: START, quotas: { replicatingServersPerRegion: 700 } });
  drs.recovery.configure({ startSeconds: 30, launchSeconds: 300, terminateSeconds: 60, terminateJobsCountAgainstActiveServers });
  const target = client(drs, TARGET);
  const ids = Array.from({ length: 600 }, (_, n) => drs.addReplicatingServer(TARGET, REGION, { hostname: `h-${n}` }).sourceServerID);
  return { drs, target, ids };
}

async function launch(target: DrsClient, ids: string[]): Promise<string> {
  const sourceServers = ids.map((sourceServerID) => ({ sourceServerID }));
  return (await target.send(new StartRecoveryCommand({ isDrill: true, sourceServers }))).job!.jobID!;
}

async function instancesOf(target: DrsClient, ids: string[]): Promise<string[]> {
  const out: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await target.send(new DescribeRecoveryInstancesCommand({ filters: { sourceServerIDs: ids }, nextToken }));
    out.push(...(page.items ?? []).map((i) => i.recoveryInstanceID!));
    nextToken = page.nextToken;
  } while (nextToken);
  return out;
}

describe.each([true, false])('terminate jobs count against the servers-in-active-jobs quota: %s', (counted) => {
  let drs: LocalDrs;
  let target: DrsClient;
  let ids: string[];
  beforeEach(async () => { ({ drs, target, ids } = await setUp(counted)); });
  afterEach(async () => drs.stop());

  test('500 servers being terminated, then a launch of 100 more', async () => {
    for (let n = 0; n < 5; n++) await launch(target, ids.slice(n * 100, n * 100 + 100));
    drs.advanceTime(330_000);
    const instances = await instancesOf(target, ids.slice(0, 500));
    expect(instances).toHaveLength(500);
    for (let n = 0; n < 5; n++) {
      await target.send(new TerminateRecoveryInstancesCommand({ recoveryInstanceIDs: instances.slice(n * 100, n * 100 + 100) }));
    }
    const launching = launch(target, ids.slice(500, 600));
    if (counted) {
      const e = await errorOf(launching);
      expect(e.name).toBe('ServiceQuotaExceededException');
      expect(e.quotaCode).toBe(QuotaCodes.SERVERS_IN_ACTIVE_JOBS);
    } else {
      await expect(launching).resolves.toMatch(/^drsjob-/);
    }
  });

  test('500 servers launching, then a terminate job of another instance', async () => {
    await launch(target, ids.slice(500, 501));
    drs.advanceTime(330_000);
    const [other] = await instancesOf(target, ids.slice(500, 501));
    for (let n = 0; n < 5; n++) await launch(target, ids.slice(n * 100, n * 100 + 100));
    const terminating = target.send(new TerminateRecoveryInstancesCommand({ recoveryInstanceIDs: [other] }));
    if (counted) {
      expect((await errorOf(terminating)).quotaCode).toBe(QuotaCodes.SERVERS_IN_ACTIVE_JOBS);
    } else {
      expect((await terminating).job!.type).toBe('TERMINATE');
    }
  });

  test('terminate jobs always count as jobs (20 concurrent) and against 100 servers per job', async () => {
    await launch(target, ids.slice(0, 21));
    drs.advanceTime(330_000);
    const instances = await instancesOf(target, ids.slice(0, 21));
    for (let n = 0; n < 20; n++) await target.send(new TerminateRecoveryInstancesCommand({ recoveryInstanceIDs: [instances[n]] }));
    const e = await errorOf(target.send(new TerminateRecoveryInstancesCommand({ recoveryInstanceIDs: [instances[20]] })));
    expect(e.quotaCode).toBe(QuotaCodes.CONCURRENT_JOBS);
  });
});

describe('a terminate job with a participating server FAILED', () => {
  test('the instance keeps running, the job completes with the server FAILED and a CLEANUP_FAIL log item', async () => {
    const { drs, target, ids } = await setUp(true);
    try {
      await launch(target, ids.slice(0, 2));
      drs.advanceTime(330_000);
      const instances = await instancesOf(target, ids.slice(0, 2));
      drs.faults.failTerminate(instances[0]);
      const job = (await target.send(new TerminateRecoveryInstancesCommand({ recoveryInstanceIDs: instances }))).job!;
      drs.advanceTime(120_000);
      const [done] = (await target.send(new DescribeJobsCommand({ filters: { jobIDs: [job.jobID!] } }))).items!;
      expect(done.status).toBe('COMPLETED');
      const byInstance = Object.fromEntries(done.participatingServers!.map((p) => [p.recoveryInstanceID, p.launchStatus]));
      expect(byInstance).toEqual({ [instances[0]]: 'FAILED', [instances[1]]: 'TERMINATED' });
      const left = (await target.send(new DescribeRecoveryInstancesCommand({ filters: {} }))).items!;
      expect(left.map((i) => [i.recoveryInstanceID, i.ec2InstanceState])).toEqual([[instances[0], 'RUNNING']]);
      const log = (await target.send(new DescribeJobLogItemsCommand({ jobID: job.jobID! }))).items!;
      expect(log.filter((l) => l.event === 'CLEANUP_FAIL').map((l) => l.eventData?.targetInstanceID)).toEqual([instances[0]]);
      // The next terminate of the same instance is allowed (the fault was for one job) and works.
      await target.send(new TerminateRecoveryInstancesCommand({ recoveryInstanceIDs: [instances[0]] }));
      drs.advanceTime(120_000);
      expect((await target.send(new DescribeRecoveryInstancesCommand({ filters: {} }))).items).toEqual([]);
    } finally {
      await drs.stop();
    }
  });
});
