/**
 * Invariants of the local DRS's recovery side over generated histories (fast-check): random
 * drills and recoveries of random server sets, clock steps, terminations and per-server faults,
 * under small quotas so the quota paths run too. After every step, what the SDK reads back must
 * be consistent: one recovery instance per server at most and both sides agreeing, quotas held,
 * a server in one active job at most, job status only moving forward, completed jobs closed in
 * their log, launched servers backed by an instance, and lastLaunch telling the latest launch.
 */
import {
  DescribeJobLogItemsCommand, DescribeJobsCommand, DescribeRecoveryInstancesCommand, DescribeSourceServersCommand, DrsClient, Job,
  StartRecoveryCommand, TerminateRecoveryInstancesCommand,
} from '@aws-sdk/client-drs';
import fc from 'fast-check';
import { client, REGION, TARGET } from './helpers';
import { LocalDrs } from './index';

const SERVERS = 6;
const QUOTAS = { maxServersPerJob: 4, maxConcurrentJobs: 3, maxServersInActiveJobs: 5 };
const RANK = { PENDING: 0, STARTED: 1, COMPLETED: 2 } as const;

type Action =
  | { kind: 'start'; servers: number[]; drill: boolean }
  | { kind: 'advance'; seconds: number }
  | { kind: 'terminate'; pick: number; count: number }
  | { kind: 'failLaunch'; server: number; count: number }
  | { kind: 'slowLaunch'; server: number; seconds: number }
  | { kind: 'conflict'; server: number };

const serverIndex = fc.integer({ min: 0, max: SERVERS - 1 });
const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('start' as const), servers: fc.uniqueArray(serverIndex, { minLength: 1, maxLength: 5 }), drill: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('advance' as const), seconds: fc.oneof(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 60, max: 900 })) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('terminate' as const), pick: fc.nat(), count: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('failLaunch' as const), server: serverIndex, count: fc.integer({ min: 1, max: 2 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('slowLaunch' as const), server: serverIndex, seconds: fc.integer({ min: 0, max: 600 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('conflict' as const), server: serverIndex }) },
);

/** Refusals the history may meet; anything else fails the property. */
const EXPECTED_ERRORS = new Set(['ConflictException', 'ServiceQuotaExceededException']);
/** What the histories met, so the test knows the refusals and terminations were reached. */
const met = new Map<string, number>();
const count = (what: string) => met.set(what, (met.get(what) ?? 0) + 1);

async function apply(drs: LocalDrs, target: DrsClient, ids: string[], a: Action): Promise<void> {
  try {
    switch (a.kind) {
      case 'start':
        await target.send(new StartRecoveryCommand({ isDrill: a.drill, sourceServers: a.servers.map((i) => ({ sourceServerID: ids[i] })) }));
        break;
      case 'advance':
        drs.advanceTime(a.seconds * 1000);
        break;
      case 'terminate': {
        const instances = (await target.send(new DescribeRecoveryInstancesCommand({}))).items ?? [];
        if (instances.length === 0) return;
        const chosen = Array.from({ length: Math.min(a.count, instances.length) },
          (_, k) => instances[(a.pick + k) % instances.length].recoveryInstanceID!);
        await target.send(new TerminateRecoveryInstancesCommand({ recoveryInstanceIDs: chosen }));
        break;
      }
      case 'failLaunch':
        drs.faults.failLaunch(ids[a.server], { count: a.count });
        break;
      case 'slowLaunch':
        drs.faults.slowLaunch(ids[a.server], a.seconds);
        break;
      case 'conflict':
        drs.faults.conflictOnTerminate(ids[a.server]);
        break;
    }
    count(`${a.kind} ok`);
  } catch (e) {
    if (!EXPECTED_ERRORS.has((e as Error).name)) throw e;
    count(`${a.kind} ${(e as Error).name}`);
  }
}

async function check(target: DrsClient, ids: string[], seen: Map<string, number>): Promise<void> {
  const jobs: Job[] = (await target.send(new DescribeJobsCommand({}))).items ?? [];
  const instances = (await target.send(new DescribeRecoveryInstancesCommand({}))).items ?? [];
  const servers = (await target.send(new DescribeSourceServersCommand({ filters: { sourceServerIDs: ids } }))).items ?? [];

  // Latest first.
  const created = jobs.map((j) => Date.parse(j.creationDateTime!));
  expect(created).toEqual([...created].sort((x, y) => y - x));

  // One instance per server at most, and the server names it.
  const byServer = new Map<string, string>();
  for (const i of instances) {
    expect(byServer.has(i.sourceServerID!)).toBe(false);
    byServer.set(i.sourceServerID!, i.recoveryInstanceID!);
  }
  for (const s of servers) expect(s.recoveryInstanceId).toBe(byServer.get(s.sourceServerID!));

  // Quotas, and one active job per server.
  const active = jobs.filter((j) => j.status !== 'COMPLETED');
  expect(active.length).toBeLessThanOrEqual(QUOTAS.maxConcurrentJobs);
  const busy = active.flatMap((j) => j.participatingServers!.map((p) => p.sourceServerID!));
  expect(busy.length).toBeLessThanOrEqual(QUOTAS.maxServersInActiveJobs);
  expect(new Set(busy).size).toBe(busy.length);

  const instanceIds = new Set(instances.map((i) => i.recoveryInstanceID));
  for (const j of jobs) {
    // Status only moves forward.
    const rank = RANK[j.status as keyof typeof RANK];
    expect(rank).toBeGreaterThanOrEqual(seen.get(j.jobID!) ?? 0);
    seen.set(j.jobID!, rank);
    const log = (await target.send(new DescribeJobLogItemsCommand({ jobID: j.jobID }))).items ?? [];
    const closed = log.length > 0 && log[log.length - 1].event === 'JOB_END';
    expect(closed).toBe(j.status === 'COMPLETED');
    expect(j.endDateTime !== undefined).toBe(j.status === 'COMPLETED');
    if (j.endDateTime) expect(Date.parse(j.endDateTime)).toBeGreaterThanOrEqual(Date.parse(j.creationDateTime!));
    expect(log.length > 0).toBe(j.status !== 'PENDING');
    for (const p of j.participatingServers!) {
      if (j.status === 'PENDING') expect(p.launchStatus).toBe('PENDING');
      if (j.status === 'COMPLETED') expect(['LAUNCHED', 'FAILED', 'TERMINATED']).toContain(p.launchStatus);
      if (j.type === 'LAUNCH' && p.launchStatus === 'LAUNCHED') expect(instanceIds.has(p.recoveryInstanceID)).toBe(true);
    }
  }

  // lastLaunch tells the latest launch job of the server, and lastLaunchResult agrees with it.
  for (const s of servers) {
    const latest = jobs.find((j) => j.type === 'LAUNCH' && j.participatingServers!.some((p) => p.sourceServerID === s.sourceServerID));
    if (!latest) {
      expect(s.lifeCycle!.lastLaunch).toBeUndefined();
      expect(s.lastLaunchResult).toBe('NOT_STARTED');
      continue;
    }
    const p = latest.participatingServers!.find((x) => x.sourceServerID === s.sourceServerID)!;
    expect(s.lifeCycle!.lastLaunch!.initiated!.jobID).toBe(latest.jobID);
    expect(s.lifeCycle!.lastLaunch!.status).toBe(p.launchStatus);
    const result = { PENDING: 'PENDING', IN_PROGRESS: 'PENDING', LAUNCHED: 'SUCCEEDED', TERMINATED: 'SUCCEEDED', FAILED: 'FAILED' }[p.launchStatus!];
    expect(s.lastLaunchResult).toBe(result);
  }

  // An instance shuts down exactly while a started terminate job holds it.
  for (const i of instances) {
    const terminating = active.find((j) => j.type === 'TERMINATE' && j.status === 'STARTED'
      && j.participatingServers!.some((p) => p.recoveryInstanceID === i.recoveryInstanceID));
    expect(i.ec2InstanceState).toBe(terminating ? 'SHUTTING-DOWN' : 'RUNNING');
  }
}

/** Fixed, so the coverage below is deterministic (`RECOVERY_SEED` explores others). */
const SEED = Number(process.env.RECOVERY_SEED ?? 20261201);

test('recovery histories keep the local DRS consistent', async () => {
  await fc.assert(fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 25 }), async (actions) => {
    const drs = await LocalDrs.start({ clock: 'manual', startTime: new Date('2026-01-05T10:00:00Z') });
    drs.addAccount(TARGET);
    const target = client(drs, TARGET);
    try {
      drs.recovery.configure({ startSeconds: 30, launchSeconds: 300, terminateSeconds: 60, ...QUOTAS });
      const ids = Array.from({ length: SERVERS }, (_, n) => drs.addReplicatingServer(TARGET, REGION, { hostname: `h-${n}` }).sourceServerID);
      const seen = new Map<string, number>();
      for (const a of actions) {
        await apply(drs, target, ids, a);
        await check(target, ids, seen);
      }
    } finally {
      target.destroy();
      await drs.stop();
    }
  }), { numRuns: 40, seed: SEED });
  // With a fixed seed the outcomes met are the same on every run; a random seed missed one in CI.
  for (const what of ['start ok', 'start ConflictException', 'start ServiceQuotaExceededException', 'terminate ok', 'terminate ConflictException']) {
    expect(met.get(what) ?? 0).toBeGreaterThan(0);
  }
}, 120_000);
