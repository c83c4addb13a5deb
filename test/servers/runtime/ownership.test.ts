/**
 * Ownership across renames, moves, switches and rollbacks (docs/ownership.md), through the
 * dispatcher with a mocked DRS that keeps state and a fake of the stack's resources as
 * CloudFormation lists them. One regression test per defect of issue 9 (1-4): each fails on the
 * handler before the ownership protocol.
 */
import {
  CreateExtendedSourceServerCommand,
  DeleteSourceServerCommand,
  DescribeSourceServersCommand,
  DisconnectSourceServerCommand,
  DrsClient,
  ListExtensibleSourceServersCommand,
  SourceServer,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-drs';
import { mockClient } from 'aws-sdk-client-mock';
import { OwnerTags, ResourceTypes } from '../../../src/contract';
import { handleEvent, HandlerDeps, HandlerResult } from '../../../src/provider/runtime/dispatch';
import { CloudFormationEvent } from '../../../src/provider/runtime/response';
import { StackResource } from '../../../src/servers/runtime/ownership';
import { errors, FakeClock, REGION, serverArn, STACK_ID, TARGET } from '../../support/handler-fixtures';

const drs = mockClient(DrsClient);
const client = new DrsClient({ region: REGION });
const A = '111111111111';
const B = '333333333333';
const FUNCTION_ARN = `arn:aws:lambda:${REGION}:${TARGET}:function:handler`;
const OTHER_STACK = `arn:aws:cloudformation:${REGION}:${TARGET}:stack/Other/99999999-8888-7777-6666-555555555555`;
const ESS = ResourceTypes.EXTENDED_SOURCE_SERVER;
const SAE = ResourceTypes.STAGING_ACCOUNT_EXTENSION;

interface Staging { arn: string; hostname: string }

/** A small DRS with several staging accounts, the target account's servers, and call hooks. */
class World {
  staging: Staging[] = [];
  servers: SourceServer[] = [];
  /** The stack's resources as CloudFormation lists them; undefined: CloudFormation unreadable. */
  stack: Map<string, StackResource> | undefined = new Map();
  /** The tags each ExtendedSourceServer's Metadata declares, as DescribeStackResource returns them. */
  declaredTags = new Map<string, Record<string, string>>();
  /** The stack's status as DescribeStacks says it. */
  stackStatus = 'UPDATE_IN_PROGRESS';
  private seq = 0;
  fail: (operation: string, input: any) => void = () => {};

  addStaging(account: string, hostname: string): Staging {
    const id = `s-${account.slice(0, 1).repeat(12)}${String(this.staging.length + 1).padStart(5, '0')}`;
    const s = { arn: `arn:aws:drs:${REGION}:${account}:source-server/${id}`, hostname };
    this.staging.push(s);
    return s;
  }

  declare(logicalId: string, type: string, physicalId?: string): void {
    this.stack!.set(logicalId, { logicalId, type, physicalId, status: 'CREATE_COMPLETE' });
  }

  byId(id: string) { return this.servers.find((s) => s.sourceServerID === id); }
  from(staging: Staging) { return this.servers.find((s) => s.stagingArea?.stagingSourceServerArn === staging.arn); }
  tagsOf(staging: Staging) { return this.from(staging)?.tags; }

  install(): void {
    const accountOf = (arn: string) => arn.split(':')[4];
    drs.on(DescribeSourceServersCommand).callsFake((input) => {
      this.fail('DescribeSourceServers', input);
      const ids: string[] = input.filters?.sourceServerIDs ?? [];
      const accounts: string[] = input.filters?.stagingAccountIDs ?? [];
      const items = this.servers.filter((s) => (ids.length === 0 || ids.includes(s.sourceServerID!)) &&
        (accounts.length === 0 || accounts.includes(s.stagingArea!.stagingAccountID!)));
      return { items: JSON.parse(JSON.stringify(items)) };
    });
    drs.on(ListExtensibleSourceServersCommand).callsFake((input) => {
      this.fail('ListExtensibleSourceServers', input);
      return {
        items: this.staging.filter((s) => accountOf(s.arn) === input.stagingAccountID && !this.from(s))
          .map((s) => ({ arn: s.arn, hostname: s.hostname, tags: {} })),
      };
    });
    drs.on(CreateExtendedSourceServerCommand).callsFake((input) => {
      this.fail('CreateExtendedSourceServer', input);
      const staging = this.staging.find((s) => s.arn === input.sourceServerArn)!;
      if (this.from(staging)) throw errors.validation('already extended');
      this.seq += 1;
      const id = `s-${'2'.repeat(12)}${String(this.seq).padStart(5, '0')}`;
      const server: SourceServer = {
        sourceServerID: id,
        arn: serverArn(id),
        tags: { ...input.tags },
        sourceProperties: { identificationHints: { hostname: staging.hostname } },
        stagingArea: { status: 'EXTENDED', stagingAccountID: accountOf(staging.arn), stagingSourceServerArn: staging.arn },
        dataReplicationInfo: { dataReplicationState: 'CONTINUOUS' },
      };
      this.servers.push(server);
      return { sourceServer: JSON.parse(JSON.stringify(server)) };
    });
    drs.on(DisconnectSourceServerCommand).callsFake((input) => {
      this.fail('DisconnectSourceServer', input);
      this.byId(input.sourceServerID)!.dataReplicationInfo = { dataReplicationState: 'DISCONNECTED' };
      return {};
    });
    drs.on(DeleteSourceServerCommand).callsFake((input) => {
      this.fail('DeleteSourceServer', input);
      this.servers = this.servers.filter((s) => s.sourceServerID !== input.sourceServerID);
      return {};
    });
    drs.on(TagResourceCommand).callsFake((input) => {
      this.fail('TagResource', input);
      Object.assign(this.servers.find((s) => s.arn === input.resourceArn)!.tags!, input.tags);
      return {};
    });
    drs.on(UntagResourceCommand).callsFake((input) => {
      this.fail('UntagResource', input);
      const s = this.servers.find((x) => x.arn === input.resourceArn)!;
      for (const k of input.tagKeys) delete s.tags![k];
      return {};
    });
  }
}

let world: World;
let clock: FakeClock;
beforeEach(() => {
  drs.reset();
  world = new World();
  world.install();
  clock = new FakeClock();
});

const deps = (): HandlerDeps => ({
  client,
  env: { AWS_REGION: REGION },
  // Time moves only when the handler waits (retries of AccessDenied during a Create included).
  now: clock.now,
  sleep: clock.sleep,
  write: () => undefined,
  stackResources: {
    list: async (stackId) => {
      if (stackId !== STACK_ID) throw new Error(`asked about another stack: ${stackId}`);
      if (!world.stack) throw Object.assign(new Error('not authorized to perform cloudformation:ListStackResources'), { name: 'AccessDenied' });
      return [...world.stack.values()];
    },
    declaredTags: async (_stackId, logicalId) => world.declaredTags.get(logicalId),
    stackStatus: async () => world.stackStatus,
  },
});

let requests = 0;
function send(
  type: string, requestType: string, logicalId: string, props: Record<string, unknown>,
  extra: Partial<CloudFormationEvent> = {},
): Promise<HandlerResult> {
  requests += 1;
  const event: CloudFormationEvent = {
    RequestType: requestType as any,
    ResponseURL: 'https://example.invalid/response',
    StackId: STACK_ID,
    RequestId: `req-${requests}`,
    LogicalResourceId: logicalId,
    ResourceType: type,
    ResourceProperties: { ServiceToken: FUNCTION_ARN, ...props },
    ...extra,
  };
  return handleEvent(event, { invokedFunctionArn: FUNCTION_ARN }, deps());
}

const essProps = (s: Staging, tags: Record<string, string> = { app: 'web' }) => ({ StagingSourceServerArn: s.arn, Tags: tags });
const saeProps = (account: string, extra: Record<string, unknown> = {}) => ({ StagingAccountId: account, Tags: { app: 'erp' }, ...extra });
const calls = (operation: string) => drs.calls().filter((c) => c.args[0].constructor.name === `${operation}Command`);
const owner = (logicalId: string, previous?: string) => ({
  [OwnerTags.STACK_ID]: STACK_ID, [OwnerTags.LOGICAL_ID]: logicalId, ...(previous ? { [('cdk-drs-multi-account:previous-logical-id' as const)]: previous } : {}),
});

/** Staging server web-1 extended by ExtendedSourceServer Web1, as CloudFormation then lists it. */
async function extendedWeb1(): Promise<{ web: Staging; id: string }> {
  const web = world.addStaging(A, 'web-1');
  world.declare('Web1', ESS);
  const { physicalResourceId: id } = await ok(send(ESS, 'Create', 'Web1', essProps(web)));
  world.declare('Web1', ESS, id);
  return { web, id };
}

async function ok(p: Promise<HandlerResult>): Promise<HandlerResult> {
  const r = await p;
  if (r.status !== 'SUCCESS') throw new Error(`expected SUCCESS, got ${r.status}: ${r.reason}`);
  return r;
}

describe('defect 1: renaming or moving an ExtendedSourceServer within its stack', () => {
  async function deployed(): Promise<{ web: Staging; id: string }> {
    const { web, id } = await extendedWeb1();
    // The new template names it Web1Renamed; CloudFormation creates that first, so both are listed.
    world.declare('Web1Renamed', ESS);
    drs.resetHistory();
    return { web, id };
  }

  test('the new resource takes the same server over; the old one\'s cleanup Delete confirms and keeps it', async () => {
    const { web, id } = await deployed();
    const created = await ok(send(ESS, 'Create', 'Web1Renamed', essProps(web, { app: 'web', moved: 'yes' })));
    expect(created.physicalResourceId).toBe(id);
    expect(created.data).toMatchObject({ SourceServerId: id, StagingSourceServerArn: web.arn });
    expect(world.tagsOf(web)).toEqual({ app: 'web', moved: 'yes', ...owner('Web1Renamed', 'Web1') });
    expect(calls('CreateExtendedSourceServer')).toHaveLength(0);

    await ok(send(ESS, 'Delete', 'Web1', essProps(web), { PhysicalResourceId: id }));
    world.stack!.delete('Web1');
    expect(world.servers.map((s) => s.sourceServerID)).toEqual([id]);
    expect(world.tagsOf(web)).toEqual({ app: 'web', moved: 'yes', ...owner('Web1Renamed') });
    expect(world.from(web)!.dataReplicationInfo?.dataReplicationState).toBe('CONTINUOUS');
    expect([...calls('DisconnectSourceServer'), ...calls('DeleteSourceServer')]).toEqual([]);

    // It is the new resource's now: its own Delete removes it.
    await ok(send(ESS, 'Delete', 'Web1Renamed', essProps(web), { PhysicalResourceId: id }));
    expect(world.servers).toEqual([]);
  });

  test('a failed rename rolls back: the new resource\'s Delete hands the server back to the old one', async () => {
    const { web, id } = await deployed();
    await ok(send(ESS, 'Create', 'Web1Renamed', essProps(web)));
    // A sibling failed; CloudFormation deletes what this update created.
    await ok(send(ESS, 'Delete', 'Web1Renamed', essProps(web), { PhysicalResourceId: id }));
    world.stack!.delete('Web1Renamed');
    expect(world.tagsOf(web)).toEqual({ app: 'web', ...owner('Web1') });
    expect(world.servers.map((s) => s.sourceServerID)).toEqual([id]);
    expect(calls('DeleteSourceServer')).toHaveLength(0);
    // And the old resource manages it as before.
    await ok(send(ESS, 'Update', 'Web1', essProps(web, { app: 'web2' }), { PhysicalResourceId: id, OldResourceProperties: essProps(web) }));
    expect(world.tagsOf(web)).toEqual({ app: 'web2', ...owner('Web1') });
  });

  test('the rollback of a rename that changed the tags gives the server the old resource\'s declared tags back', async () => {
    const { web, id } = await deployed();
    world.declaredTags.set('Web1', { app: 'web' });
    await ok(send(ESS, 'Create', 'Web1Renamed', essProps(web, { team: 'b' })));
    expect(world.tagsOf(web)).toEqual({ team: 'b', ...owner('Web1Renamed', 'Web1') });
    await ok(send(ESS, 'Delete', 'Web1Renamed', essProps(web, { team: 'b' }), { PhysicalResourceId: id }));
    expect(world.tagsOf(web)).toEqual({ app: 'web', ...owner('Web1') });
    expect(calls('DeleteSourceServer')).toHaveLength(0);
  });

  test('in a stack delete the taker\'s Delete removes the server instead of handing it back (the previous owner may be retained)', async () => {
    const { web, id } = await deployed();
    await ok(send(ESS, 'Create', 'Web1Renamed', essProps(web)));
    world.stackStatus = 'DELETE_IN_PROGRESS';
    await ok(send(ESS, 'Delete', 'Web1Renamed', essProps(web), { PhysicalResourceId: id }));
    expect(world.servers).toEqual([]);
  });

  test('the old resource\'s Delete removes a server handed to a resource the stack no longer has (a RETAIN rename target kept by its rollback)', async () => {
    const { web, id } = await deployed();
    await ok(send(ESS, 'Create', 'Web1Renamed', essProps(web)));
    // The update rolled back; CloudFormation kept Web1Renamed (RETAIN) outside the stack.
    world.stack!.delete('Web1Renamed');
    await ok(send(ESS, 'Delete', 'Web1', essProps(web), { PhysicalResourceId: id }));
    expect(world.servers).toEqual([]);
  });

  test('without declared tags in the old resource\'s Metadata (an older template), the hand-back leaves the user tags', async () => {
    const { web, id } = await deployed();
    await ok(send(ESS, 'Create', 'Web1Renamed', essProps(web, { team: 'b' })));
    await ok(send(ESS, 'Delete', 'Web1Renamed', essProps(web, { team: 'b' }), { PhysicalResourceId: id }));
    expect(world.tagsOf(web)).toEqual({ team: 'b', ...owner('Web1') });
  });

  test('a server tagged for a resource the stack no longer has (removed with RETAIN) is refused before any change', async () => {
    const { web, id } = await deployed();
    world.stack!.delete('Web1');
    const failed = await send(ESS, 'Create', 'Web1Renamed', essProps(web));
    expect(failed.status).toBe('FAILED');
    expect(failed.reason).toContain(`as ${id}, by resource Web1 of this stack, which the stack no longer has`);
    expect(failed.physicalResourceId).toMatch(/^failed-create:none:/);
    expect(world.tagsOf(web)).toEqual({ app: 'web', ...owner('Web1') });
    expect(calls('TagResource')).toHaveLength(0);
  });

  test('CloudFormation unreadable: the takeover is refused before any change, naming the permission', async () => {
    const { web } = await deployed();
    world.stack = undefined;
    const failed = await send(ESS, 'Create', 'Web1Renamed', essProps(web));
    expect(failed.reason).toContain('the handler role needs cloudformation:ListStackResources on its own stack');
    expect(failed.physicalResourceId).toMatch(/^failed-create:none:/);
    expect(calls('TagResource')).toHaveLength(0);
  });

  test('CloudFormation unreadable on the rollback Delete: the server is handed back, never deleted', async () => {
    const { web, id } = await deployed();
    await ok(send(ESS, 'Create', 'Web1Renamed', essProps(web)));
    world.stack = undefined;
    await ok(send(ESS, 'Delete', 'Web1Renamed', essProps(web), { PhysicalResourceId: id }));
    expect(world.tagsOf(web)).toEqual({ app: 'web', ...owner('Web1') });
  });

  test('a move to another stack fails before any change, naming both stacks and how to move it', async () => {
    const web = world.addStaging(A, 'web-1');
    world.servers.push({
      sourceServerID: 's-99999999999999999',
      arn: serverArn('s-99999999999999999'),
      tags: { [OwnerTags.STACK_ID]: OTHER_STACK, [OwnerTags.LOGICAL_ID]: 'Web1' },
      stagingArea: { status: 'EXTENDED', stagingAccountID: A, stagingSourceServerArn: web.arn },
    });
    const failed = await send(ESS, 'Create', 'Web1', essProps(web));
    expect(failed.status).toBe('FAILED');
    expect(failed.reason).toContain(`is owned by stack ${OTHER_STACK} (resource Web1), not by this stack ${STACK_ID}`);
    expect(failed.reason).toContain('To move it, remove it from the other stack');
    expect(failed.physicalResourceId).toMatch(/^failed-create:none:/);
    expect([...calls('TagResource'), ...calls('CreateExtendedSourceServer')]).toEqual([]);
  });

  test('stack refactoring (no event): the resource\'s own server, tagged with a logical id the stack no longer has, is still removed on Delete', async () => {
    const { web, id } = await deployed();
    world.stack!.delete('Web1');
    await ok(send(ESS, 'Delete', 'Web1Renamed', essProps(web), { PhysicalResourceId: id }));
    expect(world.servers).toEqual([]);
  });
});

describe('defect 2: renaming or moving a StagingAccountExtension within its stack', () => {
  async function deployed(): Promise<string[]> {
    ['web-1', 'web-2', 'web-3'].forEach((h) => world.addStaging(A, h));
    world.declare('Staging1', SAE);
    await ok(send(SAE, 'Create', 'Staging1', saeProps(A)));
    world.declare('Staging2', SAE);
    drs.resetHistory();
    return world.servers.map((s) => s.sourceServerID!).sort();
  }

  test('the new resource takes every server over; the old one\'s cleanup Delete removes none of them', async () => {
    const ids = await deployed();
    const created = await ok(send(SAE, 'Create', 'Staging2', saeProps(A)));
    expect(created.data).toMatchObject({ ServerCount: '3', ExtendedCount: '0', AlreadyOwnedCount: '3' });
    expect(calls('CreateExtendedSourceServer')).toHaveLength(0);
    expect(world.servers.every((s) => s.tags?.[('cdk-drs-multi-account:previous-logical-id' as const)] === 'Staging1')).toBe(true);

    await ok(send(SAE, 'Delete', 'Staging1', saeProps(A), { PhysicalResourceId: created.physicalResourceId }));
    expect(world.servers.map((s) => s.sourceServerID).sort()).toEqual(ids);
    expect(world.servers.map((s) => s.tags)).toEqual(ids.map(() => ({ app: 'erp', ...owner('Staging2') })));
    expect([...calls('DisconnectSourceServer'), ...calls('DeleteSourceServer')]).toEqual([]);
  });

  test('a failed rename rolls back: handed back to the old resource; only what the new one extended is removed', async () => {
    const ids = await deployed();
    const extra = world.addStaging(A, 'web-4');
    const created = await ok(send(SAE, 'Create', 'Staging2', saeProps(A)));
    expect(created.data).toMatchObject({ ServerCount: '4', ExtendedCount: '1' });
    await ok(send(SAE, 'Delete', 'Staging2', saeProps(A), { PhysicalResourceId: created.physicalResourceId }));
    expect(world.from(extra)).toBeUndefined();
    expect(world.servers.map((s) => s.sourceServerID).sort()).toEqual(ids);
    expect(world.servers.every((s) => JSON.stringify(s.tags) === JSON.stringify({ app: 'erp', ...owner('Staging1') }))).toBe(true);
  });

  test('switching per-server to whole-account in one update keeps the server (ExtendedSourceServer → StagingAccountExtension)', async () => {
    const web = world.addStaging(A, 'web-1');
    world.addStaging(A, 'web-2');
    world.declare('Web1', ESS);
    const { physicalResourceId: id } = await ok(send(ESS, 'Create', 'Web1', essProps(web)));
    world.declare('Web1', ESS, id);
    world.declare('Staging1', SAE);
    const created = await ok(send(SAE, 'Create', 'Staging1', saeProps(A)));
    expect(created.data).toMatchObject({ ServerCount: '2', ExtendedCount: '1' });
    await ok(send(ESS, 'Delete', 'Web1', essProps(web), { PhysicalResourceId: id }));
    expect(world.from(web)!.sourceServerID).toBe(id);
    expect(world.tagsOf(web)).toEqual({ app: 'erp', ...owner('Staging1') });
  });

  test('switching whole-account to per-server keeps the server; a live overlap does not ping-pong on the schedule', async () => {
    const [web] = ['web-1', 'web-2'].map((h) => world.addStaging(A, h));
    world.declare('Staging1', SAE);
    const sae = await ok(send(SAE, 'Create', 'Staging1', saeProps(A)));
    const id = world.from(web)!.sourceServerID;
    world.declare('Web1', ESS);
    const ess = await ok(send(ESS, 'Create', 'Web1', essProps(web)));
    expect(ess.physicalResourceId).toBe(id);
    expect(world.tagsOf(web)).toMatchObject(owner('Web1', 'Staging1'));

    // Both declared: the schedule's reconciliations leave the per-server declaration's server alone.
    drs.resetHistory();
    for (let i = 0; i < 2; i++) {
      const r = await send(SAE, 'Reconcile', 'Staging1', saeProps(A), { PhysicalResourceId: sae.physicalResourceId });
      expect(r.data).toMatchObject({ ServerCount: '1', OwnedElsewhereCount: '1' });
    }
    expect([...calls('TagResource'), ...calls('UntagResource'), ...calls('CreateExtendedSourceServer')]).toEqual([]);

    // The whole-account declaration goes: its Delete removes its own server, releases the other.
    await ok(send(SAE, 'Delete', 'Staging1', saeProps(A), { PhysicalResourceId: sae.physicalResourceId }));
    expect(world.servers.map((s) => s.sourceServerID)).toEqual([id]);
    expect(world.tagsOf(web)).toEqual({ app: 'web', ...owner('Web1') });
  });

  test('an ExtendedSourceServer that lent its server (live overlap) takes it back on its next update', async () => {
    const web = world.addStaging(A, 'web-1');
    world.declare('Web1', ESS);
    const { physicalResourceId: id } = await ok(send(ESS, 'Create', 'Web1', essProps(web)));
    world.declare('Staging1', SAE);
    await ok(send(SAE, 'Create', 'Staging1', saeProps(A)));
    expect(world.tagsOf(web)).toMatchObject(owner('Staging1', 'Web1'));
    await ok(send(ESS, 'Update', 'Web1', essProps(web, { app: 'web2' }), { PhysicalResourceId: id, OldResourceProperties: essProps(web) }));
    expect(world.tagsOf(web)).toEqual({ app: 'web2', ...owner('Web1') });
  });
});

describe('takeovers the model-based tests found wrong (fuzz --seed 90210)', () => {
  test('a takeover leaves exactly the new owner\'s user tags: the previous owner\'s others are removed', async () => {
    const web = world.addStaging(A, 'web-1');
    world.declare('Staging1', SAE);
    const sae = await ok(send(SAE, 'Create', 'Staging1', saeProps(A, { Tags: { app: 'erp', cost: 'b' } })));
    world.declare('Staging1', SAE, sae.physicalResourceId);
    world.declare('Web1', ESS);
    await ok(send(ESS, 'Create', 'Web1', essProps(web, { app: 'web' })));
    expect(world.tagsOf(web)).toEqual({ app: 'web', ...owner('Web1', 'Staging1') });
  });

  test('a server tagged for a logical id the stack reuses for another server is refused before any change', async () => {
    const [web, db] = [world.addStaging(A, 'web-1'), world.addStaging(A, 'db-1')];
    world.declare('Web1', ESS);
    const { physicalResourceId: kept } = await ok(send(ESS, 'Create', 'Web1', essProps(web)));
    // Web1 was removed with RETAIN (the server stays tagged Web1), then declared again for db-1.
    world.stack!.delete('Web1');
    world.declare('Web1', ESS);
    const { physicalResourceId: other } = await ok(send(ESS, 'Create', 'Web1', essProps(db)));
    world.declare('Web1', ESS, other);
    world.declare('Web9', ESS);
    drs.resetHistory();
    const failed = await send(ESS, 'Create', 'Web9', essProps(web));
    expect(failed.status).toBe('FAILED');
    expect(failed.reason).toContain(`tagged for resource Web1 of this stack, which does not hold it (its physical id is ${other})`);
    expect(failed.physicalResourceId).toMatch(/^failed-create:none:/);
    expect(world.byId(kept)!.tags).toEqual({ app: 'web', ...owner('Web1') });
    expect(calls('TagResource')).toHaveLength(0);
  });

  test('a StagingAccountExtension does not take over a server from a sibling that does not hold it', async () => {
    const web = world.addStaging(A, 'web-1');
    world.declare('Web1', ESS);
    const { physicalResourceId: kept } = await ok(send(ESS, 'Create', 'Web1', essProps(web)));
    world.declare('Web1', ESS, 's-99999999999999999');
    world.declare('Staging1', SAE);
    await ok(send(SAE, 'Create', 'Staging1', saeProps(A)));
    expect(world.byId(kept)!.tags).toEqual({ app: 'web', ...owner('Web1') });
  });

  test('a Delete does not hand a server back to a previous owner that does not hold it: it removes it', async () => {
    const web = world.addStaging(A, 'web-1');
    world.declare('Web9', ESS);
    const { physicalResourceId: id } = await ok(send(ESS, 'Create', 'Web9', essProps(web)));
    // Taken over from a Web1 that was kept by RETAIN; Web1 now names a resource holding another server.
    Object.assign(world.from(web)!.tags!, owner('Web9', 'Web1'));
    world.declare('Web1', ESS, 's-99999999999999999');
    await ok(send(ESS, 'Delete', 'Web9', essProps(web), { PhysicalResourceId: id }));
    expect(world.from(web)).toBeUndefined();
  });

  test('a server kept by RETAIN and declared again gets exactly the tags declared now', async () => {
    const web = world.addStaging(A, 'web-1');
    world.declare('Web1', ESS);
    const { physicalResourceId: id } = await ok(send(ESS, 'Create', 'Web1', essProps(web, { team: 'b' })));
    const again = await ok(send(ESS, 'Create', 'Web1', essProps(web, { app: 'web' })));
    expect(again.physicalResourceId).toBe(id);
    expect(world.tagsOf(web)).toEqual({ app: 'web', ...owner('Web1') });
  });

  test('Lambda\'s retry of a Create that took a server over answers with it: no wait, never deleted', async () => {
    const { web, id } = await extendedWeb1();
    world.declare('Web1Renamed', ESS);
    // The first attempt takes the server over and dies before answering; then the staging trust goes.
    await ok(send(ESS, 'Create', 'Web1Renamed', essProps(web, { app: 'web', moved: 'yes' })));
    world.from(web)!.stagingArea!.status = 'EXTENSION_ERROR';
    drs.resetHistory();
    const retried = await ok(send(ESS, 'Create', 'Web1Renamed', essProps(web, { app: 'web', moved: 'yes' })));
    expect(retried.physicalResourceId).toBe(id);
    expect(world.tagsOf(web)).toEqual({ app: 'web', moved: 'yes', ...owner('Web1Renamed', 'Web1') });
    expect([...calls('DisconnectSourceServer'), ...calls('DeleteSourceServer'), ...calls('TagResource')]).toEqual([]);
    // The rollback's Delete hands it back.
    await ok(send(ESS, 'Delete', 'Web1Renamed', essProps(web), { PhysicalResourceId: id }));
    expect(world.from(web)!.sourceServerID).toBe(id);
    expect(world.tagsOf(web)).toMatchObject(owner('Web1'));
  });
});

describe('the per-server declaration wins while the template declares it (PerServerDeclarations)', () => {
  const declaring = (web: Staging, tags: Record<string, string>) => ({ PerServerDeclarations: [{ StagingSourceServerArn: web.arn, Tags: tags }] });

  /** Staging1 owns web-1 and web-2; Web1 (team a) is added for web-1 and takes it over; Staging1 gets its Update. */
  async function overlapping(): Promise<{ web: Staging; id: string; sae: HandlerResult }> {
    const [web] = ['web-1', 'web-2'].map((h) => world.addStaging(A, h));
    world.declare('Staging1', SAE);
    const sae = await ok(send(SAE, 'Create', 'Staging1', saeProps(A)));
    world.declare('Staging1', SAE, sae.physicalResourceId);
    world.declare('Web1', ESS);
    const { physicalResourceId: id } = await ok(send(ESS, 'Create', 'Web1', essProps(web, { team: 'a' })));
    world.declare('Web1', ESS, id);
    await ok(send(SAE, 'Update', 'Staging1', saeProps(A, declaring(web, { team: 'a' })), {
      PhysicalResourceId: sae.physicalResourceId, OldResourceProperties: { ServiceToken: FUNCTION_ARN, ...saeProps(A) },
    }));
    expect(world.tagsOf(web)).toEqual({ team: 'a', ...owner('Web1', 'Staging1') });
    return { web, id, sae };
  }

  test('the rollback of an update that added a per-server resource (kept by RETAIN: no Delete) gives the server back to the extension', async () => {
    const { web, id, sae } = await overlapping();
    // Another resource failed: the extension's Update back to its old properties; Web1 is retained.
    await ok(send(SAE, 'Update', 'Staging1', saeProps(A), {
      PhysicalResourceId: sae.physicalResourceId, OldResourceProperties: { ServiceToken: FUNCTION_ARN, ...saeProps(A, declaring(web, { team: 'a' })) },
    }));
    expect(world.from(web)!.sourceServerID).toBe(id);
    expect(world.tagsOf(web)).toEqual({ app: 'erp', ...owner('Staging1') });
  });

  test('removing the per-server resource gives the server back with the extension\'s tags; its cleanup Delete leaves it alone', async () => {
    const { web, id, sae } = await overlapping();
    await ok(send(SAE, 'Update', 'Staging1', saeProps(A), {
      PhysicalResourceId: sae.physicalResourceId, OldResourceProperties: { ServiceToken: FUNCTION_ARN, ...saeProps(A, declaring(web, { team: 'a' })) },
    }));
    await ok(send(ESS, 'Delete', 'Web1', essProps(web, { team: 'a' }), { PhysicalResourceId: id }));
    expect(world.from(web)!.sourceServerID).toBe(id);
    expect(world.tagsOf(web)).toEqual({ app: 'erp', ...owner('Staging1') });
    expect([...calls('DisconnectSourceServer'), ...calls('DeleteSourceServer')]).toEqual([]);
  });

  test('the rollback of that removal hands the server to the per-server resource again, with its tags', async () => {
    const { web, id, sae } = await overlapping();
    const without = { ServiceToken: FUNCTION_ARN, ...saeProps(A) };
    const withWeb1 = { ServiceToken: FUNCTION_ARN, ...saeProps(A, declaring(web, { team: 'a' })) };
    await ok(send(SAE, 'Update', 'Staging1', saeProps(A), { PhysicalResourceId: sae.physicalResourceId, OldResourceProperties: withWeb1 }));
    // Another resource failed before the cleanup: the extension's Update back; Web1 never got a request.
    await ok(send(SAE, 'Update', 'Staging1', saeProps(A, declaring(web, { team: 'a' })), { PhysicalResourceId: sae.physicalResourceId, OldResourceProperties: without }));
    expect(world.from(web)!.sourceServerID).toBe(id);
    expect(world.tagsOf(web)).toEqual({ team: 'a', ...owner('Web1', 'Staging1') });
  });

  test('an extension created before the per-server resource leaves its staging server to it', async () => {
    const [web, other] = [world.addStaging(A, 'web-1'), world.addStaging(A, 'web-2')];
    world.declare('Staging1', SAE);
    const created = await ok(send(SAE, 'Create', 'Staging1', saeProps(A, declaring(web, { app: 'web' }))));
    expect(created.data).toMatchObject({ ExtendedCount: '1' });
    expect(world.from(web)).toBeUndefined();
    expect(world.tagsOf(other)).toEqual({ app: 'erp', ...owner('Staging1') });
    world.declare('Web1', ESS);
    await ok(send(ESS, 'Create', 'Web1', essProps(web)));
    expect(world.tagsOf(web)).toEqual({ app: 'web', ...owner('Web1') });
  });

  test('a new extension does not take over a server a per-server resource of the template still declares', async () => {
    const { web } = await extendedWeb1();
    world.declare('Staging1', SAE);
    await ok(send(SAE, 'Create', 'Staging1', saeProps(A, declaring(web, { app: 'web' }))));
    expect(world.tagsOf(web)).toEqual({ app: 'web', ...owner('Web1') });
  });
});

describe('defect 3: a rollback after a Create that failed before anything existed', () => {
  test.each([
    ['ExtendedSourceServer, DRS not initialized', ESS, 'UninitializedAccountException', 'DescribeSourceServers'],
    ['ExtendedSourceServer, create denied', ESS, 'AccessDeniedException', 'CreateExtendedSourceServer'],
    ['StagingAccountExtension, DRS not initialized', SAE, 'UninitializedAccountException', 'DescribeSourceServers'],
    ['StagingAccountExtension, listing denied', SAE, 'AccessDeniedException', 'ListExtensibleSourceServers'],
  ])('%s: the Create answers failed-create:none, and its Delete makes no DRS call', async (_, type, error, operation) => {
    const web = world.addStaging(A, 'web-1');
    world.fail = (op) => { if (op === operation) throw errors.named(error); };
    const props = type === ESS ? essProps(web) : saeProps(A);
    const created = await send(type, 'Create', 'Res1', props);
    expect(created.status).toBe('FAILED');
    expect(created.physicalResourceId).toMatch(/^failed-create:none:req-/);
    drs.resetHistory();
    const deleted = await send(type, 'Delete', 'Res1', props, { PhysicalResourceId: created.physicalResourceId });
    expect(deleted).toEqual({ status: 'SUCCESS', physicalResourceId: created.physicalResourceId });
    expect(drs.calls()).toHaveLength(0);
  });

  test.each([ESS, SAE])('%s: the Delete of a plain failed-create id succeeds when DRS is not initialized', async (type) => {
    const web = world.addStaging(A, 'web-1');
    world.fail = (op) => { if (op === 'DescribeSourceServers') throw errors.named('UninitializedAccountException'); };
    const deleted = await send(type, 'Delete', 'Res1', type === ESS ? essProps(web) : saeProps(A), { PhysicalResourceId: 'failed-create:req-0' });
    expect(deleted.status).toBe('SUCCESS');
  });
});

describe('defect 4: servers extended by an update that failed are not left unclaimed', () => {
  const ownedBy = (logicalId: string, account?: string) => world.servers
    .filter((s) => s.tags?.[OwnerTags.LOGICAL_ID] === logicalId && (!account || s.stagingArea?.stagingAccountID === account));

  test('StagingAccountId A → B fails after extending B\'s servers: the rollback Update removes them, the Delete the rest', async () => {
    ['a-1', 'a-2'].forEach((h) => world.addStaging(A, h));
    ['b-1', 'b-2', 'b-3'].forEach((h) => world.addStaging(B, h));
    world.declare('Staging1', SAE);
    const created = await ok(send(SAE, 'Create', 'Staging1', saeProps(A)));
    world.declare('Staging1', SAE, created.physicalResourceId);
    // The update extends b-1 and b-2, then b-3 fails; failOnExtensionError fails the update.
    world.fail = (op, input) => { if (op === 'CreateExtendedSourceServer' && input.sourceServerArn.endsWith('00005')) throw errors.validation('nope'); };
    const failed = await send(SAE, 'Update', 'Staging1', saeProps(B, { FailOnExtensionError: 'true' }), {
      PhysicalResourceId: created.physicalResourceId, OldResourceProperties: saeProps(A),
    });
    expect(failed.status).toBe('FAILED');
    expect(ownedBy('Staging1', B)).toHaveLength(2);
    world.fail = () => {};

    // CloudFormation still holds the old physical id and rolls the resource back to A.
    await ok(send(SAE, 'Update', 'Staging1', saeProps(A), {
      PhysicalResourceId: created.physicalResourceId, OldResourceProperties: saeProps(B, { FailOnExtensionError: 'true' }),
    }));
    expect(ownedBy('Staging1', B)).toEqual([]);
    expect(ownedBy('Staging1', A)).toHaveLength(2);

    await ok(send(SAE, 'Delete', 'Staging1', saeProps(A), { PhysicalResourceId: created.physicalResourceId }));
    expect(world.servers).toEqual([]);
  });

  test('StagingAccountId A → B succeeds: A\'s servers stay until CloudFormation deletes the replaced id, which removes only them', async () => {
    world.addStaging(A, 'a-1');
    world.addStaging(B, 'b-1');
    world.declare('Staging1', SAE);
    const created = await ok(send(SAE, 'Create', 'Staging1', saeProps(A)));
    const updated = await ok(send(SAE, 'Update', 'Staging1', saeProps(B), { PhysicalResourceId: created.physicalResourceId, OldResourceProperties: saeProps(A) }));
    expect(updated.physicalResourceId).not.toBe(created.physicalResourceId);
    expect(ownedBy('Staging1')).toHaveLength(2);
    world.declare('Staging1', SAE, updated.physicalResourceId);
    await ok(send(SAE, 'Delete', 'Staging1', saeProps(A), { PhysicalResourceId: created.physicalResourceId }));
    expect(ownedBy('Staging1').map((s) => s.stagingArea?.stagingAccountID)).toEqual([B]);
  });

  test('a server of the resource in a staging account it does not declare goes with the next update; a Delete stays in its account', async () => {
    world.addStaging(A, 'a-1');
    const b = world.addStaging(B, 'b-1');
    world.declare('Staging1', SAE);
    const created = await ok(send(SAE, 'Create', 'Staging1', saeProps(A)));
    world.declare('Staging1', SAE, created.physicalResourceId);
    // Left by an earlier failure, tagged for this resource, in an account it does not declare.
    await ok(send(ESS, 'Create', 'Staging1', essProps(b)));
    expect(ownedBy('Staging1')).toHaveLength(2);
    // A Delete (here: the rollback of a replacement whose new id names A) leaves other accounts alone.
    const replaced = await ok(send(SAE, 'Delete', 'Staging1', saeProps(A), { PhysicalResourceId: created.physicalResourceId }));
    expect(replaced.status).toBe('SUCCESS');
    expect(ownedBy('Staging1').map((s) => s.stagingArea?.stagingAccountID)).toEqual([B]);
    // The next Create or Update removes it; a scheduled run does not (it may overlap a deployment).
    world.addStaging(A, 'a-2');
    await ok(send(SAE, 'Reconcile', 'Staging1', saeProps(A), { PhysicalResourceId: created.physicalResourceId }));
    expect(ownedBy('Staging1', B)).toHaveLength(1);
    await ok(send(SAE, 'Update', 'Staging1', saeProps(A, { ReconcileToken: '2' }), { PhysicalResourceId: created.physicalResourceId, OldResourceProperties: saeProps(A) }));
    expect(ownedBy('Staging1', B)).toEqual([]);
    expect(ownedBy('Staging1', A)).toHaveLength(2);
  });

  test('ExtendedSourceServer: the rollback of a failed replacement removes the server CloudFormation never learnt of', async () => {
    const one = world.addStaging(A, 'one');
    const two = world.addStaging(B, 'two');
    world.declare('Web1', ESS);
    const { physicalResourceId: id } = await ok(send(ESS, 'Create', 'Web1', essProps(one)));
    // The replacement's new server exists, but the update failed without reporting it.
    await ok(send(ESS, 'Create', 'Web1', essProps(two)));
    expect(ownedBy('Web1')).toHaveLength(2);
    const rolledBack = await ok(send(ESS, 'Update', 'Web1', essProps(one), { PhysicalResourceId: id, OldResourceProperties: essProps(two) }));
    expect(rolledBack.physicalResourceId).toBe(id);
    expect(ownedBy('Web1').map((s) => s.sourceServerID)).toEqual([id]);
  });
});

describe('what a failed takeover leaves for the rollback', () => {
  test('CloudFormation unreadable when the StagingAccountExtension already owns servers: the failure names its physical id', async () => {
    ['web-1', 'web-2'].forEach((h) => world.addStaging(A, h));
    world.declare('Staging1', SAE);
    await ok(send(SAE, 'Create', 'Staging1', saeProps(A)));
    // A continued (or retried) Create of Staging2 that already extended one server, then cannot read the stack.
    world.declare('Staging2', SAE);
    const web3 = world.addStaging(A, 'web-3');
    await ok(send(ESS, 'Create', 'Staging2', essProps(web3)));
    world.stack = undefined;
    const failed = await send(SAE, 'Create', 'Staging2', saeProps(A));
    expect(failed.status).toBe('FAILED');
    expect(failed.reason).toContain('cloudformation:ListStackResources');
    expect(failed.physicalResourceId).toBe(`drs-staging-account-extension:${A}`);
  });

  test('CloudFormation unreadable before anything was made: nothing to roll back', async () => {
    ['web-1'].forEach((h) => world.addStaging(A, h));
    world.declare('Staging1', SAE);
    await ok(send(SAE, 'Create', 'Staging1', saeProps(A)));
    world.stack = undefined;
    const failed = await send(SAE, 'Create', 'Staging2', saeProps(A));
    expect(failed.physicalResourceId).toMatch(/^failed-create:none:/);
    expect(world.tagsOf(world.staging[0])).toEqual({ app: 'erp', ...owner('Staging1') });
  });
});
