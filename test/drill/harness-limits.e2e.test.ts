/**
 * The harness enforces Step Functions' quotas as AWS does (README, "Limits"): 256 KB (262,144
 * bytes of UTF-8) per state input, output and task result, and 25,000 history events per
 * execution. Over either, the execution fails at once: `States.DataLimitExceeded` is not caught
 * by `States.ALL`, and no state runs after it (so no clean-up either).
 */
import { CreateExtendedSourceServerCommand, DrsClient } from '@aws-sdk/client-drs';
import { HISTORY_LIMIT_EVENTS, PAYLOAD_LIMIT_BYTES, payloadBytes, requireStepsBundle, runDrill, successfulCalls } from './harness';
import { drill, DrillWorld, REGION, startWorld, synthDrill, TARGET, STAGING } from './world';
import { ExtendedSourceServer } from '../../src';
import { LocalDrs } from '../local-drs';

jest.setTimeout(300_000);
beforeAll(requireStepsBundle);

let world: DrillWorld | undefined;
afterEach(async () => {
  await world?.stop();
  world = undefined;
});

function drillOf(ids: string[]) {
  return synthDrill((stack) => ({ servers: ids.map((id, i) => ExtendedSourceServer.fromSourceServerId(stack, `S${i}`, id)) }));
}

/** Runs a hand-written definition (no DRS calls) and returns the run. */
async function runDefinition(definition: any, limits?: { payloadBytes?: number; historyEvents?: number }) {
  const drs = await LocalDrs.start({ clock: 'manual' });
  try {
    drs.addAccount(TARGET);
    return await runDrill({
      definition,
      endpoint: drs.endpoint,
      region: REGION,
      credentials: drs.credentialsFor(TARGET),
      advance: (ms) => drs.advanceTime(ms),
      now: () => drs.now(),
      limits,
    });
  } finally {
    await drs.stop();
  }
}

const PUT = 'arn:aws:states:::events:putEvents';
const put = { Type: 'Task', Resource: PUT, Parameters: { Entries: [{ Source: 's', DetailType: 'd', Detail: { a: 1 } }] } };

test('the quotas are AWS\'s', () => {
  expect(PAYLOAD_LIMIT_BYTES).toBe(262_144);
  expect(HISTORY_LIMIT_EVENTS).toBe(25_000);
  expect(payloadBytes({ s: 'é' })).toBe(10); // UTF-8 bytes, not characters
});

test('history events are counted per state as Step Functions records them', async () => {
  const run = await runDefinition({
    StartAt: 'P',
    States: {
      P: { Type: 'Pass', Result: [1, 2], ResultPath: '$.items', Next: 'T' },
      T: { ...put, ResultPath: null, Next: 'W' },
      W: { Type: 'Wait', Seconds: 5, Next: 'M' },
      M: { Type: 'Map', ItemsPath: '$.items', ItemProcessor: { StartAt: 'I', States: { I: { Type: 'Pass', End: true } } }, ResultPath: null, Next: 'C' },
      C: { Type: 'Choice', Choices: [{ Variable: '$.items[0]', NumericEquals: 1, Next: 'S' }], Default: 'S' },
      S: { Type: 'Succeed' },
    },
  });
  expect(run.status).toBe('SUCCEEDED');
  // ExecutionStarted 1; Pass 2; Task 5 (Entered, Scheduled, Started, Succeeded, Exited); Wait 2;
  // Map 4 (Entered, Started, Succeeded, Exited) + 2 per iteration + the iteration's Pass 2 each; Choice 2;
  // Succeed 2; ExecutionSucceeded 1.
  expect(run.historyEvents).toBe(1 + 2 + 5 + 2 + (4 + 2 * 2 + 2 * 2) + 2 + 2 + 1);
});

test('a state over the payload quota fails the execution, nothing runs after', async () => {
  const run = await runDefinition({
    StartAt: 'Big',
    States: {
      Big: { Type: 'Pass', Result: { blob: 'x'.repeat(2000) }, Next: 'After' },
      After: { ...put, End: true },
    },
  }, { payloadBytes: 1000 });
  expect({ status: run.status, error: run.error }).toEqual({ status: 'FAILED', error: 'States.DataLimitExceeded' });
  expect(run.events).toEqual([]);
  expect(run.largestPayload).toMatchObject({ state: 'Big', what: 'output' });
}, 60_000);

test('a task result over the quota fails the execution', async () => {
  const run = await runDefinition({ StartAt: 'T', States: { T: { ...put, Catch: [{ ErrorEquals: ['States.ALL'], Next: 'F' }], End: true }, F: { Type: 'Fail', Error: 'caught' } } }, { payloadBytes: 60 });
  expect(run.error).toBe('States.DataLimitExceeded');
  expect(run.cause).toContain('state T');
});

test('an execution over the history quota fails hard, without a clean-up', async () => {
  world = await startWorld({ servers: 3 });
  const { definition } = drillOf(world.servers);
  const run = await runDrill({
    definition,
    endpoint: world.drs.endpoint,
    region: REGION,
    credentials: world.drs.credentialsFor(TARGET),
    advance: (ms) => world!.drs.advanceTime(ms),
    now: () => world!.drs.now(),
    ec2: world.ec2,
    limits: { historyEvents: 60 },
    lambdaRunner: 'in-process',
  });
  expect({ status: run.status, error: run.error }).toEqual({ status: 'FAILED', error: 'States.HistoryLimitExceeded' });
  expect(successfulCalls(run, 'TerminateRecoveryInstances')).toEqual([]);
  expect(run.events).toEqual([]);
});

test('a small drill within the quotas: the largest state and the history are measured', async () => {
  world = await startWorld({ servers: 3 });
  const { definition } = drillOf(world.servers);
  const run = await drill(world, definition, 'measured');
  expect(run.status).toBe('SUCCEEDED');
  expect(run.largestPayload.bytes).toBeGreaterThan(0);
  expect(run.largestPayload.bytes).toBeLessThan(PAYLOAD_LIMIT_BYTES);
  expect(run.historyEvents).toBeGreaterThan(run.transitions * 2 - 1);
});

/**
 * Known defect (issue 16 item 2; the drill-engine branch keeps per-server data out of the state):
 * at 500 servers Collect's output passes 256 KB. AWS fails such an execution before its clean-up;
 * so does the harness now. When the engine is fixed this test fails: turn it into
 * "a 500-server drill stays under 256 KB".
 */
test('known defect: a 500-server drill passes 256 KB and the harness fails it as AWS would', async () => {
  const drs = await LocalDrs.start({ clock: 'manual', quotas: { replicatingServersPerRegion: 600 } });
  drs.addAccount(STAGING);
  drs.addAccount(TARGET);
  const target = new DrsClient({ ...drs.clientConfig(TARGET, REGION), maxAttempts: 1 });
  try {
    drs.setTrustEvaluator(() => ({ trusted: true }));
    const ids: string[] = [];
    for (let n = 0; n < 500; n++) {
      const { arn } = drs.addReplicatingServer(STAGING, REGION, { hostname: `app-${n}.example` });
      ids.push((await target.send(new CreateExtendedSourceServerCommand({ sourceServerArn: arn }))).sourceServer!.sourceServerID!);
    }
    const { definition } = synthDrill((stack) => ({ servers: ids.map((id, i) => ExtendedSourceServer.fromSourceServerId(stack, `S${i}`, id)), serversPerJob: 100 }));
    const run = await runDrill({
      definition,
      endpoint: drs.endpoint,
      region: REGION,
      credentials: drs.credentialsFor(TARGET),
      lambdaRunner: 'in-process',
      advance: (ms) => drs.advanceTime(ms),
      now: () => drs.now(),
      executionName: 'five-hundred',
    });
    expect({ status: run.status, error: run.error }).toEqual({ status: 'FAILED', error: 'States.DataLimitExceeded' });
    expect(run.largestPayload.bytes).toBeGreaterThan(PAYLOAD_LIMIT_BYTES);
    // Failed before the clean-up: every drill instance is still running.
    expect(successfulCalls(run, 'TerminateRecoveryInstances')).toEqual([]);
  } finally {
    target.destroy();
    await drs.stop();
  }
});
