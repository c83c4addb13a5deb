/**
 * End to end: the state machine definition RecoveryDrill synthesizes, taken from the template,
 * run by a States Language interpreter against the local DRS, with the bundled Lambda steps.
 * Needs `npx projen bundle` (the drill-steps asset).
 */
import { DescribeRecoveryInstancesCommand, RecoveryInstance, StartRecoveryCommand } from '@aws-sdk/client-drs';
import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { requireStepsBundle, successfulCalls } from './harness';
import { drill, DrillWorld, READINGS, REGION, startRealRecovery, startWorld as startWorldWith, synthDrill, TARGET, WorldOptions } from './world';
import { ExistingRecoveryInstance, ExtendedSourceServer, ServerSelector } from '../../src';
import { DrillTags } from '../../src/contract/drill';

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

const calls = successfulCalls;

/** Every DRS call of the target account (the person's, the Lambda steps' and the state machine's). */
function accountCalls(w: DrillWorld, operation: string): number {
  return w.drs.calls.filter((c) => c.account === TARGET && c.operation === operation).length;
}

/** A drill of the given server ids (imported), with optional props. */
function drillOf(ids: string[], extra: Record<string, unknown> = {}) {
  return synthDrill((stack) => ({ servers: ids.map((id, i) => ExtendedSourceServer.fromSourceServerId(stack, `S${i}`, id)), ...extra }));
}

/** Lets the terminate jobs finish (local DRS: 30 s to start, 60 s to terminate). */
function finishTermination(w: DrillWorld): void {
  w.drs.advanceTime(120_000);
}

describe.each(READINGS)('initiatedBy reading %s', (initiatedBy) => {
  const startWorld = (o: WorldOptions) => startWorldWith({ ...o, initiatedBy });

  test('every server launched: recovery times measured, result event and metrics, every drill instance terminated', async () => {
    world = await startWorld({ servers: 3 });
    const { definition } = drillOf(world.servers, { drillName: 'e2e-all', recoveryTimeObjective: Duration.minutes(10) });
    const run = await drill(world, definition, 'all-launched');

    expect(run.status).toBe('SUCCEEDED');
    expect(run.output.outcome).toBe('SUCCEEDED');
    const detail = run.events[0].Detail;
    expect(run.events).toHaveLength(1);
    expect(run.events[0]).toMatchObject({ Source: 'cdk-drs-multi-account', DetailType: 'DRS Recovery Drill Result' });
    expect(detail.servers.map((s: any) => s.sourceServerId).sort()).toEqual([...world.servers].sort());
    // Local DRS timing: 30 s to start, 300 s to launch.
    for (const s of detail.servers) expect(s).toMatchObject({ launchStatus: 'LAUNCHED', succeeded: true, recoveryTimeSeconds: 330 });
    expect(detail).toMatchObject({ maxRecoveryTimeSeconds: 330, medianRecoveryTimeSeconds: 330, serversDrilled: 3, serversFailed: 0 });
    const metric = (name: string) => run.metrics.find((m) => m.MetricName === name);
    expect(metric('DrillSucceeded')).toMatchObject({ Namespace: 'CdkDrsMultiAccount', Value: 1, Dimensions: [{ Name: 'DrillName', Value: 'e2e-all' }] });
    expect(metric('ServersDrilled').Value).toBe(3);
    expect(metric('MaxRecoveryTimeSeconds')).toMatchObject({ Value: 330, Unit: 'Seconds' });

    // One job, a drill, tagged with the drill and the execution.
    const starts = calls(run, 'StartRecovery');
    expect(starts).toHaveLength(1);
    const launched = run.output.servers.map((s: any) => s.recoveryInstanceId).sort();
    const terminated = calls(run, 'TerminateRecoveryInstances').flatMap((c) => c.input.recoveryInstanceIDs).sort();
    expect(terminated).toEqual(launched);
    finishTermination(world);
    expect(await instances(world)).toEqual([]);
  });

  test('StartRecovery is a drill tagged with the drill name and the execution name', async () => {
    world = await startWorld({ servers: 1 });
    const { definition, drill: construct } = drillOf(world.servers, { drillName: 'e2e-tags' });
    expect(construct.drillTag).toMatch(/^e2e-tags:[0-9a-f]{16}$/);
    const run = await drill(world, definition, 'tagged-execution');
    const [start] = calls(run, 'StartRecovery');
    expect(start.input).toEqual({
      sourceServers: [{ sourceServerID: world.servers[0] }],
      isDrill: true,
      tags: { [DrillTags.DRILL]: construct.drillTag, [DrillTags.EXECUTION]: 'tagged-execution' },
    });
  });

  test('one server failing: the drill fails naming it, the others are measured and terminated', async () => {
    world = await startWorld({ servers: 3 });
    const failing = world.servers[1];
    world.drs.faults.failLaunch(failing);
    const { definition } = drillOf(world.servers);
    const run = await drill(world, definition, 'one-fails');

    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('DrillFailed');
    expect(run.cause).toContain(`${failing}: LAUNCH_FAILED`);
    const detail = run.events[0].Detail;
    expect(detail).toMatchObject({ outcome: 'FAILED', serversDrilled: 3, serversFailed: 1 });
    expect(detail.servers.find((s: any) => s.sourceServerId === failing)).toMatchObject({ launchStatus: 'FAILED', succeeded: false });
    expect(run.metrics.find((m) => m.MetricName === 'DrillSucceeded').Value).toBe(0);
    expect(run.metrics.find((m) => m.MetricName === 'ServersFailed').Value).toBe(1);
    expect(calls(run, 'TerminateRecoveryInstances').flatMap((c) => c.input.recoveryInstanceIDs)).toHaveLength(2);
    finishTermination(world);
    expect(await instances(world)).toEqual([]);
  });

  test('a server over the recovery time objective fails the drill', async () => {
    world = await startWorld({ servers: 2 });
    world.drs.faults.slowLaunch(world.servers[0], 600);
    const { definition } = drillOf(world.servers, { recoveryTimeObjective: Duration.minutes(10) });
    const run = await drill(world, definition, 'slow');
    expect(run.error).toBe('DrillFailed');
    const slow = run.events[0].Detail.servers.find((s: any) => s.sourceServerId === world!.servers[0]);
    expect(slow).toMatchObject({ launchStatus: 'LAUNCHED', recoveryTimeSeconds: 930, succeeded: false });
    expect(slow.reason).toContain('more than the recovery time objective of 600 s');
    expect(run.events[0].Detail.maxRecoveryTimeSeconds).toBe(930);
  });

  test('the drill times out mid-wave: no further wave starts, and the clean-up still terminates what it launched', async () => {
    world = await startWorld({ servers: 6 });
    // Waves of 2: the second wave's second server launches only after the drill's timeout.
    world.drs.faults.slowLaunch(world.servers[3], 900);
    const { definition } = drillOf(world.servers, { serversPerJob: 2, timeout: Duration.minutes(15), pollInterval: Duration.minutes(1) });
    const run = await drill(world, definition, 'times-out');

    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('DrillFailed');
    const detail = run.events[0].Detail;
    expect(detail.outcome).toBe('TIMED_OUT');
    expect(detail.error.Error).toBe('DrillTimedOut');
    expect(calls(run, 'StartRecovery')).toHaveLength(2);
    expect(detail.serversNotStarted).toBe(2);
    // The timed-out job ended while the drill waited for it: its late instance is terminated too.
    const terminated = new Set(calls(run, 'TerminateRecoveryInstances').flatMap((c) => c.input.recoveryInstanceIDs));
    expect(terminated.size).toBe(4);
    finishTermination(world);
    expect(await instances(world)).toEqual([]);
  });

  test('a real recovery in progress: the drill refuses and starts nothing', async () => {
    world = await startWorld({ servers: 3 });
    await startRealRecovery(world, [world.servers[2]]);
    const { definition } = drillOf(world.servers.slice(0, 2));
    const run = await drill(world, definition, 'refused');

    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('DrillRefused');
    expect(run.events[0].Detail.outcome).toBe('REFUSED_RECOVERY_IN_PROGRESS');
    expect(calls(run, 'StartRecovery')).toHaveLength(0);
    expect(accountCalls(world, 'StartRecovery')).toBe(1); // the person's recovery
    expect(calls(run, 'TerminateRecoveryInstances')).toHaveLength(0);
    expect(run.metrics.find((m) => m.MetricName === 'DrillSucceeded').Value).toBe(0);
  });

  test('a drill of another execution in progress does not count as a recovery', async () => {
    world = await startWorld({ servers: 2 });
    const { definition } = drillOf([world.servers[0]]);
    // Another drill's job, started as a drill: the drill goes ahead.
    await world.target.send(new StartRecoveryCommand({
      sourceServers: [{ sourceServerID: world.servers[1] }], isDrill: true, tags: { [DrillTags.DRILL]: 'other' },
    }));
    const run = await drill(world, definition, 'beside-another-drill');
    expect(run.status).toBe('SUCCEEDED');
    // The other drill's instance is not this execution's: it stays.
    finishTermination(world);
    const left = await instances(world);
    expect(left.map((i) => i.sourceServerID)).toEqual([world.servers[1]]);
  });

  test('more than 100 servers: waves of at most 100, all launched and terminated', async () => {
    world = await startWorld({ servers: 250 });
    const { definition } = synthDrill(() => ({ selector: ServerSelector.all() }));
    const run = await drill(world, definition, 'waves');

    expect({ status: run.status, cause: run.cause }).toEqual({ status: 'SUCCEEDED', cause: undefined });
    const starts = calls(run, 'StartRecovery');
    expect(starts.map((c) => c.input.sourceServers.length)).toEqual([100, 100, 50]);
    expect(run.output.serversDrilled).toBe(250);
    const terminated = calls(run, 'TerminateRecoveryInstances').map((c) => c.input.recoveryInstanceIDs.length);
    expect(terminated).toEqual([100, 100, 50]);
    finishTermination(world);
    expect(await instances(world)).toEqual([]);
  });

  test('waves follow the wave tag: tagged servers first, by value', async () => {
    world = await startWorld({ servers: 5, tags: (n): Record<string, string> => (n === 4 ? { DrWave: '1' } : n === 2 ? { DrWave: '2' } : {}) });
    const { definition } = drillOf(world.servers, { waveTagKey: 'DrWave' });
    const run = await drill(world, definition, 'ordered');
    const waves = calls(run, 'StartRecovery').map((c) => c.input.sourceServers.map((s: any) => s.sourceServerID));
    expect(waves).toEqual([[world.servers[4]], [world.servers[2]], [world.servers[0], world.servers[1], world.servers[3]]]);
  });

  test('pre-existing recovery instances are not touched: their server is skipped, other instances stay', async () => {
    world = await startWorld({ servers: 4 });
    const [a, b, c, d] = world.servers;
    // b has a drill instance launched by hand; d a recovery's (not a drill) instance.
    const handMade = world.drs.addRecoveryInstance(TARGET, REGION, b);
    await startRealRecovery(world, [d]);
    world.drs.advanceTime(400_000);
    const recovery = (await instances(world)).find((i) => i.sourceServerID === d)!;
    expect(recovery.isDrill).toBe(false);

    const { definition } = drillOf([a, b, c], { allowSkippedServers: true });
    const run = await drill(world, definition, 'skips');
    expect(run.status).toBe('SUCCEEDED');
    expect(run.output.serversSkipped).toEqual([{ SourceServerID: b, Reason: expect.stringContaining('has a recovery instance') }]);
    expect(calls(run, 'StartRecovery').map((x) => x.input.sourceServers.map((s: any) => s.sourceServerID))).toEqual([[a, c]]);
    const terminated = calls(run, 'TerminateRecoveryInstances').flatMap((x) => x.input.recoveryInstanceIDs);
    expect(terminated).not.toContain(handMade);
    expect(terminated).not.toContain(recovery.recoveryInstanceID);
    finishTermination(world);
    expect((await instances(world)).map((i) => i.recoveryInstanceID).sort()).toEqual([handMade, recovery.recoveryInstanceID].sort());
  });

  test('existingRecoveryInstance REFUSE: a server with a recovery instance stops the drill before it starts', async () => {
    world = await startWorld({ servers: 2 });
    world.drs.addRecoveryInstance(TARGET, REGION, world.servers[1]);
    const { definition } = drillOf(world.servers, { existingRecoveryInstance: ExistingRecoveryInstance.REFUSE });
    const run = await drill(world, definition, 'refuse-existing');
    expect(run.error).toBe('DrillRefused');
    expect(run.events[0].Detail.outcome).toBe('REFUSED_EXISTING_INSTANCE');
    expect(calls(run, 'StartRecovery')).toHaveLength(0);
  });

  test('a terminate that is already under way (ConflictException) counts as done', async () => {
    world = await startWorld({ servers: 2 });
    world.drs.faults.conflictOnTerminate(world.servers[0]);
    const { definition } = drillOf(world.servers);
    const run = await drill(world, definition, 'conflict');
    expect({ status: run.status, cause: run.cause }).toEqual({ status: 'SUCCEEDED', cause: undefined });
    expect(run.statesEntered.AlreadyTerminating).toBe(1);
  });

  test('the job quotas leave no room: refused before any job starts', async () => {
    world = await startWorld({ servers: 22 });
    // 20 jobs of another drill are active: DRS allows 20 at once.
    for (const id of world.servers.slice(2)) {
      await world.target.send(new StartRecoveryCommand({ sourceServers: [{ sourceServerID: id }], isDrill: true, tags: { [DrillTags.DRILL]: 'other' } }));
    }
    const { definition } = drillOf(world.servers.slice(0, 2));
    const run = await drill(world, definition, 'no-room');
    expect(run.error).toBe('DrillRefused');
    expect(run.events[0].Detail.outcome).toBe('REFUSED_LIMITS');
    expect(calls(run, 'StartRecovery')).toHaveLength(0);
  });

  test('an invalid input is refused by the definition itself', async () => {
    world = await startWorld({ servers: 1 });
    const { definition } = drillOf(world.servers);
    const run = await drill(world, definition, 'bad-input', { reason: 42 });
    expect(run.error).toBe('DrillInputInvalid');
    expect(world.drs.calls.filter((c) => c.account === TARGET)).toHaveLength(1); // CreateExtendedSourceServer of the set-up
  });
});

describe('with IAM evaluated as deployed (the state machine role for its Tasks, the function role for the Lambda steps)', () => {
  test('a selector with a tag condition: the drill runs, and the clean-up is allowed by the tag the instances copy from their servers', async () => {
    world = await startWorldWith({ servers: 3, tags: () => ({ Application: 'erp' }) });
    const { definition, template } = synthDrill(() => ({ selector: ServerSelector.tagEquals('Application', 'erp'), drillName: 'iam-erp' }));
    const run = await drill(world, definition, 'iam-selector', undefined, template);
    expect({ status: run.status, cause: run.cause }).toEqual({ status: 'SUCCEEDED', cause: undefined });
    expect(calls(run, 'TerminateRecoveryInstances').flatMap((c) => c.input.recoveryInstanceIDs)).toHaveLength(3);
    expect(world.drs.calls.filter((c) => c.status === 403)).toEqual([]);
  });

  test('imported servers under the reading "instances copy the server\'s tags": the terminate is denied and the drill says so (the synth warning)', async () => {
    world = await startWorldWith({ servers: 2 });
    const { definition, template } = drillOf(world.servers, { drillName: 'iam-imported' });
    const run = await drill(world, definition, 'iam-imported', undefined, template);
    expect(run.error).toBe('DrillCleanupFailed');
    expect(run.cause).toContain('drs:TerminateRecoveryInstances');
    expect(run.events[0].Detail.outcome).toBe('SUCCEEDED'); // the drill itself went well
    expect(world.drs.calls.filter((c) => c.status === 403).map((c) => c.operation)).toEqual(['TerminateRecoveryInstances']);
  });
});

describe('a user-given check of each launched server', () => {
  const CHECK_ARN = `arn:aws:lambda:${REGION}:${TARGET}:function:probe`;

  test('a failing or throwing check fails its server; recovery times end at the check; every instance is still terminated', async () => {
    world = await startWorldWith({ servers: 3 });
    const [a, b, c] = world.servers;
    const { definition } = synthDrill((stack) => ({
      servers: world!.servers.map((id, i) => ExtendedSourceServer.fromSourceServerId(stack, `S${i}`, id)),
      check: lambda.Function.fromFunctionArn(stack, 'Probe', CHECK_ARN),
      checkConcurrency: 1,
    }));
    const seen: any[] = [];
    const probe = (payload: any) => {
      seen.push(payload);
      world!.drs.advanceTime(120_000); // each check takes two minutes
      if (payload.sourceServerId === b) return { passed: false, detail: 'HTTP 500 from /health' };
      if (payload.sourceServerId === c) throw new Error('probe could not connect');
      return { passed: true };
    };
    const run = await drill(world, definition, 'checked', undefined, undefined, { [CHECK_ARN]: probe });

    expect(run.error).toBe('DrillFailed');
    expect(seen.map((p) => p.sourceServerId).sort()).toEqual([a, b, c].sort());
    expect(seen[0]).toMatchObject({ drillName: expect.any(String), executionName: 'checked', recoveryInstanceId: expect.stringMatching(/^i-/) });
    const servers = Object.fromEntries(run.events[0].Detail.servers.map((s: any) => [s.sourceServerId, s]));
    expect(servers[a]).toMatchObject({ succeeded: true, checkedAt: expect.any(String) });
    expect(servers[a].recoveryTimeSeconds).toBeGreaterThan(330);
    expect(servers[b]).toMatchObject({ succeeded: false, reason: 'the check did not pass: HTTP 500 from /health' });
    expect(servers[c].succeeded).toBe(false);
    expect(servers[c].reason).toContain('probe could not connect');
    expect(run.events[0].Detail.serversFailed).toBe(2);
    expect(calls(run, 'TerminateRecoveryInstances').flatMap((x) => x.input.recoveryInstanceIDs)).toHaveLength(3);
  });

  test('all checks pass: the drill succeeds', async () => {
    world = await startWorldWith({ servers: 2 });
    const { definition } = synthDrill((stack) => ({
      servers: world!.servers.map((id, i) => ExtendedSourceServer.fromSourceServerId(stack, `S${i}`, id)),
      check: lambda.Function.fromFunctionArn(stack, 'Probe', CHECK_ARN),
    }));
    const run = await drill(world, definition, 'all-pass', undefined, undefined, { [CHECK_ARN]: () => ({ passed: true }) });
    expect({ status: run.status, cause: run.cause }).toEqual({ status: 'SUCCEEDED', cause: undefined });
    expect(run.lambdaCalls[CHECK_ARN]).toBe(2);
  });
});
