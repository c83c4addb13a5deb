/**
 * The DRS rules the local endpoint enforces: extension, trust on every read, disconnect and
 * delete, tags, initialization, quotas, multi-account isolation and pagination.
 */
import * as sdk from '@aws-sdk/client-drs';
import {
  CreateExtendedSourceServerCommand, DeleteSourceServerCommand, DescribeSourceServersCommand, DisconnectSourceServerCommand, DrsClient,
  InitializeServiceCommand, ListExtensibleSourceServersCommand, ListStagingAccountsCommand, ListTagsForResourceCommand,
  paginateDescribeSourceServers, paginateListExtensibleSourceServers, TagResourceCommand, UntagResourceCommand,
} from '@aws-sdk/client-drs';
import { client, errorOf, OTHER, raw, REGION, STAGING, startWithAccounts, TARGET, trusting } from './helpers';
import { LocalDrs } from './index';

let drs: LocalDrs;
let stagingArn: string;
let stagingId: string;
let target: DrsClient;

beforeEach(async () => {
  const started = await startWithAccounts();
  drs = started.drs;
  stagingArn = started.staging.arn;
  stagingId = started.staging.sourceServerID;
  target = client(drs, TARGET);
});
afterEach(async () => drs.stop());

async function extend(arn = stagingArn, tags?: Record<string, string>, c = target) {
  const r = await c.send(new CreateExtendedSourceServerCommand({ sourceServerArn: arn, tags }));
  return r.sourceServer!;
}

async function describe_(c: DrsClient, ids?: string[]) {
  return (await c.send(new DescribeSourceServersCommand(ids ? { filters: { sourceServerIDs: ids } } : {}))).items!;
}

describe('CreateExtendedSourceServer', () => {
  test('creates a server of its own in the target account that mirrors the staging server', async () => {
    const s = await extend(stagingArn, { team: 'dr' });
    expect(s.sourceServerID).toMatch(/^s-[0-9a-f]{17}$/);
    expect(s.sourceServerID).not.toBe(stagingId);
    expect(s.arn).toBe(`arn:aws:drs:${REGION}:${TARGET}:source-server/${s.sourceServerID}`);
    expect(s.stagingArea).toEqual({ status: 'EXTENDED', stagingAccountID: STAGING, stagingSourceServerArn: stagingArn });
    expect(s.tags).toEqual({ team: 'dr' });
    const [staging] = drs.inventory(STAGING, REGION);
    expect(s.sourceProperties).toEqual(staging.sourceProperties);
    expect(s.dataReplicationInfo).toEqual(staging.dataReplicationInfo);
    expect(s.lifeCycle?.addedToServiceDateTime).toBeDefined();
    expect(staging.tags).toEqual({ app: 'shop' });
    expect(staging.stagingArea).toEqual({ status: 'NOT_EXTENDED' });
  });

  test('refuses when the staging account does not trust the caller (AccessDenied, nothing created)', async () => {
    drs.setTrustEvaluator(trusting([]));
    const e = await errorOf(extend());
    expect(e.name).toBe('AccessDeniedException');
    expect(e.$metadata.httpStatusCode).toBe(403);
    expect(e.message).toContain(`role DRSStagingAccountRole_${TARGET} is missing in ${STAGING}`);
    expect(drs.inventory(TARGET, REGION)).toEqual([]);
  });

  test('nobody trusts anybody by default', async () => {
    const fresh = await LocalDrs.start();
    try {
      fresh.addAccount(STAGING);
      fresh.addAccount(TARGET);
      const { arn } = fresh.addReplicatingServer(STAGING, REGION);
      const e = await errorOf(client(fresh, TARGET).send(new CreateExtendedSourceServerCommand({ sourceServerArn: arn })));
      expect(e.name).toBe('AccessDeniedException');
    } finally {
      await fresh.stop();
    }
  });

  test('a staging server that does not exist is ResourceNotFound', async () => {
    const missing = `arn:aws:drs:${REGION}:${STAGING}:source-server/s-0000000000000000a`;
    const e = await errorOf(extend(missing));
    expect(e.name).toBe('ResourceNotFoundException');
    expect(e.$metadata.httpStatusCode).toBe(404);
    expect(e.resourceId).toBe(missing);
    expect(e.resourceType).toBe('SOURCE_SERVER');
  });

  test('a staging server can be extended into one target account once (ValidationException), and again after deletion', async () => {
    const first = await extend();
    const e = await errorOf(extend());
    expect(e.name).toBe('ValidationException');
    expect(e.reason).toBe('other');
    expect(e.message).toContain(`already extended into account ${TARGET} as ${first.arn}`);

    await target.send(new DisconnectSourceServerCommand({ sourceServerID: first.sourceServerID }));
    await target.send(new DeleteSourceServerCommand({ sourceServerID: first.sourceServerID }));
    const again = await extend();
    expect(again.sourceServerID).not.toBe(first.sourceServerID);
  });

  test('the same staging server can be extended into several target accounts', async () => {
    await extend();
    const other = await extend(stagingArn, undefined, client(drs, OTHER));
    expect(other.arn).toContain(`:${OTHER}:`);
  });

  test('an extended server cannot be extended again', async () => {
    const first = await extend();
    drs.setTrustEvaluator(() => ({ trusted: true }));
    const e = await errorOf(extend(first.arn, undefined, client(drs, OTHER)));
    expect(e.name).toBe('ValidationException');
    expect(e.message).toContain('is itself an extended source server');
  });

  test('a disconnected staging server cannot be extended', async () => {
    await client(drs, STAGING).send(new DisconnectSourceServerCommand({ sourceServerID: stagingId }));
    const e = await errorOf(extend());
    expect(e.name).toBe('ValidationException');
    expect(e.message).toContain('disconnected');
  });

  test.each([
    ['another Region', () => stagingArn.replace(REGION, 'us-west-2'), "caller's Region"],
    ['the calling account', () => stagingArn.replace(STAGING, TARGET), 'not in the calling account'],
    ['another partition', () => stagingArn.replace('arn:aws:', 'arn:aws-cn:'), 'partition aws'],
    ['another service', () => stagingArn.replace(':drs:', ':mgn:'), 'DRS source server ARN'],
  ])('an ARN in %s is a ValidationException', async (_, arn, message) => {
    const e = await errorOf(extend(arn()));
    expect(e.name).toBe('ValidationException');
    expect(e.message).toContain(message);
    expect(e.fieldList[0].name).toBe('sourceServerArn');
  });

  test('tags: at most 50, no aws: prefix', async () => {
    const many = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v']));
    const e = await errorOf(extend(stagingArn, many));
    expect(e.name).toBe('ValidationException');
    expect(e.fieldList[0]).toEqual({ name: 'tags', message: 'A resource can have at most 50 tags; this request would leave 51' });
    const reserved = await errorOf(extend(stagingArn, { 'aws:owner': 'me' }));
    expect(reserved.fieldList[0].message).toContain('reserved prefix');
    const fifty = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v']));
    expect(Object.keys((await extend(stagingArn, fifty)).tags!)).toHaveLength(50);
  });

  test('the extended-servers quota answers ServiceQuotaExceeded with its codes', async () => {
    const small = await startWithAccounts({ quotas: { extendedServersPerRegion: 1 } });
    try {
      const second = small.drs.addReplicatingServer(STAGING, REGION);
      const c = client(small.drs, TARGET);
      await extend(small.staging.arn, undefined, c);
      const e = await errorOf(extend(second.arn, undefined, c));
      expect(e.name).toBe('ServiceQuotaExceededException');
      expect(e.$metadata.httpStatusCode).toBe(402);
      expect(e.quotaCode).toBe('local-extended-source-servers-per-region');
      expect(e.serviceCode).toBe('drs');
    } finally {
      await small.drs.stop();
    }
  });
});

describe('extended servers re-read their staging server', () => {
  test('EXTENSION_ERROR once the staging server is gone; the target server stays', async () => {
    const s = await extend();
    drs.removeServerByHand(STAGING, REGION, stagingId);
    const [read] = await describe_(target);
    expect(read.sourceServerID).toBe(s.sourceServerID);
    expect(read.stagingArea).toEqual({
      status: 'EXTENSION_ERROR',
      stagingAccountID: STAGING,
      stagingSourceServerArn: stagingArn,
      errorMessage: `Staging source server ${stagingArn} was not found in account ${STAGING}`,
    });
    // The last replication read from the staging server is kept.
    expect(read.dataReplicationInfo?.dataReplicationState).toBe('CONTINUOUS');
  });

  test('EXTENSION_ERROR while trust is withdrawn, EXTENDED again when it returns', async () => {
    await extend();
    drs.setTrustEvaluator(trusting([]));
    const [denied] = await describe_(target);
    expect(denied.stagingArea?.status).toBe('EXTENSION_ERROR');
    expect(denied.stagingArea?.errorMessage).toBe(
      `Cannot read staging source server ${stagingArn}: role DRSStagingAccountRole_${TARGET} is missing in ${STAGING}`);
    drs.setTrustEvaluator(trusting([[STAGING, TARGET]]));
    const [restored] = await describe_(target);
    expect(restored.stagingArea?.status).toBe('EXTENDED');
    expect(restored.stagingArea?.errorMessage).toBeUndefined();
  });

  test('the trust evaluator is asked about the right accounts, Region, partition and server', async () => {
    const queries: unknown[] = [];
    drs.setTrustEvaluator((q) => {
      queries.push(q);
      return { trusted: true };
    });
    await extend();
    await describe_(target);
    const query = { stagingAccount: STAGING, targetAccount: TARGET, region: REGION, partition: 'aws', stagingSourceServerArn: stagingArn };
    expect(queries).toEqual([query, query, query]); // create, its response, the describe
  });

  test('replication state follows the staging server', async () => {
    await extend();
    await client(drs, STAGING).send(new DisconnectSourceServerCommand({ sourceServerID: stagingId }));
    const [read] = await describe_(target);
    expect(read.stagingArea?.status).toBe('EXTENDED');
    expect(read.dataReplicationInfo).toEqual({ dataReplicationState: 'DISCONNECTED' });
  });
});

describe('slow extension (fault)', () => {
  test('INITIATING replication for the next N describes, then the staging server\'s replication', async () => {
    drs.faults.slowExtension({ describes: 2 });
    const created = await extend();
    expect(created.stagingArea?.status).toBe('EXTENDED');
    expect(created.dataReplicationInfo?.dataReplicationState).toBe('INITIATING');
    const states = [];
    for (let i = 0; i < 3; i++) states.push((await describe_(target))[0].dataReplicationInfo?.dataReplicationState);
    expect(states).toEqual(['INITIATING', 'INITIATING', 'CONTINUOUS']);
  });

  test('or NOT_EXTENDED staging status', async () => {
    drs.faults.slowExtension({ describes: 1, report: 'NOT_EXTENDED' });
    await extend();
    expect((await describe_(target))[0].stagingArea?.status).toBe('NOT_EXTENDED');
    expect((await describe_(target))[0].stagingArea?.status).toBe('EXTENDED');
  });

  test('inventory does not consume the slow reads', async () => {
    drs.faults.slowExtension({ describes: 1 });
    await extend();
    drs.inventory(TARGET, REGION);
    drs.inventory(TARGET, REGION);
    expect((await describe_(target))[0].dataReplicationInfo?.dataReplicationState).toBe('INITIATING');
  });
});

describe('ListExtensibleSourceServers', () => {
  test('lists replicating servers not yet extended into the caller; not extended, disconnected or own-extended ones', async () => {
    const second = drs.addReplicatingServer(STAGING, REGION, { hostname: 'db-1' });
    const third = drs.addReplicatingServer(STAGING, REGION, { hostname: 'gone-1' });
    await client(drs, STAGING).send(new DisconnectSourceServerCommand({ sourceServerID: third.sourceServerID }));
    await extend(second.arn);
    // Extended into OTHER only: still extensible for TARGET.
    await extend(stagingArn, undefined, client(drs, OTHER));
    const r = await target.send(new ListExtensibleSourceServersCommand({ stagingAccountID: STAGING }));
    expect(r.items).toEqual([{ arn: stagingArn, hostname: 'web-1', tags: { app: 'shop' } }]);
    // An extended server in a staging account is not extensible either.
    drs.setTrustEvaluator(() => ({ trusted: true }));
    const fromOther = await client(drs, STAGING).send(new ListExtensibleSourceServersCommand({ stagingAccountID: OTHER }));
    expect(fromOther.items).toEqual([]);
  });

  test('untrusted: AccessDenied naming the staging account', async () => {
    const e = await errorOf(client(drs, STAGING).send(new ListExtensibleSourceServersCommand({ stagingAccountID: TARGET })));
    expect(e.name).toBe('AccessDeniedException');
    expect(e.message).toContain(`arn:aws:drs:${REGION}:${TARGET}:source-server/*`);
  });

  test('the caller\'s own account is a ValidationException', async () => {
    const e = await errorOf(target.send(new ListExtensibleSourceServersCommand({ stagingAccountID: TARGET })));
    expect(e.name).toBe('ValidationException');
  });

  test('a trusted account that DRS does not know lists nothing', async () => {
    drs.setTrustEvaluator(() => ({ trusted: true }));
    const r = await target.send(new ListExtensibleSourceServersCommand({ stagingAccountID: '999999999999' }));
    expect(r.items).toEqual([]);
  });
});

describe('DescribeSourceServers filters', () => {
  test('by ids (in creation order, unknown ids ignored), by staging account, by hardware id', async () => {
    const a = await extend();
    const second = drs.addReplicatingServer(STAGING, REGION);
    const b = await extend(second.arn);
    const own = drs.addReplicatingServer(TARGET, REGION);
    const ids = (items: sdk.SourceServer[]) => items.map((s) => s.sourceServerID);
    expect(ids(await describe_(target, [b.sourceServerID!, 's-0000000000000000b', a.sourceServerID!]))).toEqual([a.sourceServerID, b.sourceServerID]);
    expect(ids(await describe_(target))).toEqual([a.sourceServerID, b.sourceServerID, own.sourceServerID]);
    const byStaging = await target.send(new DescribeSourceServersCommand({ filters: { stagingAccountIDs: [STAGING] } }));
    expect(ids(byStaging.items!)).toEqual([a.sourceServerID, b.sourceServerID]);
    const byEmptyLists = await target.send(new DescribeSourceServersCommand({ filters: { sourceServerIDs: [], stagingAccountIDs: [] } }));
    expect(byEmptyLists.items).toHaveLength(3);
    const byHardware = await target.send(new DescribeSourceServersCommand({ filters: { hardwareId: 'hw-1' } }));
    expect(byHardware.items).toEqual([]);
  });
});

describe('DisconnectSourceServer', () => {
  test('refused with ConflictException while a recovery instance exists', async () => {
    const s = await extend();
    const instance = drs.addRecoveryInstance(TARGET, REGION, s.sourceServerID!);
    expect(instance).toMatch(/^i-[0-9a-f]{17}$/);
    expect((await describe_(target))[0].recoveryInstanceId).toBe(instance);
    const e = await errorOf(target.send(new DisconnectSourceServerCommand({ sourceServerID: s.sourceServerID })));
    expect(e.name).toBe('ConflictException');
    expect(e.$metadata.httpStatusCode).toBe(409);
    expect(e.resourceId).toBe(s.sourceServerID);
    expect(e.message).toContain(instance);
    drs.removeRecoveryInstance(TARGET, REGION, s.sourceServerID!);
    const r = await target.send(new DisconnectSourceServerCommand({ sourceServerID: s.sourceServerID }));
    expect(r.dataReplicationInfo?.dataReplicationState).toBe('DISCONNECTED');
  });

  test('is idempotent and leaves the staging server replicating', async () => {
    const s = await extend();
    await target.send(new DisconnectSourceServerCommand({ sourceServerID: s.sourceServerID }));
    const again = await target.send(new DisconnectSourceServerCommand({ sourceServerID: s.sourceServerID }));
    expect(again.$metadata.httpStatusCode).toBe(200);
    expect(again.dataReplicationInfo?.dataReplicationState).toBe('DISCONNECTED');
    expect(drs.inventory(STAGING, REGION)[0].dataReplicationInfo?.dataReplicationState).toBe('CONTINUOUS');
  });

  test('an unknown id is ResourceNotFound', async () => {
    const e = await errorOf(target.send(new DisconnectSourceServerCommand({ sourceServerID: 's-0000000000000000c' })));
    expect(e.name).toBe('ResourceNotFoundException');
    expect(e.resourceId).toBe('s-0000000000000000c');
  });
});

describe('DeleteSourceServer', () => {
  test('requires a disconnected server (ConflictException), then deletes it without touching the staging server', async () => {
    const s = await extend();
    const e = await errorOf(target.send(new DeleteSourceServerCommand({ sourceServerID: s.sourceServerID })));
    expect(e.name).toBe('ConflictException');
    expect(e.message).toContain('must be disconnected');
    await target.send(new DisconnectSourceServerCommand({ sourceServerID: s.sourceServerID }));
    const r = await target.send(new DeleteSourceServerCommand({ sourceServerID: s.sourceServerID }));
    expect(r.$metadata.httpStatusCode).toBe(204);
    expect(drs.inventory(TARGET, REGION)).toEqual([]);
    const [staging] = drs.inventory(STAGING, REGION);
    expect(staging.sourceServerID).toBe(stagingId);
    expect(staging.dataReplicationInfo?.dataReplicationState).toBe('CONTINUOUS');
  });

  test('a disconnected server that still has a recovery instance is not deleted (ConflictException)', async () => {
    const s = await extend();
    await target.send(new DisconnectSourceServerCommand({ sourceServerID: s.sourceServerID }));
    const instance = drs.addRecoveryInstance(TARGET, REGION, s.sourceServerID!);
    const e = await errorOf(target.send(new DeleteSourceServerCommand({ sourceServerID: s.sourceServerID })));
    expect(e.name).toBe('ConflictException');
    expect(e.message).toContain(instance);
    expect(drs.inventory(TARGET, REGION)).toHaveLength(1);
  });

  test('a server that is gone is ResourceNotFound by default', async () => {
    const e = await errorOf(target.send(new DeleteSourceServerCommand({ sourceServerID: 's-0000000000000000d' })));
    expect(e.name).toBe('ResourceNotFoundException');
  });

  test('rules can make deleting a missing server succeed and extended servers deletable while connected', async () => {
    const lenient = await startWithAccounts({ rules: { deleteMissingServer: 'succeed', deleteRequiresDisconnect: 'replicatingOnly' } });
    try {
      const c = client(lenient.drs, TARGET);
      const s = await extend(lenient.staging.arn, undefined, c);
      await c.send(new DeleteSourceServerCommand({ sourceServerID: s.sourceServerID }));
      const again = await c.send(new DeleteSourceServerCommand({ sourceServerID: s.sourceServerID }));
      expect(again.$metadata.httpStatusCode).toBe(204);
      // Replicating servers still need disconnecting first.
      const e = await errorOf(client(lenient.drs, STAGING).send(new DeleteSourceServerCommand({ sourceServerID: lenient.staging.sourceServerID })));
      expect(e.name).toBe('ConflictException');
    } finally {
      await lenient.drs.stop();
    }
  });

  test('deleting the staging server through the API turns its extensions into EXTENSION_ERROR', async () => {
    await extend();
    const staging = client(drs, STAGING);
    await staging.send(new DisconnectSourceServerCommand({ sourceServerID: stagingId }));
    await staging.send(new DeleteSourceServerCommand({ sourceServerID: stagingId }));
    expect((await describe_(target))[0].stagingArea?.status).toBe('EXTENSION_ERROR');
  });
});

describe('tags', () => {
  test('tag, untag and list on a server of the caller', async () => {
    const s = await extend(stagingArn, { a: '1' });
    await target.send(new TagResourceCommand({ resourceArn: s.arn, tags: { a: '2', b: '3' } }));
    await target.send(new UntagResourceCommand({ resourceArn: s.arn, tagKeys: ['b', 'never-there'] }));
    expect((await target.send(new ListTagsForResourceCommand({ resourceArn: s.arn }))).tags).toEqual({ a: '2' });
    expect(drs.inventory(STAGING, REGION)[0].tags).toEqual({ app: 'shop' });
  });

  test('at most 50 in total, counting the tags already there', async () => {
    const s = await extend(stagingArn, Object.fromEntries(Array.from({ length: 49 }, (_, i) => [`k${i}`, 'v'])));
    await target.send(new TagResourceCommand({ resourceArn: s.arn, tags: { k0: 'replaced', extra: 'v' } }));
    const e = await errorOf(target.send(new TagResourceCommand({ resourceArn: s.arn, tags: { one: 'more' } })));
    expect(e.name).toBe('ValidationException');
    expect(e.fieldList[0].message).toContain('would leave 51');
  });

  test('reserved keys cannot be added or removed', async () => {
    const s = await extend();
    expect((await errorOf(target.send(new TagResourceCommand({ resourceArn: s.arn, tags: { 'AWS:x': 'v' } })))).name).toBe('ValidationException');
    const e = await errorOf(target.send(new UntagResourceCommand({ resourceArn: s.arn, tagKeys: ['aws:cloudformation:stack-id'] })));
    expect(e.fieldList).toEqual([{ name: 'tagKeys', message: 'Keys starting with aws: are reserved: aws:cloudformation:stack-id' }]);
  });

  test.each([
    ['a server of another account', () => stagingArn],
    ['a server of another Region', () => stagingArn.replace(STAGING, TARGET).replace(REGION, 'us-west-2')],
    ['a resource that is not a source server', () => `arn:aws:drs:${REGION}:${TARGET}:job/drsjob-12345678901234567`],
  ])('%s is ResourceNotFound', async (_, arn) => {
    for (const command of [
      new TagResourceCommand({ resourceArn: arn(), tags: { a: '1' } }),
      new UntagResourceCommand({ resourceArn: arn(), tagKeys: ['a'] }),
      new ListTagsForResourceCommand({ resourceArn: arn() }),
    ]) {
      const e = await errorOf(target.send(command as any));
      expect(e.name).toBe('ResourceNotFoundException');
      expect(e.resourceId).toBe(arn());
    }
    expect(drs.inventory(STAGING, REGION)[0].tags).toEqual({ app: 'shop' });
  });
});

describe('initialization', () => {
  const minimalInputs: Record<string, object> = {
    ListStagingAccounts: {},
    ListExtensibleSourceServers: { stagingAccountID: STAGING },
    CreateExtendedSourceServer: { sourceServerArn: `arn:aws:drs:${REGION}:${STAGING}:source-server/s-1234567890abcdef0` },
    DescribeSourceServers: {},
    DisconnectSourceServer: { sourceServerID: 's-1234567890abcdef0' },
    DeleteSourceServer: { sourceServerID: 's-1234567890abcdef0' },
    TagResource: { resourceArn: `arn:aws:drs:${REGION}:${TARGET}:source-server/s-1234567890abcdef0`, tags: { a: 'b' } },
    UntagResource: { resourceArn: `arn:aws:drs:${REGION}:${TARGET}:source-server/s-1234567890abcdef0`, tagKeys: ['a'] },
    ListTagsForResource: { resourceArn: `arn:aws:drs:${REGION}:${TARGET}:source-server/s-1234567890abcdef0` },
  };

  test.each(Object.keys(minimalInputs))('%s on an uninitialized account is UninitializedAccountException', async (op) => {
    drs.addAccount(TARGET, { initialized: false });
    const e = await errorOf(target.send(new (sdk as any)[`${op}Command`](minimalInputs[op])));
    expect(e.name).toBe('UninitializedAccountException');
    expect(e.$metadata.httpStatusCode).toBe(400);
    expect(e.message).toContain(`${TARGET} and Region ${REGION}`);
  });

  test('InitializeService initializes the caller\'s Region only, and is idempotent', async () => {
    drs.addAccount(TARGET, { initialized: false });
    expect((await target.send(new InitializeServiceCommand({}))).$metadata.httpStatusCode).toBe(204);
    expect((await target.send(new InitializeServiceCommand({}))).$metadata.httpStatusCode).toBe(204);
    expect(await describe_(target)).toEqual([]);
    const west = client(drs, TARGET, 'us-west-2');
    expect((await errorOf(west.send(new DescribeSourceServersCommand({})))).name).toBe('UninitializedAccountException');
  });

  test('servers cannot be added where DRS is not initialized', () => {
    drs.addAccount(OTHER, { initialized: false });
    expect(() => drs.addReplicatingServer(OTHER, REGION)).toThrow(/not initialized/);
  });
});

describe('multi-account and multi-Region isolation', () => {
  test('each account sees only its own servers, per Region', async () => {
    const s = await extend();
    const west = drs.addReplicatingServer(TARGET, 'us-west-2', { hostname: 'west' });
    expect((await describe_(target)).map((x) => x.sourceServerID)).toEqual([s.sourceServerID]);
    expect((await describe_(client(drs, TARGET, 'us-west-2'))).map((x) => x.sourceServerID)).toEqual([west.sourceServerID]);
    expect((await describe_(client(drs, STAGING))).map((x) => x.sourceServerID)).toEqual([stagingId]);
    expect(await describe_(client(drs, OTHER))).toEqual([]);
  });

  test('another account\'s server id is not found', async () => {
    const e = await errorOf(target.send(new DisconnectSourceServerCommand({ sourceServerID: stagingId })));
    expect(e.name).toBe('ResourceNotFoundException');
    expect(drs.inventory(STAGING, REGION)[0].dataReplicationInfo?.dataReplicationState).toBe('CONTINUOUS');
  });

  test('calls are recorded with the account and Region of the credentials', async () => {
    await describe_(client(drs, OTHER, 'eu-west-1')).catch(() => undefined);
    expect(drs.calls[drs.calls.length - 1]).toEqual({
      operation: 'DescribeSourceServers', account: OTHER, region: 'eu-west-1', status: 200,
    });
  });
});

describe('ListStagingAccounts', () => {
  test('lists the staging accounts of existing extended servers, sorted, paginated', async () => {
    const more = ['444444444444', '555555555555', '666666666666'];
    for (const account of more) drs.addAccount(account);
    drs.setTrustEvaluator(() => ({ trusted: true }));
    for (const account of [...more].reverse()) await extend(drs.addReplicatingServer(account, REGION).arn);
    const s = await extend();
    const page1 = await target.send(new ListStagingAccountsCommand({ maxResults: 3 }));
    expect(page1.accounts).toEqual([{ accountID: STAGING }, { accountID: '444444444444' }, { accountID: '555555555555' }]);
    const page2 = await target.send(new ListStagingAccountsCommand({ maxResults: 3, nextToken: page1.nextToken }));
    expect(page2.accounts).toEqual([{ accountID: '666666666666' }]);
    expect(page2.nextToken).toBeUndefined();

    await target.send(new DisconnectSourceServerCommand({ sourceServerID: s.sourceServerID }));
    await target.send(new DeleteSourceServerCommand({ sourceServerID: s.sourceServerID }));
    const after = await target.send(new ListStagingAccountsCommand({}));
    expect(after.accounts?.map((a) => a.accountID)).toEqual(more);
  });
});

describe('pagination', () => {
  test('DescribeSourceServers pages through every server exactly once, with the SDK paginator', async () => {
    for (let i = 0; i < 249; i++) drs.addReplicatingServer(STAGING, REGION);
    const staging = client(drs, STAGING);
    const pages = [];
    for await (const page of paginateDescribeSourceServers({ client: staging, pageSize: 100 }, {})) pages.push(page.items!.length);
    expect(pages).toEqual([100, 100, 50]);
    const first = await staging.send(new DescribeSourceServersCommand({ maxResults: 100 }));
    const ids = new Set(first.items!.map((s) => s.sourceServerID));
    const all = drs.inventory(STAGING, REGION).map((s) => s.sourceServerID);
    expect([...ids]).toEqual(all.slice(0, 100));
  });

  test('without maxResults, DescribeSourceServers pages by 100 (a guess)', async () => {
    for (let i = 0; i < 120; i++) drs.addReplicatingServer(STAGING, REGION);
    const r = await client(drs, STAGING).send(new DescribeSourceServersCommand({}));
    expect(r.items).toHaveLength(100);
    expect(r.nextToken).toBeDefined();
  });

  test('a token survives deletion of the servers around it', async () => {
    const added = Array.from({ length: 5 }, () => drs.addReplicatingServer(STAGING, REGION));
    const staging = client(drs, STAGING);
    const first = await staging.send(new DescribeSourceServersCommand({ maxResults: 3 }));
    expect(first.items!.map((s) => s.sourceServerID)).toEqual([stagingId, added[0].sourceServerID, added[1].sourceServerID]);
    drs.removeServerByHand(STAGING, REGION, added[1].sourceServerID);
    drs.removeServerByHand(STAGING, REGION, added[2].sourceServerID);
    const second = await staging.send(new DescribeSourceServersCommand({ maxResults: 3, nextToken: first.nextToken }));
    expect(second.items!.map((s) => s.sourceServerID)).toEqual([added[3].sourceServerID, added[4].sourceServerID]);
    expect(second.nextToken).toBeUndefined();
  });

  test('ListExtensibleSourceServers pages with its own limit', async () => {
    for (let i = 0; i < 6; i++) drs.addReplicatingServer(STAGING, REGION);
    const arns = [];
    for await (const page of paginateListExtensibleSourceServers({ client: target, pageSize: 4 }, { stagingAccountID: STAGING })) {
      arns.push(...page.items!.map((s) => s.arn));
    }
    expect(arns).toEqual(drs.inventory(STAGING, REGION).map((s) => s.arn));
  });

  test('a token that is garbage or from another operation is a ValidationException', async () => {
    for (let i = 0; i < 3; i++) drs.addReplicatingServer(TARGET, REGION);
    const garbage = await errorOf(target.send(new DescribeSourceServersCommand({ nextToken: 'garbage' })));
    expect(garbage.fieldList).toEqual([{ name: 'nextToken', message: 'Invalid pagination token for DescribeSourceServers' }]);
    const { nextToken } = await target.send(new DescribeSourceServersCommand({ maxResults: 1 }));
    const r = await raw(drs, TARGET, REGION, { method: 'GET', path: `/ListStagingAccounts?nextToken=${nextToken}` });
    expect(r.status).toBe(400);
    expect(r.json.fieldList[0].name).toBe('nextToken');
  });
});

describe('rules.describeMaxResults', () => {
  test('a larger maxResults is a ValidationException naming maxResults; up to it, pages as usual', async () => {
    const limited = await startWithAccounts({ rules: { describeMaxResults: 100 } });
    const c = client(limited.drs, STAGING);
    try {
      const err = await c.send(new DescribeSourceServersCommand({ maxResults: 1000 })).catch((e) => e);
      expect(err).toMatchObject({ name: 'ValidationException', reason: 'fieldValidationFailed' });
      expect(err.fieldList).toEqual([{ name: 'maxResults', message: 'Member must have value less than or equal to 100' }]);
      expect((await c.send(new DescribeSourceServersCommand({ maxResults: 100 }))).items).toHaveLength(1);
      expect((await c.send(new DescribeSourceServersCommand({}))).items).toHaveLength(1);
    } finally {
      c.destroy();
      await limited.drs.stop();
    }
  });
});
