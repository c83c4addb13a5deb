/**
 * "It only ever touches what it created", end to end: servers made by hand in the target account
 * (one untagged, one carrying a forged owner tag of another stack) survive every deploy, update
 * and destroy of the example, even when CloudFormation hands the handler their ids as physical
 * ids. Then the same requests made directly with the handler role's permissions (as if the
 * handler's own ownership check were gone) prove that IAM refuses them on its own.
 */
import {
  CreateExtendedSourceServerCommand,
  DeleteSourceServerCommand,
  DisconnectSourceServerCommand,
  DrsClient,
  SourceServer,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-drs';
import { startWorld, synthExample, World } from './harness';
import { OwnerTags, ResourceTypes } from '../../src/contract';
import { AssemblyStack } from '../lifecycle/assembly';
import { authorizerFromTemplate } from '../local-drs/iam';

jest.setTimeout(120_000);

let world: World;
afterEach(async () => world?.stop());

const FORGED_STACK_ID = 'arn:aws:cloudformation:us-east-1:222222222222:stack/SomeoneElse/99999999-8888-7777-6666-555555555555';

interface HandMade {
  readonly id: string;
  readonly arn: string;
}

/** A person in the target account extends a staging server directly, outside any stack. */
async function extendByHand(w: World, tags?: Record<string, string>): Promise<HandMade> {
  w.drs.setAuthorizer(w.target.account, undefined);
  const staging = w.drs.addReplicatingServer(w.staging.account, w.region, { hostname: `by-hand-${Math.random()}.example` });
  const out = await w.targetClient.send(new CreateExtendedSourceServerCommand({ sourceServerArn: staging.arn, tags }));
  return { id: out.sourceServer!.sourceServerID!, arn: out.sourceServer!.arn! };
}

/** What must not change about a hand-made server: it exists, is connected, keeps its tags. */
function state(w: World, server: HandMade): Pick<SourceServer, 'tags' | 'stagingArea' | 'dataReplicationInfo'> | undefined {
  const found = w.drs.inventory(w.target.account, w.region).find((s) => s.sourceServerID === server.id);
  return found && { tags: found.tags, stagingArea: found.stagingArea, dataReplicationInfo: found.dataReplicationInfo };
}

function serverLogicalIds(target: AssemblyStack): string[] {
  return Object.entries<any>(target.template.Resources)
    .filter(([, r]) => r.Type === ResourceTypes.EXTENDED_SOURCE_SERVER).map(([id]) => id);
}

function stackIdOf(w: World, stackName: string): string {
  const event = w.driver.events.find((e) => e.stackName === stackName && e.resourceType === 'AWS::CloudFormation::Stack' && e.status === 'CREATE_COMPLETE');
  return event!.physicalId!;
}

async function setUp(): Promise<{ untagged: HandMade; forged: HandMade; before: Record<string, unknown> }> {
  world = await startWorld();
  expect((await world.driver.deploy(world.staging)).status).toBe('CREATE_COMPLETE');
  const untagged = await extendByHand(world);
  const forged = await extendByHand(world, { [OwnerTags.STACK_ID]: FORGED_STACK_ID, [OwnerTags.LOGICAL_ID]: serverLogicalIds(world.target)[0] });
  const before = { untagged: state(world, untagged), forged: state(world, forged) };
  expect(before.untagged?.dataReplicationInfo?.dataReplicationState).not.toBe('DISCONNECTED');
  expect(before.forged?.tags).toEqual({ [OwnerTags.STACK_ID]: FORGED_STACK_ID, [OwnerTags.LOGICAL_ID]: serverLogicalIds(world.target)[0] });
  return { untagged, forged, before };
}

describe('servers made by hand survive the stack', () => {
  test('deploy, an update and a destroy whose physical ids point at them', async () => {
    const { untagged, forged, before } = await setUp();
    const survived = () => expect({ untagged: state(world, untagged), forged: state(world, forged) }).toEqual(before);
    const [first, second] = serverLogicalIds(world.target);

    expect((await world.driver.deploy(world.target)).status).toBe('CREATE_COMPLETE');
    survived();
    const realFirst = world.driver.resources('TargetStack')[first].physicalId;
    const realSecond = world.driver.resources('TargetStack')[second].physicalId;

    // Update with CloudFormation holding the untagged server's id for the first resource: the
    // handler replaces it by the stack's own server and the "old" one's Delete leaves it alone.
    world.driver.setPhysicalId('TargetStack', first, untagged.id);
    const updated = await world.driver.deploy(synthExample({ application: 'example-v2' }).target);
    expect(updated).toEqual({ status: 'UPDATE_COMPLETE', failures: [] });
    expect(world.driver.resources('TargetStack')[first].physicalId).toBe(realFirst);
    survived();

    // Destroy with the forged server's id in place of the second resource's.
    world.driver.setPhysicalId('TargetStack', second, forged.id);
    expect((await world.driver.destroy('TargetStack')).status).toBe('DELETE_COMPLETE');
    survived();
    // Everything else the stack owned is gone; the second server was lost to CloudFormation by
    // the swap, so it stays (owned by the stack, for an operator to delete).
    const left = world.drs.inventory(world.target.account, world.region).map((s) => s.sourceServerID).sort();
    expect(left).toEqual([untagged.id, forged.id, realSecond].sort());

    // CloudFormation did hand the handler those ids, and their Deletes "succeeded" untouched.
    const deletes = world.driver.events.filter((e) => e.status === 'DELETE_COMPLETE' && [untagged.id, forged.id].includes(e.physicalId ?? ''));
    expect(deletes.map((e) => [e.logicalId, e.physicalId])).toEqual([[first, untagged.id], [second, forged.id]]);
    // The handler's own check stopped every attempt before IAM had to: no refused call at all.
    expect(world.drs.calls.filter((c) => c.errorType === 'AccessDeniedException')).toEqual([]);
    expect(world.drs.calls.some((c) => c.operation === 'DescribeSourceServers')).toBe(true);
  });
});

describe('IAM refuses on its own', () => {
  /** A DRS client with the handler role's permissions: the handler without its ownership check. */
  function asHandlerRole(w: World): DrsClient {
    const roleId = Object.keys(w.target.template.Resources).find((id) => w.target.template.Resources[id].Type === 'AWS::IAM::Role')!;
    w.drs.setAuthorizer(w.target.account, authorizerFromTemplate(w.target.template, roleId, {
      account: w.target.account, region: w.region, stackName: 'TargetStack', stackId: stackIdOf(w, 'TargetStack'),
    }));
    return w.targetClient;
  }

  async function refusal(client: DrsClient, command: any): Promise<string> {
    try {
      await client.send(command);
    } catch (e) {
      const err = e as Error;
      expect(err.name).toBe('AccessDeniedException');
      return err.message;
    }
    throw new Error(`${command.constructor.name} was not refused`);
  }

  test('disconnect, delete, claim or re-point: AccessDeniedException from the local DRS\'s IAM evaluation', async () => {
    const { untagged, forged, before } = await setUp();
    expect((await world.driver.deploy(world.target)).status).toBe('CREATE_COMPLETE');
    const [first] = serverLogicalIds(world.target);
    const owned = world.driver.resources('TargetStack')[first].attributes;
    const stackId = stackIdOf(world, 'TargetStack');
    const handler = asHandlerRole(world);

    for (const server of [untagged, forged]) {
      expect(await refusal(handler, new DisconnectSourceServerCommand({ sourceServerID: server.id })))
        .toContain(`is not authorized to perform: drs:DisconnectSourceServer on resource: ${server.arn}`);
      expect(await refusal(handler, new DeleteSourceServerCommand({ sourceServerID: server.id })))
        .toContain(`is not authorized to perform: drs:DeleteSourceServer on resource: ${server.arn}`);
      // Claiming it by writing this stack's owner tags.
      expect(await refusal(handler, new TagResourceCommand({
        resourceArn: server.arn, tags: { [OwnerTags.STACK_ID]: stackId, [OwnerTags.LOGICAL_ID]: first },
      }))).toContain('explicit deny');
      // Stripping the forged tags to make the server anonymous.
      await refusal(handler, new UntagResourceCommand({ resourceArn: server.arn, tagKeys: [OwnerTags.STACK_ID] }));
    }
    // The stack's own server cannot be re-pointed at another stack or lose its owner tags either.
    const ownedArn = String(owned.SourceServerArn);
    expect(await refusal(handler, new TagResourceCommand({ resourceArn: ownedArn, tags: { [OwnerTags.STACK_ID]: FORGED_STACK_ID } })))
      .toContain("statement 'KeepStackIdFromCreate'");
    expect(await refusal(handler, new UntagResourceCommand({ resourceArn: ownedArn, tagKeys: [OwnerTags.LOGICAL_ID] })))
      .toContain("statement 'NeverRemoveOwnerTags'");
    // Nor create a server that is not born owned by this stack.
    const spare = world.stagingServers[world.stagingServers.length - 1];
    expect(await refusal(handler, new CreateExtendedSourceServerCommand({ sourceServerArn: spare.arn })))
      .toContain('is not authorized to perform: drs:CreateExtendedSourceServer');

    expect({ untagged: state(world, untagged), forged: state(world, forged) }).toEqual(before);

    // The same permissions do let the handler remove what its stack owns: the refusals above are
    // about ownership, not a role that can do nothing.
    await handler.send(new DisconnectSourceServerCommand({ sourceServerID: String(owned.SourceServerId) }));
    await handler.send(new DeleteSourceServerCommand({ sourceServerID: String(owned.SourceServerId) }));
    expect(world.drs.inventory(world.target.account, world.region).map((s) => s.sourceServerID)).not.toContain(owned.SourceServerId);
  });
});
