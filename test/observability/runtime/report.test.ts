/**
 * The coverage report over a mocked DRS client: classification of extended servers (owners,
 * unmanaged, EXTENSION_ERROR, drill age), unextended staging servers, pagination, extra
 * staging accounts, and per-account read errors.
 */
import {
  DescribeSourceServersCommand, DrsClient, ListExtensibleSourceServersCommand, ListStagingAccountsCommand, SourceServer,
} from '@aws-sdk/client-drs';
import { mockClient } from 'aws-sdk-client-mock';
import { COVERAGE_LIST_LIMIT, OwnerTags } from '../../../src/contract';
import { buildCoverageReport, classify, drillIssue } from '../../../src/observability/runtime/report';

const drs = mockClient(DrsClient);
const client = new DrsClient({ region: 'us-east-1' });
const NOW = Date.parse('2026-03-01T00:00:00Z');
const DAY = 24 * 60 * 60 * 1000;
const A = '111111111111';
const B = '333333333333';
const STACK_1 = 'arn:aws:cloudformation:us-east-1:222222222222:stack/One/1';
const STACK_2 = 'arn:aws:cloudformation:us-east-1:222222222222:stack/Two/2';

let n = 0;
interface ServerOptions {
  stack?: string;
  logical?: string;
  status?: string;
  error?: string;
  launchedDaysAgo?: number;
  launch?: string;
}

function server(staging: string, o: ServerOptions = {}): SourceServer {
  n += 1;
  const id = `s-${String(n).padStart(17, '0')}`;
  const tags: Record<string, string> = { app: 'x' };
  if (o.stack) tags[OwnerTags.STACK_ID] = o.stack;
  if (o.logical) tags[OwnerTags.LOGICAL_ID] = o.logical;
  return {
    sourceServerID: id,
    tags,
    stagingArea: {
      status: (o.status ?? 'EXTENDED') as any,
      stagingAccountID: staging,
      stagingSourceServerArn: `arn:aws:drs:us-east-1:${staging}:source-server/s-${String(n).padStart(17, 'a')}`,
      ...(o.error ? { errorMessage: o.error } : {}),
    },
    lifeCycle: o.launchedDaysAgo === undefined ? {} : {
      lastLaunch: {
        initiated: { apiCallDateTime: new Date(NOW - o.launchedDaysAgo * DAY).toISOString(), jobID: 'drsjob-00000000000000001', type: 'DRILL' },
        status: (o.launch ?? 'LAUNCHED') as any,
      },
    },
  };
}

beforeEach(() => {
  drs.reset();
  n = 0;
});

describe('drillIssue', () => {
  test.each([
    ['never launched', undefined, undefined, true],
    ['launched 3 days ago', 3, 'LAUNCHED', false],
    ['launched and terminated 3 days ago', 3, 'TERMINATED', false],
    ['launched exactly 30 days ago', 30, 'LAUNCHED', false],
    ['launched 31 days ago', 31, 'LAUNCHED', true],
    ['last launch failed yesterday', 1, 'FAILED', true],
    ['a launch is running (started 40 days ago is still not flagged)', 40, 'IN_PROGRESS', false],
    ['a launch is pending', 0, 'PENDING', false],
  ])('%s', (_name, days, status, flagged) => {
    const s = server(A, { launchedDaysAgo: days, launch: status });
    const issue = drillIssue(s, NOW, 30);
    expect(issue !== undefined).toBe(flagged);
    if (issue && days !== undefined) {
      expect(issue).toMatchObject({ lastLaunchDateTime: s.lifeCycle!.lastLaunch!.initiated!.apiCallDateTime, lastLaunchStatus: status });
    }
  });
});

describe('classify', () => {
  test('counts per stack (servers and resources), unmanaged, errors, drill age and unextended', () => {
    const servers = [
      server(A, { stack: STACK_1, logical: 'Web', launchedDaysAgo: 1 }),
      server(A, { stack: STACK_1, logical: 'Db', launchedDaysAgo: 1 }),
      server(A, { stack: STACK_2, logical: 'Fleet', launchedDaysAgo: 1 }),
      server(A, { stack: STACK_2, logical: 'Fleet', launchedDaysAgo: 90 }),
      server(A, { launchedDaysAgo: 1 }),
      server(A, { stack: STACK_1, launchedDaysAgo: 1 }), // one owner tag only: not managed
      server(A, { stack: STACK_1, logical: 'Err', status: 'EXTENSION_ERROR', error: 'Staging source server was not found', launchedDaysAgo: 1 }),
    ];
    const c = classify(A, servers, [{ arn: 'arn:aws:drs:us-east-1:111111111111:source-server/s-bbbbbbbbbbbbbbbbb', hostname: 'new-1' }], NOW, 30);
    expect(c).toMatchObject({
      stagingAccountId: A,
      extendedServers: 7,
      managedServers: 5,
      unmanagedServers: 2,
      extensionErrors: 1,
      notDrilledInTime: 1,
      unextendedServers: 1,
      truncated: false,
    });
    expect(c.stacks).toEqual([{ stackId: STACK_1, servers: 3, resources: 3 }, { stackId: STACK_2, servers: 2, resources: 1 }]);
    expect(c.unmanaged).toEqual([servers[4].sourceServerID, servers[5].sourceServerID]);
    expect(c.extensionErrorServers).toEqual([{
      sourceServerId: servers[6].sourceServerID, stagingSourceServerArn: servers[6].stagingArea!.stagingSourceServerArn, errorMessage: 'Staging source server was not found',
    }]);
    expect(c.notDrilledInTimeServers.map((s) => s.sourceServerId)).toEqual([servers[3].sourceServerID]);
    expect(c.unextended).toEqual([{ arn: 'arn:aws:drs:us-east-1:111111111111:source-server/s-bbbbbbbbbbbbbbbbb', hostname: 'new-1' }]);
  });

  test('servers of another staging account are not counted', () => {
    const c = classify(A, [server(B), server(A)], [], NOW, 30);
    expect(c.extendedServers).toBe(1);
  });

  test('lists are cut at the limit, counts are not', () => {
    const servers = Array.from({ length: COVERAGE_LIST_LIMIT + 5 }, () => server(A));
    const c = classify(A, servers, [], NOW, 30);
    expect(c.unmanagedServers).toBe(COVERAGE_LIST_LIMIT + 5);
    expect(c.unmanaged).toHaveLength(COVERAGE_LIST_LIMIT);
    expect(c.notDrilledInTime).toBe(COVERAGE_LIST_LIMIT + 5);
    expect(c.truncated).toBe(true);
  });
});

describe('buildCoverageReport', () => {
  test('lists staging accounts (paged), reads each, adds extra accounts, totals', async () => {
    drs.on(ListStagingAccountsCommand)
      .callsFake((i) => (i.nextToken ? { accounts: [{ accountID: B }] } : { accounts: [{ accountID: A }], nextToken: 't1' }));
    const a1 = server(A, { stack: STACK_1, logical: 'Web', launchedDaysAgo: 1 });
    const a2 = server(A);
    const b1 = server(B, { status: 'EXTENSION_ERROR', error: 'trust revoked', launchedDaysAgo: 2 });
    drs.on(DescribeSourceServersCommand).callsFake((i) => {
      const staging = i.filters.stagingAccountIDs[0];
      if (staging === A) return i.nextToken ? { items: [a2] } : { items: [a1], nextToken: 'p2' };
      return staging === B ? { items: [b1] } : { items: [] };
    });
    drs.on(ListExtensibleSourceServersCommand).callsFake((i) => (i.stagingAccountID === '444444444444'
      ? { items: [{ arn: 'arn:aws:drs:us-east-1:444444444444:source-server/s-ccccccccccccccccc' }] } : { items: [] }));
    const r = await buildCoverageReport(client, { region: 'us-east-1', maxDaysSinceDrill: 7, extraStagingAccounts: ['444444444444', A], now: () => NOW });
    expect(r.stagingAccounts.map((a) => a.stagingAccountId)).toEqual([A, B, '444444444444']);
    expect(r.stagingAccountCount).toBe(3);
    expect(r.totals).toEqual({
      extendedServers: 3, managedServers: 1, unmanagedServers: 2, extensionErrors: 1, notDrilledInTime: 1, unextendedServers: 1,
    });
    expect(r.generatedAt).toBe('2026-03-01T00:00:00.000Z');
    expect(r.maxDaysSinceDrill).toBe(7);
    const describeCalls = drs.commandCalls(DescribeSourceServersCommand).map((c) => c.args[0].input);
    expect(describeCalls[0]).toMatchObject({ filters: { stagingAccountIDs: [A] }, maxResults: 1000 });
  });

  test('a staging account that denies ListExtensibleSourceServers is reported with readError; the rest goes on', async () => {
    drs.on(ListStagingAccountsCommand).resolves({ accounts: [{ accountID: A }, { accountID: B }] });
    drs.on(DescribeSourceServersCommand).resolves({ items: [] });
    const denied = Object.assign(new Error('not trusted'), { name: 'AccessDeniedException' });
    drs.on(ListExtensibleSourceServersCommand, { stagingAccountID: A }).rejects(denied)
      .on(ListExtensibleSourceServersCommand, { stagingAccountID: B }).resolves({ items: [{ arn: 'arn:aws:drs:us-east-1:333333333333:source-server/s-ddddddddddddddddd' }] });
    const r = await buildCoverageReport(client, { region: 'us-east-1', maxDaysSinceDrill: 7, now: () => NOW });
    expect(r.stagingAccounts[0].readError).toBe('ListExtensibleSourceServers failed: AccessDeniedException: not trusted');
    expect(r.stagingAccounts[1].unextendedServers).toBe(1);
  });

  test('throttling is retried; other errors of the listing fail the run', async () => {
    const throttled = Object.assign(new Error('slow down'), { name: 'ThrottlingException', retryAfterSeconds: '0' });
    drs.on(ListStagingAccountsCommand).rejectsOnce(throttled).resolves({ accounts: [] });
    const r = await buildCoverageReport(client, { region: 'us-east-1', maxDaysSinceDrill: 7, now: () => NOW, retry: { sleep: async () => {} } });
    expect(r.stagingAccounts).toEqual([]);
    drs.reset();
    drs.on(ListStagingAccountsCommand).rejects(Object.assign(new Error('no'), { name: 'AccessDeniedException' }));
    await expect(buildCoverageReport(client, { region: 'us-east-1', maxDaysSinceDrill: 7 })).rejects.toThrow('no');
  });
});
