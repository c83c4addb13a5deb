import { DescribeJobsCommand, DescribeRecoveryInstancesCommand, DescribeSourceServersCommand, DrsClient, Job, SourceServer } from '@aws-sdk/client-drs';
import { mockClient } from 'aws-sdk-client-mock';
import { OwnerTags } from '../../../src/contract';
import { DrillTags, PlanRequest } from '../../../src/contract/drill';
import { mayBeRecovery, plan, planWaves, selectServers } from '../../../src/drill/runtime/plan';

const id = (n: number) => `s-${String(n).padStart(17, '0')}`;
function server(n: number, extra: Partial<SourceServer> = {}): SourceServer {
  return {
    sourceServerID: id(n),
    stagingArea: { status: 'EXTENDED', stagingAccountID: '111111111111' },
    sourceProperties: { identificationHints: { hostname: `web-${n}.example` } },
    tags: {},
    ...extra,
  };
}
const request = (targets: PlanRequest['Targets'], extra: Partial<PlanRequest> = {}): PlanRequest =>
  ({ Step: 'plan', ExecutionName: 'e', Targets: targets, ServersPerJob: 100, ...extra });

describe('mayBeRecovery', () => {
  const active: Job = { jobID: 'drsjob-1', type: 'LAUNCH', status: 'STARTED' };
  test.each<[string, Job, boolean]>([
    ['START_DRILL', { ...active, initiatedBy: 'START_DRILL' }, false],
    ['START_RECOVERY', { ...active, initiatedBy: 'START_RECOVERY' }, true],
    ['TARGET_ACCOUNT without instances yet (cannot tell: safe side)', { ...active, initiatedBy: 'TARGET_ACCOUNT' }, true],
    ['TARGET_ACCOUNT tagged by a RecoveryDrill', { ...active, initiatedBy: 'TARGET_ACCOUNT', tags: { [DrillTags.DRILL]: 'x' } }, false],
    ['a terminate job', { ...active, type: 'TERMINATE', initiatedBy: 'TERMINATE_RECOVERY_INSTANCES' }, false],
  ])('%s', (_, job, expected) => {
    expect(mayBeRecovery(job, [])).toBe(expected);
  });

  test('TARGET_ACCOUNT whose instances are all drills is a drill; one recovery instance makes it a recovery', () => {
    const job: Job = { ...active, initiatedBy: 'TARGET_ACCOUNT' };
    expect(mayBeRecovery(job, [{ jobID: 'drsjob-1', isDrill: true }, { jobID: 'drsjob-2', isDrill: false }])).toBe(false);
    expect(mayBeRecovery(job, [{ jobID: 'drsjob-1', isDrill: true }, { jobID: 'drsjob-1', isDrill: false }])).toBe(true);
  });
});

describe('planWaves', () => {
  test('chunks of at most perJob, wave tag values first in ascending order (numbers as numbers), untagged last', () => {
    const servers = [server(1), server(2, { tags: { W: '10' } }), server(3, { tags: { W: '9' } }), server(4), server(5, { tags: { W: '9' } })];
    expect(planWaves(servers, 100, 'W').map((w) => w.map((s) => s.SourceServerID))).toEqual([[id(3), id(5)], [id(2)], [id(1), id(4)]]);
    expect(planWaves(servers, 2).map((w) => w.length)).toEqual([2, 2, 1]);
    expect(planWaves([], 100)).toEqual([]);
  });
});

describe('selectServers', () => {
  test('by id: unknown ids are skipped with a reason; EXTENSION_ERROR and disconnected servers too', () => {
    const servers = [server(1), server(2, { stagingArea: { status: 'EXTENSION_ERROR', stagingAccountID: '1', errorMessage: 'trust removed' } }),
      server(3, { dataReplicationInfo: { dataReplicationState: 'DISCONNECTED' } })];
    const { selected, skipped } = selectServers(request({ SourceServerIds: [id(1), id(2), id(3), id(9)] }), servers);
    expect(selected.map((s) => s.sourceServerID)).toEqual([id(1)]);
    expect(skipped).toEqual([
      { SourceServerID: id(9), Reason: 'no such source server in this account and Region' },
      { SourceServerID: id(2), Reason: 'extension status EXTENSION_ERROR: trust removed' },
      { SourceServerID: id(3), Reason: 'disconnected' },
    ]);
  });

  test('by owner tags: both tags of one extension must match', () => {
    const owner = { StackId: 'arn:stack/a', LogicalId: 'Ext' };
    const servers = [
      server(1, { tags: { [OwnerTags.STACK_ID]: 'arn:stack/a', [OwnerTags.LOGICAL_ID]: 'Ext' } }),
      server(2, { tags: { [OwnerTags.STACK_ID]: 'arn:stack/a', [OwnerTags.LOGICAL_ID]: 'Other' } }),
      server(3),
    ];
    expect(selectServers(request({ Owners: [owner] }), servers).selected.map((s) => s.sourceServerID)).toEqual([id(1)]);
  });

  test('by selector: extended servers only, by hostname and their tags here', () => {
    const servers = [server(1), server(2, { tags: { tier: 'db' } }), server(3, { stagingArea: undefined })];
    const byTag = request({ Selector: { Type: 'tag', Key: 'tier', Values: ['db'] } });
    expect(selectServers(byTag, servers).selected.map((s) => s.sourceServerID)).toEqual([id(2)]);
    const byHost = request({ Selector: { Type: 'hostname', Patterns: ['web-1.*', 'web-3.*'] } });
    expect(selectServers(byHost, servers).selected.map((s) => s.sourceServerID)).toEqual([id(1)]);
  });

  test('ids, owners and a selector together: their union, each server once, ids first', () => {
    const owner = { StackId: 'arn:stack/a', LogicalId: 'Ext' };
    const owned = { [OwnerTags.STACK_ID]: 'arn:stack/a', [OwnerTags.LOGICAL_ID]: 'Ext' };
    const servers = [server(1, { tags: owned }), server(2, { tags: { tier: 'db', ...owned } }), server(3, { tags: { tier: 'db' } }), server(4), server(5)];
    const union = request({ SourceServerIds: [id(5), id(2), id(5)], Owners: [owner], Selector: { Type: 'tag', Key: 'tier', Values: ['db'] } });
    expect(selectServers(union, servers).selected.map((s) => s.sourceServerID)).toEqual([id(5), id(2), id(1), id(3)]);
  });
});

describe('plan', () => {
  const drs = mockClient(DrsClient);
  beforeEach(() => drs.reset());

  test('reads every page, skips servers with a recovery instance, reports the job facts', async () => {
    drs.on(DescribeSourceServersCommand).resolvesOnce({ items: [server(1), server(2)], nextToken: 't' }).resolvesOnce({ items: [server(3)] });
    drs.on(DescribeRecoveryInstancesCommand).resolves({ items: [{ recoveryInstanceID: 'i-00000001', sourceServerID: id(2), isDrill: false }] });
    drs.on(DescribeJobsCommand).resolves({
      items: [
        { jobID: 'drsjob-a', type: 'LAUNCH', status: 'STARTED', initiatedBy: 'START_DRILL', participatingServers: [{ sourceServerID: 'x' }, { sourceServerID: 'y' }] },
        { jobID: 'drsjob-b', type: 'LAUNCH', status: 'COMPLETED', initiatedBy: 'START_RECOVERY', participatingServers: [{ sourceServerID: 'z' }] },
      ],
    });
    const result = await plan(new DrsClient({}), request({ Selector: { Type: 'all' } }, { ServersPerJob: 1 }));
    expect(drs.commandCalls(DescribeSourceServersCommand).map((c) => c.args[0].input.nextToken)).toEqual([undefined, 't']);
    expect(result).toMatchObject({
      Waves: [[{ SourceServerID: id(1) }], [{ SourceServerID: id(3) }]],
      WaveCount: 2,
      ServerCount: 2,
      LargestWave: 1,
      WithRecoveryInstanceCount: 1,
      SkippedCount: 1,
      ActiveRecoveryJobs: 0,
      ActiveJobs: 1,
      JobCapacity: 19,
      ServerCapacity: 498,
    });
  });

  test('explicit ids are looked up by filter, at most 200 per call', async () => {
    drs.on(DescribeSourceServersCommand).resolves({ items: [] });
    drs.on(DescribeRecoveryInstancesCommand).resolves({ items: [] });
    drs.on(DescribeJobsCommand).resolves({ items: [] });
    const ids = Array.from({ length: 250 }, (_, n) => id(n));
    const result = await plan(new DrsClient({}), request({ SourceServerIds: ids }));
    expect(drs.commandCalls(DescribeSourceServersCommand).map((c) => c.args[0].input.filters?.sourceServerIDs?.length)).toEqual([200, 50]);
    expect(result).toMatchObject({ WaveCount: 0, SkippedCount: 250 });
  });
});
