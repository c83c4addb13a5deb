/**
 * End to end: a drill given `servers`, `extensions` and `extendedServerSelector` together drills
 * their union, each server once, and nothing else; with IAM evaluated as deployed, so each way
 * of naming servers is allowed by its own statement. Needs `npx projen bundle`.
 */
import { Stack } from 'aws-cdk-lib';
import { requireStepsBundle, successfulCalls } from './harness';
import { drill, DrillWorld, READINGS, startWorld, synthDrill } from './world';
import { ExtendedServerSelector, ExtendedSourceServer, RecoveryDrillProps, StagingAccountExtension } from '../../src';
import { OwnerTags } from '../../src/contract';

jest.setTimeout(120_000);

beforeAll(requireStepsBundle);

let world: DrillWorld | undefined;
afterEach(async () => {
  await world?.stop();
  world = undefined;
});

/** Two extensions, one extra server by id, and a selector (the "two extensions and one more server", plus a selector). */
function props(stack: Stack, ids: string[]): RecoveryDrillProps {
  return {
    drillName: 'union',
    extensions: [
      new StagingAccountExtension(stack, 'East', { stagingAccountId: '111111111111' }),
      new StagingAccountExtension(stack, 'West', { stagingAccountId: '333333333333' }),
    ],
    ...(ids.length > 0 ? { servers: ids.map((id, i) => ExtendedSourceServer.fromSourceServerId(stack, `Extra${i}`, id)) } : {}),
    extendedServerSelector: ExtendedServerSelector.tagEquals('tier', 'web'),
  };
}

describe.each(READINGS)('initiatedBy reading %s', (initiatedBy) => {
  test('servers + extensions + selector: the union is drilled once each, the rest not at all', async () => {
    // The extensions' owner tags, as the drill's plan step will look for them.
    const owners = synthDrill((stack) => props(stack, [])).definition.States.Plan.Parameters.Payload.Targets.Owners;
    const [east, west] = owners.map((o: { StackId: string; LogicalId: string }) =>
      ({ [OwnerTags.STACK_ID]: o.StackId, [OwnerTags.LOGICAL_ID]: o.LogicalId }));
    const tags = [
      { ...east, tier: 'web' }, // 0: extension East and the selector
      west, //                      1: extension West
      { tier: 'web' }, //           2: the selector
      { tier: 'web' }, //           3: by id and the selector
      { tier: 'db' }, //            4: nothing names it
      east, //                      5: by id and extension East
    ];
    world = await startWorld({ servers: tags.length, tags: (n) => tags[n], initiatedBy });
    const s = world.servers;
    // Servers 3 and 5 are named twice, by id and by the selector or an extension (listing one id
    // twice in `servers` is refused at synth).
    const { definition, template } = synthDrill((stack) => props(stack, [s[3], s[5]]));
    const run = await drill(world, definition, 'union-1', undefined, template);

    expect({ status: run.status, cause: run.cause }).toEqual({ status: 'SUCCEEDED', cause: undefined });
    const started = successfulCalls(run, 'StartRecovery').flatMap((c) => c.input.sourceServers.map((x: { sourceServerID: string }) => x.sourceServerID));
    expect([...started].sort()).toEqual([s[0], s[1], s[2], s[3], s[5]].sort());
    expect(new Set(started).size).toBe(started.length);
    expect(run.events[0].Detail.serversDrilled).toBe(5);
    expect(run.events[0].Detail.servers.map((x: { sourceServerId: string }) => x.sourceServerId)).not.toContain(s[4]);
    expect(successfulCalls(run, 'TerminateRecoveryInstances').flatMap((c) => c.input.recoveryInstanceIDs)).toHaveLength(5);
    expect(world.drs.calls.filter((c) => c.status === 403)).toEqual([]);
  });
});
