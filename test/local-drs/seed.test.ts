/**
 * Seeding servers by hand (fixed ids for demos, many servers for benchmarks) and staying fast
 * with a thousand servers and thousands of calls.
 */
import {
  CreateExtendedSourceServerCommand, DescribeSourceServersCommand, DisconnectSourceServerCommand, ListExtensibleSourceServersCommand,
  ListStagingAccountsCommand, paginateDescribeSourceServers,
} from '@aws-sdk/client-drs';
import { client, REGION, STAGING, TARGET } from './helpers';
import { LocalDrs, seedServers } from './index';

let drs: LocalDrs;
beforeEach(async () => {
  drs = await LocalDrs.start();
  drs.addAccount(STAGING);
});
afterEach(async () => drs.stop());

describe('addReplicatingServer', () => {
  test('a fixed id gives a predictable ARN; ids are checked and unique', () => {
    const s = drs.addReplicatingServer(STAGING, REGION, { sourceServerID: 's-0123456789abcdefA', hostname: 'demo' });
    expect(s).toEqual({ sourceServerID: 's-0123456789abcdefA', arn: `arn:aws:drs:${REGION}:${STAGING}:source-server/s-0123456789abcdefA` });
    expect(drs.inventory(STAGING, REGION)[0].sourceProperties?.identificationHints?.hostname).toBe('demo');
    expect(() => drs.addReplicatingServer(STAGING, REGION, { sourceServerID: 's-0123456789abcdefA' })).toThrow(/already in use/);
    expect(() => drs.addReplicatingServer(STAGING, 'us-west-2', { sourceServerID: 's-0123456789abcdefA' })).toThrow(/already in use/);
    expect(() => drs.addReplicatingServer(STAGING, REGION, { sourceServerID: 's-short' })).toThrow(/must match/);
  });

  test('generated ids are deterministic for a given seed', async () => {
    const other = await LocalDrs.start();
    try {
      other.addAccount(STAGING);
      expect(other.addReplicatingServer(STAGING, REGION).sourceServerID).toBe(drs.addReplicatingServer(STAGING, REGION).sourceServerID);
    } finally {
      await other.stop();
    }
  });

  test('tags are limited to 50; unknown accounts are refused', () => {
    const tags = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v']));
    expect(() => drs.addReplicatingServer(STAGING, REGION, { tags })).toThrow(/50 tags/);
    expect(() => drs.addReplicatingServer('999999999999', REGION)).toThrow(/not registered/);
  });

  test('300 replicating servers per account and Region unless the quota is raised; disconnected or removed ones do not count', async () => {
    seedServers(drs, { account: STAGING, region: REGION, count: 300 });
    expect(() => drs.addReplicatingServer(STAGING, REGION)).toThrow(/quota is 300/);
    drs.addReplicatingServer(STAGING, 'us-west-2');
    const [first, second] = drs.inventory(STAGING, REGION);
    await client(drs, STAGING).send(new DisconnectSourceServerCommand({ sourceServerID: first.sourceServerID }));
    expect(() => drs.addReplicatingServer(STAGING, REGION)).not.toThrow();
    drs.removeServerByHand(STAGING, REGION, second.sourceServerID!);
    expect(() => drs.addReplicatingServer(STAGING, REGION)).not.toThrow();
    expect(() => drs.addReplicatingServer(STAGING, REGION)).toThrow(/quota is 300/);

    const big = await LocalDrs.start({ quotas: { replicatingServersPerRegion: 1000 } });
    try {
      expect(seedServers(big, { account: STAGING, region: REGION, count: 1000 })).toHaveLength(1000);
    } finally {
      await big.stop();
    }
  });

  test('removing unknown servers or recovery instances of unknown servers throws', () => {
    expect(() => drs.removeServerByHand(STAGING, REGION, 's-0000000000000000a')).toThrow(/No source server/);
    expect(() => drs.addRecoveryInstance(STAGING, REGION, 's-0000000000000000a')).toThrow(/No source server/);
  });
});

describe('seedServers', () => {
  test('registers the account and adds numbered, tagged servers', () => {
    const servers = seedServers(drs, { account: '444444444444', region: REGION, count: 3, hostnamePrefix: 'app', tags: (n) => ({ n: String(n) }) });
    expect(servers.map((s) => s.hostname)).toEqual(['app-1', 'app-2', 'app-3']);
    expect(drs.inventory('444444444444', REGION).map((s) => s.tags)).toEqual([{ n: '1' }, { n: '2' }, { n: '3' }]);
    expect(servers[2].arn).toBe(drs.inventory('444444444444', REGION)[2].arn);
  });
});

describe('scale', () => {
  test('1000 servers in 4 staging accounts, all extended into one target, listed and paged', async () => {
    const stagingAccounts = ['111111111111', '333333333333', '444444444444', '555555555555'];
    const servers = stagingAccounts.flatMap((account) => seedServers(drs, { account, region: REGION, count: 250 }));
    drs.addAccount(TARGET);
    drs.setTrustEvaluator(() => ({ trusted: true }));
    const target = client(drs, TARGET);

    const start = performance.now();
    for (let i = 0; i < servers.length; i += 50) {
      await Promise.all(servers.slice(i, i + 50).map((s) => target.send(new CreateExtendedSourceServerCommand({ sourceServerArn: s.arn }))));
    }
    let described = 0;
    for await (const page of paginateDescribeSourceServers({ client: target, pageSize: 100 }, {})) described += page.items!.length;
    for (const account of stagingAccounts) {
      expect((await target.send(new ListExtensibleSourceServersCommand({ stagingAccountID: account }))).items).toEqual([]);
    }
    const accounts = await target.send(new ListStagingAccountsCommand({}));
    const byId = await target.send(new DescribeSourceServersCommand({ filters: { stagingAccountIDs: ['444444444444'] }, maxResults: 1000 }));
    const elapsed = performance.now() - start;

    expect(described).toBe(1000);
    expect(accounts.accounts?.map((a) => a.accountID)).toEqual(stagingAccounts);
    expect(byId.items).toHaveLength(250);
    expect(drs.calls).toHaveLength(1000 + 10 + 4 + 1 + 1);
    // Generous: it takes about a second; an O(n²) slip would take far longer.
    expect(elapsed).toBeLessThan(15_000);
  });
});
