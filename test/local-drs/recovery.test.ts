/**
 * The recovery side of the local DRS through the real @aws-sdk/client-drs: StartRecovery's job
 * lifecycle on a manual clock, recovery instances, the source server's lastLaunch, termination,
 * per-server faults and the recovery quotas. Wire responses validate strictly against the model.
 */
import {
  CreateExtendedSourceServerCommand, DescribeJobLogItemsCommand, DescribeJobsCommand, DescribeRecoveryInstancesCommand,
  DescribeSourceServersCommand, DisconnectSourceServerCommand, DrsClient, Job, StartRecoveryCommand, TerminateRecoveryInstancesCommand,
} from '@aws-sdk/client-drs';
import { client, errorOf, raw, REGION, STAGING, startWithAccounts, TARGET } from './helpers';
import { LocalDrs, QuotaCodes } from './index';
import { operation } from './model';
import { validateShape } from './validate';

const START = new Date('2026-01-05T10:00:00.000Z');

async function setUp(options: Parameters<typeof LocalDrs.start>[0] = {}) {
  const { drs, staging } = await startWithAccounts({ clock: 'manual', startTime: START, ...options });
  const target = client(drs, TARGET);
  const created = await target.send(new CreateExtendedSourceServerCommand({ sourceServerArn: staging.arn, tags: { app: 'shop' } }));
  const second = drs.addReplicatingServer(STAGING, REGION, { hostname: 'db-1' });
  const created2 = await target.send(new CreateExtendedSourceServerCommand({ sourceServerArn: second.arn }));
  drs.recovery.configure({ startSeconds: 30, launchSeconds: 300, terminateSeconds: 60 });
  return { drs, target, web: created.sourceServer!.sourceServerID!, db: created2.sourceServer!.sourceServerID! };
}

async function job(target: DrsClient, jobID: string): Promise<Job> {
  const r = await target.send(new DescribeJobsCommand({ filters: { jobIDs: [jobID] } }));
  expect(r.items).toHaveLength(1);
  return r.items![0];
}

async function server(target: DrsClient, id: string) {
  const r = await target.send(new DescribeSourceServersCommand({ filters: { sourceServerIDs: [id] } }));
  return r.items![0];
}

async function drill(target: DrsClient, ids: string[], tags?: Record<string, string>): Promise<Job> {
  const r = await target.send(new StartRecoveryCommand({ isDrill: true, sourceServers: ids.map((sourceServerID) => ({ sourceServerID })), tags }));
  return r.job!;
}

describe('a drill of extended servers, step by step on the manual clock', () => {
  let drs: LocalDrs;
  let target: DrsClient;
  let web: string;
  let db: string;
  let started: Job;
  beforeAll(async () => {
    ({ drs, target, web, db } = await setUp());
    started = await drill(target, [web, db], { drill: 'weekly' });
  });
  afterAll(async () => drs.stop());

  test('StartRecovery answers a PENDING launch job initiated by the target account', () => {
    expect(started).toMatchObject({
      type: 'LAUNCH',
      status: 'PENDING',
      initiatedBy: 'TARGET_ACCOUNT',
      tags: { drill: 'weekly' },
      creationDateTime: START.toISOString(),
      participatingServers: [{ sourceServerID: web, launchStatus: 'PENDING' }, { sourceServerID: db, launchStatus: 'PENDING' }],
    });
    expect(started.jobID).toMatch(/^drsjob-[0-9a-f]{17}$/);
    expect(started.arn).toBe(`arn:aws:drs:${REGION}:${TARGET}:job/${started.jobID}`);
    expect(started.endDateTime).toBeUndefined();
  });

  test('the source server shows the pending launch in lifeCycle.lastLaunch', async () => {
    const s = await server(target, web);
    expect(s.lastLaunchResult).toBe('PENDING');
    expect(s.lifeCycle!.lastLaunch).toEqual({
      initiated: { apiCallDateTime: START.toISOString(), jobID: started.jobID, type: 'DRILL' },
      status: 'PENDING',
    });
  });

  test('after startSeconds the job is STARTED and its servers IN_PROGRESS', async () => {
    drs.advanceTime(29_999);
    expect((await job(target, started.jobID!)).status).toBe('PENDING');
    drs.advanceTime(1);
    const j = await job(target, started.jobID!);
    expect(j.status).toBe('STARTED');
    expect(j.participatingServers!.map((p) => p.launchStatus)).toEqual(['IN_PROGRESS', 'IN_PROGRESS']);
    expect((await server(target, web)).lifeCycle!.lastLaunch!.status).toBe('IN_PROGRESS');
    const items = (await target.send(new DescribeJobLogItemsCommand({ jobID: started.jobID }))).items!;
    expect(items[0]).toEqual({ logDateTime: '2026-01-05T10:00:30.000Z', event: 'JOB_START' });
  });

  test('after launchSeconds every server is LAUNCHED with a recovery instance, and the job COMPLETED', async () => {
    drs.advanceTime(300_000);
    const j = await job(target, started.jobID!);
    expect(j.status).toBe('COMPLETED');
    expect(j.endDateTime).toBe('2026-01-05T10:05:30.000Z');
    for (const p of j.participatingServers!) {
      expect(p.launchStatus).toBe('LAUNCHED');
      expect(p.recoveryInstanceID).toMatch(/^i-[0-9a-f]{17}$/);
    }
  });

  test('recovery instances carry isDrill, the job id, the EC2 instance id and the server tags', async () => {
    const j = await job(target, started.jobID!);
    const instanceId = j.participatingServers![0].recoveryInstanceID!;
    const r = await target.send(new DescribeRecoveryInstancesCommand({ filters: { sourceServerIDs: [web] } }));
    expect(r.items).toHaveLength(1);
    expect(r.items![0]).toMatchObject({
      recoveryInstanceID: instanceId,
      ec2InstanceID: instanceId,
      ec2InstanceState: 'RUNNING',
      jobID: started.jobID,
      sourceServerID: web,
      isDrill: true,
      tags: { app: 'shop' },
      arn: `arn:aws:drs:${REGION}:${TARGET}:recovery-instance/${instanceId}`,
      pointInTimeSnapshotDateTime: '2026-01-05T10:05:30.000Z',
    });
    expect(r.items![0].recoveryInstanceProperties!.identificationHints!.hostname).toBe('web-1');
    const all = await target.send(new DescribeRecoveryInstancesCommand({}));
    expect(all.items).toHaveLength(2);
  });

  test('the source server records the launch: recoveryInstanceId, lastLaunchResult, lastLaunch.status', async () => {
    const s = await server(target, web);
    expect(s.recoveryInstanceId).toMatch(/^i-/);
    expect(s.lastLaunchResult).toBe('SUCCEEDED');
    expect(s.lifeCycle!.lastLaunch!.status).toBe('LAUNCHED');
  });

  test('the job log names each server and its recovery instance', async () => {
    const items = (await target.send(new DescribeJobLogItemsCommand({ jobID: started.jobID }))).items!;
    const events = items.map((i) => i.event);
    expect(events[0]).toBe('JOB_START');
    expect(events[events.length - 1]).toBe('JOB_END');
    const launches = items.filter((i) => i.event === 'LAUNCH_START');
    const j = await job(target, started.jobID!);
    const expected = j.participatingServers!.map((p) => ({ sourceServerID: p.sourceServerID, targetInstanceID: p.recoveryInstanceID }));
    expect(launches.map((i) => i.eventData)).toEqual(expected);
    const page = await target.send(new DescribeJobLogItemsCommand({ jobID: started.jobID, maxResults: 2 }));
    expect(page.items).toEqual(items.slice(0, 2));
    const next = await target.send(new DescribeJobLogItemsCommand({ jobID: started.jobID, maxResults: 2, nextToken: page.nextToken }));
    expect(next.items).toEqual(items.slice(2, 4));
  });

  test('a server with a recovery instance cannot be disconnected until the instance is terminated', async () => {
    const e = await errorOf(target.send(new DisconnectSourceServerCommand({ sourceServerID: web })));
    expect(e.name).toBe('ConflictException');
  });

  test('TerminateRecoveryInstances: a TERMINATE job; the instances go away when it completes', async () => {
    const ids = (await target.send(new DescribeRecoveryInstancesCommand({}))).items!.map((i) => i.recoveryInstanceID!);
    const t = (await target.send(new TerminateRecoveryInstancesCommand({ recoveryInstanceIDs: ids }))).job!;
    expect(t).toMatchObject({ type: 'TERMINATE', status: 'PENDING', initiatedBy: 'TARGET_ACCOUNT' });
    expect(t.participatingServers!.map((p) => p.recoveryInstanceID)).toEqual(ids);
    const again = await errorOf(target.send(new TerminateRecoveryInstancesCommand({ recoveryInstanceIDs: [ids[0]] })));
    expect(again.name).toBe('ConflictException');
    expect(again.resourceId).toBe(ids[0]);
    drs.advanceTime(30_000);
    const during = await target.send(new DescribeRecoveryInstancesCommand({}));
    expect(during.items!.map((i) => i.ec2InstanceState)).toEqual(['SHUTTING-DOWN', 'SHUTTING-DOWN']);
    drs.advanceTime(60_000);
    expect((await job(target, t.jobID!)).status).toBe('COMPLETED');
    expect((await target.send(new DescribeRecoveryInstancesCommand({}))).items).toEqual([]);
    const s = await server(target, web);
    expect(s.recoveryInstanceId).toBeUndefined();
    expect(s.lastLaunchResult).toBe('SUCCEEDED');
    expect(s.lifeCycle!.lastLaunch!.status).toBe('TERMINATED');
    const launch = await job(target, started.jobID!);
    expect(launch.participatingServers!.map((p) => p.launchStatus)).toEqual(['TERMINATED', 'TERMINATED']);
    await target.send(new DisconnectSourceServerCommand({ sourceServerID: web }));
  });

  test('DescribeJobs lists the latest first and pages', async () => {
    const all = (await target.send(new DescribeJobsCommand({}))).items!;
    expect(all.map((j) => j.type)).toEqual(['TERMINATE', 'LAUNCH']);
    const first = await target.send(new DescribeJobsCommand({ maxResults: 1 }));
    expect(first.items!.map((j) => j.jobID)).toEqual([all[0].jobID]);
    const second = await target.send(new DescribeJobsCommand({ maxResults: 1, nextToken: first.nextToken }));
    expect(second.items!.map((j) => j.jobID)).toEqual([all[1].jobID]);
    expect(second.nextToken).toBeUndefined();
    const later = await target.send(new DescribeJobsCommand({ filters: { fromDate: '2026-01-05T10:01:00Z' } }));
    expect(later.items!.map((j) => j.type)).toEqual(['TERMINATE']);
    const earlier = await target.send(new DescribeJobsCommand({ filters: { toDate: '2026-01-05T10:01:00Z' } }));
    expect(earlier.items!.map((j) => j.type)).toEqual(['LAUNCH']);
  });

  test('a disconnected server cannot be launched', async () => {
    const e = await errorOf(drill(target, [web]));
    expect(e.name).toBe('ConflictException');
    expect(e.resourceId).toBe(web);
  });
});

describe('faults and failures', () => {
  let drs: LocalDrs;
  let target: DrsClient;
  let web: string;
  let db: string;
  beforeEach(async () => {
    ({ drs, target, web, db } = await setUp());
  });
  afterEach(async () => drs.stop());

  test('failLaunch: the server FAILS with a logged rawError, the others launch, the job completes', async () => {
    drs.faults.failLaunch(web, { message: 'InsufficientInstanceCapacity' });
    const j = await drill(target, [web, db]);
    drs.advanceTime(330_000);
    const done = await job(target, j.jobID!);
    expect(done.status).toBe('COMPLETED');
    expect(done.participatingServers!.map((p) => p.launchStatus)).toEqual(['FAILED', 'LAUNCHED']);
    expect(done.participatingServers![0].recoveryInstanceID).toBeUndefined();
    const items = (await target.send(new DescribeJobLogItemsCommand({ jobID: j.jobID }))).items!;
    expect(items.find((i) => i.event === 'LAUNCH_FAILED')!.eventData).toEqual({ sourceServerID: web, rawError: 'InsufficientInstanceCapacity' });
    const s = await server(target, web);
    expect(s.lastLaunchResult).toBe('FAILED');
    expect(s.lifeCycle!.lastLaunch!.status).toBe('FAILED');
    expect(s.recoveryInstanceId).toBeUndefined();
    expect((await target.send(new DescribeRecoveryInstancesCommand({}))).items!.map((i) => i.sourceServerID)).toEqual([db]);
  });

  test('failLaunch with a count fails only that many launches', async () => {
    drs.faults.failLaunch(web, { count: 1 });
    await drill(target, [web]);
    drs.advanceTime(330_000);
    expect((await server(target, web)).lastLaunchResult).toBe('FAILED');
    await drill(target, [web]);
    drs.advanceTime(330_000);
    expect((await server(target, web)).lastLaunchResult).toBe('SUCCEEDED');
  });

  test('slowLaunch: the job stays STARTED until the slow server has launched', async () => {
    drs.faults.slowLaunch(db, 600);
    const j = await drill(target, [web, db]);
    drs.advanceTime(330_000);
    const mid = await job(target, j.jobID!);
    expect(mid.status).toBe('STARTED');
    expect(mid.participatingServers!.map((p) => p.launchStatus)).toEqual(['LAUNCHED', 'IN_PROGRESS']);
    drs.advanceTime(600_000);
    const done = await job(target, j.jobID!);
    expect(done.status).toBe('COMPLETED');
    expect(done.endDateTime).toBe('2026-01-05T10:15:30.000Z');
  });

  test('conflictOnTerminate (by source server id): the next terminate conflicts, the one after succeeds', async () => {
    drs.faults.conflictOnTerminate(web);
    await drill(target, [web]);
    drs.advanceTime(330_000);
    const id = (await server(target, web)).recoveryInstanceId!;
    const e = await errorOf(target.send(new TerminateRecoveryInstancesCommand({ recoveryInstanceIDs: [id] })));
    expect(e.name).toBe('ConflictException');
    expect(e.$metadata.httpStatusCode).toBe(409);
    expect(e.resourceId).toBe(id);
    expect(e.resourceType).toBe('RECOVERY_INSTANCE');
    await target.send(new TerminateRecoveryInstancesCommand({ recoveryInstanceIDs: [id] }));
  });

  test('faults.clear() removes the per-server faults', async () => {
    drs.faults.failLaunch(web).slowLaunch(web, 1000).conflictOnTerminate(web);
    drs.faults.clear();
    await drill(target, [web]);
    drs.advanceTime(330_000);
    const id = (await server(target, web)).recoveryInstanceId!;
    expect(id).toMatch(/^i-/);
    await target.send(new TerminateRecoveryInstancesCommand({ recoveryInstanceIDs: [id] }));
  });

  test('an extended server in EXTENSION_ERROR fails to launch with the extension error', async () => {
    drs.setTrustEvaluator(() => ({ trusted: false, reason: 'the staging role was deleted' }));
    const j = await drill(target, [web]);
    drs.advanceTime(330_000);
    const items = (await target.send(new DescribeJobLogItemsCommand({ jobID: j.jobID }))).items!;
    expect(items.find((i) => i.event === 'LAUNCH_FAILED')!.eventData!.rawError).toContain('the staging role was deleted');
  });

  test('a server in an active job cannot join another job', async () => {
    await drill(target, [web]);
    const e = await errorOf(drill(target, [db, web]));
    expect(e.name).toBe('ConflictException');
    expect(e.resourceId).toBe(web);
  });

  test('a new launch replaces the previous recovery instance', async () => {
    await drill(target, [web]);
    drs.advanceTime(330_000);
    const first = (await server(target, web)).recoveryInstanceId;
    await drill(target, [web]);
    drs.advanceTime(330_000);
    const r = await target.send(new DescribeRecoveryInstancesCommand({ filters: { sourceServerIDs: [web] } }));
    expect(r.items).toHaveLength(1);
    expect(r.items![0].recoveryInstanceID).not.toBe(first);
  });

  test('unknown servers or instances: ValidationException naming the field', async () => {
    const e = await errorOf(drill(target, [web, 's-00000000000000000']));
    expect(e.name).toBe('ValidationException');
    expect(e.fieldList).toEqual([{ name: 'sourceServers[1].sourceServerID', message: 'Source server s-00000000000000000 not found' }]);
    const t = await errorOf(target.send(new TerminateRecoveryInstancesCommand({ recoveryInstanceIDs: ['i-0000000000000000a'] })));
    expect(t.name).toBe('ValidationException');
    const l = await errorOf(target.send(new DescribeJobLogItemsCommand({ jobID: 'drsjob-00000000000000000' })));
    expect(l.name).toBe('ValidationException');
  });

  test('initiatedBy reading "operation": START_DRILL / START_RECOVERY / TERMINATE_RECOVERY_INSTANCES', async () => {
    drs.recovery.configure({ initiatedBy: 'operation' });
    expect((await drill(target, [web])).initiatedBy).toBe('START_DRILL');
    const r = await target.send(new StartRecoveryCommand({ sourceServers: [{ sourceServerID: db }] }));
    expect(r.job!.initiatedBy).toBe('START_RECOVERY');
    drs.advanceTime(330_000);
    const s = await server(target, db);
    expect(s.lifeCycle!.lastLaunch!.initiated!.type).toBe('RECOVERY');
    const instance = (await target.send(new DescribeRecoveryInstancesCommand({ filters: { sourceServerIDs: [db] } }))).items![0];
    expect(instance.isDrill).toBe(false);
    const t = await target.send(new TerminateRecoveryInstancesCommand({ recoveryInstanceIDs: [instance.recoveryInstanceID!] }));
    expect(t.job!.initiatedBy).toBe('TERMINATE_RECOVERY_INSTANCES');
  });

  test('jobs of replicating (not extended) servers name the operation under the default reading', async () => {
    const own = drs.addReplicatingServer(TARGET, REGION, { hostname: 'own-1' });
    expect((await drill(target, [own.sourceServerID])).initiatedBy).toBe('START_DRILL');
  });

  test('throttling applies to the recovery operations too', async () => {
    drs.faults.throttle({ operation: 'StartRecovery', count: 1 });
    const e = await errorOf(drill(target, [web]));
    expect(e.name).toBe('ThrottlingException');
    expect((await target.send(new DescribeJobsCommand({}))).items).toEqual([]);
  });

  test('authorization: DescribeJobLogItems on the job ARN with the job tags, TerminateRecoveryInstances on the instance ARN', async () => {
    const j = await drill(target, [web], { drill: 'weekly' });
    drs.advanceTime(330_000);
    const id = (await server(target, web)).recoveryInstanceId!;
    const asked: Array<{ action: string; resource: string; tag?: string | string[] }> = [];
    drs.setAuthorizer(TARGET, (q) => {
      asked.push({ action: q.action, resource: q.resource, tag: q.context['aws:ResourceTag/drill'] ?? q.context['aws:ResourceTag/app'] });
      return { allowed: true };
    });
    await target.send(new DescribeJobLogItemsCommand({ jobID: j.jobID }));
    await target.send(new TerminateRecoveryInstancesCommand({ recoveryInstanceIDs: [id] }));
    expect(asked).toEqual([
      { action: 'drs:DescribeJobLogItems', resource: j.arn, tag: 'weekly' },
      { action: 'drs:TerminateRecoveryInstances', resource: `arn:aws:drs:${REGION}:${TARGET}:recovery-instance/${id}`, tag: 'shop' },
    ]);
  });

  test('authorization: drs:StartRecovery on each source server ARN with its tags', async () => {
    const asked: string[] = [];
    drs.setAuthorizer(TARGET, (q) => {
      asked.push(`${q.action} ${q.resource} ${q.context['aws:ResourceTag/app'] ?? '-'}`);
      return q.action === 'drs:StartRecovery' && q.context['aws:ResourceTag/app'] !== 'shop'
        ? { allowed: false, reason: 'no tag' } : { allowed: true };
    });
    const e = await errorOf(drill(target, [web, db]));
    expect(e.name).toBe('AccessDeniedException');
    expect(asked).toEqual([
      `drs:StartRecovery arn:aws:drs:${REGION}:${TARGET}:source-server/${web} shop`,
      `drs:StartRecovery arn:aws:drs:${REGION}:${TARGET}:source-server/${db} -`,
    ]);
  });
});

describe('recovery quotas', () => {
  let drs: LocalDrs;
  let target: DrsClient;
  let ids: string[];
  beforeAll(async () => {
    ({ drs, target } = await setUp({ quotas: { replicatingServersPerRegion: 600 } }));
    ids = Array.from({ length: 501 }, (_, n) => drs.addReplicatingServer(TARGET, REGION, { hostname: `h-${n}` }).sourceServerID);
  });
  afterAll(async () => drs.stop());

  test('more than 100 servers in one job: ServiceQuotaExceededException', async () => {
    const e = await errorOf(drill(target, ids.slice(0, 101)));
    expect(e.name).toBe('ServiceQuotaExceededException');
    expect(e.$metadata.httpStatusCode).toBe(402);
    expect(e.quotaCode).toBe(QuotaCodes.SERVERS_PER_JOB);
    expect(e.serviceCode).toBe('drs');
    await drill(target, ids.slice(0, 100));
  });

  test('more than 500 servers across active jobs, then more than 20 active jobs', async () => {
    for (let n = 1; n < 5; n++) await drill(target, ids.slice(n * 100, n * 100 + 100));
    const e = await errorOf(drill(target, [ids[500]]));
    expect(e.quotaCode).toBe(QuotaCodes.SERVERS_IN_ACTIVE_JOBS);
    drs.advanceTime(330_000);
    for (let n = 0; n < 20; n++) await drill(target, [ids[n]]);
    const f = await errorOf(drill(target, [ids[20]]));
    expect(f.name).toBe('ServiceQuotaExceededException');
    expect(f.quotaCode).toBe(QuotaCodes.CONCURRENT_JOBS);
    drs.advanceTime(330_000);
    await drill(target, [ids[20]]);
  });
});

describe('on the wire and on the real clock', () => {
  test('each recovery operation answers the model\'s status and a strictly valid body', async () => {
    const { drs, web } = await setUp();
    const call = async (op: string, body: unknown) => {
      const r = await raw(drs, TARGET, REGION, { method: 'POST', path: `/${op}`, body: JSON.stringify(body) });
      expect(r.status).toBe(operation(op).http.responseCode);
      expect(validateShape(operation(op).output!.shape, r.json, '', { strict: true })).toEqual([]);
      return r.json;
    };
    try {
      const started = await call('StartRecovery', { isDrill: true, sourceServers: [{ sourceServerID: web }] });
      drs.advanceTime(330_000);
      await call('DescribeJobs', {});
      await call('DescribeJobLogItems', { jobID: started.job.jobID });
      const instances = await call('DescribeRecoveryInstances', {});
      await call('TerminateRecoveryInstances', { recoveryInstanceIDs: [instances.items[0].recoveryInstanceID] });
    } finally {
      await drs.stop();
    }
  });

  test('by default the clock is real time: a job with zero durations completes on the next read', async () => {
    const { drs, staging } = await startWithAccounts();
    try {
      const target = client(drs, TARGET);
      const ext = await target.send(new CreateExtendedSourceServerCommand({ sourceServerArn: staging.arn }));
      drs.recovery.configure({ startSeconds: 0, launchSeconds: 0 });
      const before = Date.now();
      const j = await drill(target, [ext.sourceServer!.sourceServerID!]);
      expect(Date.parse(j.creationDateTime!)).toBeGreaterThanOrEqual(before - 1000);
      expect((await job(target, j.jobID!)).status).toBe('COMPLETED');
      expect(drs.recovery.pendingSteps).toBe(0);
    } finally {
      await drs.stop();
    }
  });
});
