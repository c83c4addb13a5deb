import { DescribeJobsCommand, DescribeRecoveryInstancesCommand, DrsClient } from '@aws-sdk/client-drs';
import { mockClient } from 'aws-sdk-client-mock';
import { DrillTags } from '../../../src/contract/drill';
import { parseLateSkips } from '../../../src/drill/runtime/collect';
import { recheck } from '../../../src/drill/runtime/recheck';

const id = (n: number) => `s-${String(n).padStart(17, '0')}`;
const drs = mockClient(DrsClient);
afterEach(() => drs.reset());

function world(jobs: any[], instances: any[]) {
  drs.on(DescribeJobsCommand).resolves({ items: jobs });
  drs.on(DescribeRecoveryInstancesCommand).resolves({ items: instances });
}
const wave = [1, 2, 3].map((n) => ({ SourceServerID: id(n) }));

describe('recheck (before each wave)', () => {
  test('nothing new: the wave as planned', async () => {
    world([{ jobID: 'drsjob-own', type: 'LAUNCH', status: 'STARTED', tags: { [DrillTags.DRILL]: 'd' }, participatingServers: [{ sourceServerID: id(9) }] }], []);
    expect(await recheck(new DrsClient({}), { Step: 'recheck', ExecutionName: 'e', Servers: wave }))
      .toEqual({ Servers: wave, Count: 3, Found: 0, SkippedJson: '', Detail: 'nothing' });
  });

  test('a recovery job of a wave server, and a recovery instance of another: both left out, with the reason; the job is found', async () => {
    world(
      [{ jobID: 'drsjob-real', type: 'LAUNCH', status: 'PENDING', initiatedBy: 'START_RECOVERY', participatingServers: [{ sourceServerID: id(2) }] }],
      [{ recoveryInstanceID: 'i-3', sourceServerID: id(3), isDrill: false, jobID: 'drsjob-old' }],
    );
    const r = await recheck(new DrsClient({}), { Step: 'recheck', ExecutionName: 'e', Servers: wave });
    expect(r).toMatchObject({ Servers: [{ SourceServerID: id(1) }], Count: 1, Found: 3 });
    expect(r.Detail).toContain('drsjob-real');
    // The state machine appends SkippedJson to one string; collect reads it back.
    const skips = parseLateSkips(`${''}${r.SkippedJson}`);
    expect(skips.map((s) => s.SourceServerID)).toEqual([id(2), id(3)]);
    expect(skips[0].Reason).toContain('drsjob-real');
    expect(skips[1].Reason).toContain('i-3');
  });

  test('a recovery of servers outside the wave is found, and leaves the wave as it is', async () => {
    world([{ jobID: 'drsjob-real', type: 'LAUNCH', status: 'STARTED', initiatedBy: 'START_RECOVERY', participatingServers: [{ sourceServerID: id(7) }] }], []);
    const r = await recheck(new DrsClient({}), { Step: 'recheck', ExecutionName: 'e', Servers: wave });
    expect(r).toMatchObject({ Servers: wave, Count: 3, Found: 1, SkippedJson: '' });
  });
});
