/**
 * Regressions of issue 16 (the launch engine), each run end to end: the synthesized definition in
 * the States Language interpreter against the local DRS, with the bundled Lambda steps. Needs
 * `npx projen bundle`.
 */
import { DescribeRecoveryInstancesCommand, RecoveryInstance } from '@aws-sdk/client-drs';
import { requireStepsBundle, runDrill, successfulCalls } from './harness';
import { drill, DrillWorld, REGION, startRealRecovery, startWorld, synthDrill, TARGET } from './world';
import { ExtendedSourceServer, RecoveryDuringDrill } from '../../src';

jest.setTimeout(120_000);

beforeAll(requireStepsBundle);

let world: DrillWorld | undefined;
afterEach(async () => {
  await world?.stop();
  world = undefined;
});

async function instances(w: DrillWorld): Promise<RecoveryInstance[]> {
  return (await w.target.send(new DescribeRecoveryInstancesCommand({ filters: {} }))).items ?? [];
}

/**
 * Three servers in three waves (wave tag values 1, 2, 3); a person recovers the third server
 * (a real recovery, not a drill) while the drill waits for its first wave's job.
 */
async function drillWithRecoveryDuringWave1(extra: Record<string, unknown>) {
  world = await startWorld({ servers: 3, tags: (n) => ({ DrWave: String(n + 1) }) });
  const w = world;
  const { definition } = synthDrill((stack) => ({
    servers: w.servers.map((id, i) => ExtendedSourceServer.fromSourceServerId(stack, `S${i}`, id)),
    waveTagKey: 'DrWave',
    drillName: 'e2e-recheck',
    ...extra,
  }));
  let realJob: Promise<string> | undefined;
  let waits = 0;
  const run = await runDrill({
    definition,
    endpoint: w.drs.endpoint,
    region: REGION,
    credentials: w.drs.credentialsFor(TARGET),
    executionName: 'recheck-1',
    now: () => w.drs.now(),
    advance: (ms) => {
      w.drs.advanceTime(ms);
      // The first wait of wave 1's job: the person starts a recovery of the third server.
      if (++waits === 1) realJob = startRealRecovery(w, [w.servers[2]]);
    },
  });
  const jobId = await realJob!;
  w.drs.advanceTime(3_600_000);
  return { run, realJobId: jobId };
}

describe('a real recovery started during a drill (issue 16, item 1)', () => {
  test('by default the drill stops before its next wave: the real recovery instance is not replaced nor terminated', async () => {
    const { run, realJobId } = await drillWithRecoveryDuringWave1({});
    const starts = successfulCalls(run, 'StartRecovery').map((c) => c.input.sourceServers.map((s: any) => s.sourceServerID));
    expect(starts).toEqual([[world!.servers[0]]]);
    const terminated = successfulCalls(run, 'TerminateRecoveryInstances').flatMap((c) => c.input.recoveryInstanceIDs);
    const left = await instances(world!);
    // The person's recovery instance of the third server is there, from the person's job.
    expect(left.filter((i) => i.sourceServerID === world!.servers[2])).toEqual([expect.objectContaining({ jobID: realJobId, isDrill: false })]);
    expect(terminated).not.toContain(left.find((i) => i.sourceServerID === world!.servers[2])?.recoveryInstanceID);
    expect(run.status).toBe('FAILED');
    expect(run.events[0].Detail.outcome).toBe('STOPPED_RECOVERY_IN_PROGRESS');
    expect(run.events[0].Detail.serversNotStarted).toBe(2);
  });

  test('SKIP_AFFECTED_SERVERS: the later waves go on without the recovered server, which is reported', async () => {
    const { run, realJobId } = await drillWithRecoveryDuringWave1({ recoveryDuringDrill: RecoveryDuringDrill.SKIP_AFFECTED_SERVERS });
    const starts = successfulCalls(run, 'StartRecovery').map((c) => c.input.sourceServers.map((s: any) => s.sourceServerID));
    expect(starts).toEqual([[world!.servers[0]], [world!.servers[1]]]);
    const left = await instances(world!);
    expect(left.filter((i) => i.sourceServerID === world!.servers[2])).toEqual([expect.objectContaining({ jobID: realJobId, isDrill: false })]);
    const detail = run.events[0].Detail;
    expect(detail.serversSkipped).toEqual([expect.objectContaining({ SourceServerID: world!.servers[2] })]);
    expect(detail.serversSkipped[0].Reason).toMatch(/recovery/);
  });
});

describe('a server that cannot be drilled (issue 16, item 6)', () => {
  async function drillWithOneExisting(extra: Record<string, unknown>) {
    world = await startWorld({ servers: 2 });
    const w = world;
    w.drs.addRecoveryInstance(TARGET, REGION, w.servers[1]);
    const { definition } = synthDrill((stack) => ({
      servers: w.servers.map((id, i) => ExtendedSourceServer.fromSourceServerId(stack, `S${i}`, id)), drillName: 'e2e-skips', ...extra,
    }));
    return drill(w, definition, 'skips-1');
  }

  test('fails the drill by default, naming the server', async () => {
    const run = await drillWithOneExisting({});
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('DrillFailed');
    expect(run.events[0].Detail).toMatchObject({ outcome: 'FAILED', succeeded: false, serversDrilled: 1, serversFailed: 0 });
    expect(run.events[0].Detail.serversSkipped).toEqual([{ SourceServerID: world!.servers[1], Reason: expect.stringContaining('has a recovery instance') }]);
    expect(run.cause).toContain(`${world!.servers[1]} skipped`);
  });

  test('allowSkippedServers: the drill of the others succeeds', async () => {
    const run = await drillWithOneExisting({ allowSkippedServers: true });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.output).toMatchObject({ outcome: 'SUCCEEDED', serversSkipped: [{ SourceServerID: world!.servers[1] }] });
  });
});
