import { DescribeJobsCommand, DrsClient, LaunchActionRun } from '@aws-sdk/client-drs';
import { mockClient } from 'aws-sdk-client-mock';
import { judgeRuns, launchActionRuns } from '../../../src/drill/runtime/launch-action-runs';

const A = '0a1b2c3d-0000-4000-8000-00000000000a';
const B = '0a1b2c3d-0000-4000-8000-00000000000b';
const run = (actionId: string, status: string, failureReason?: string): LaunchActionRun =>
  ({ action: { actionId, actionCode: 'AWS-RunShellScript' }, runId: `r-${actionId}`, status: status as any, ...(failureReason ? { failureReason } : {}) });

test('all succeeded; one failed wins with its reason; in progress or missing is PENDING, naming what is missing', () => {
  expect(judgeRuns([run(A, 'SUCCEEDED'), run(B, 'SUCCEEDED')], [A, B], 'x').Status).toBe('SUCCEEDED');
  expect(judgeRuns([run(A, 'IN_PROGRESS'), run(B, 'FAILED', 'exit 1')], [A, B], 'x'))
    .toEqual({ Status: 'FAILED', Detail: `SSM document AWS-RunShellScript (launch action ${B}) FAILED: exit 1` });
  expect(judgeRuns([run(A, 'IN_PROGRESS')], [A, B], 'in job j')).toEqual({
    Status: 'PENDING',
    Detail: `SSM document AWS-RunShellScript (launch action ${A}) is IN_PROGRESS; DRS reported no run of launch action ${B} in job j`,
  });
  expect(judgeRuns([run(A, 'FAILED', 'old'), run(A, 'SUCCEEDED')], [A], 'x').Status).toBe('SUCCEEDED'); // the last run counts
});

test('reads the server\'s runs from DescribeJobs of its job, and only that server\'s', async () => {
  const drs = mockClient(DrsClient);
  drs.on(DescribeJobsCommand).resolves({
    items: [{
      jobID: 'drsjob-1',
      status: 'COMPLETED',
      participatingServers: [
        { sourceServerID: 's-other', launchActionsStatus: { runs: [run(A, 'FAILED', 'not mine')] } },
        { sourceServerID: 's-mine', launchActionsStatus: { runs: [run(A, 'SUCCEEDED')] } },
      ],
    }],
  });
  const client = new DrsClient({ region: 'us-east-1' });
  expect((await launchActionRuns(client, { Step: 'launchActionRuns', JobID: 'drsjob-1', SourceServerID: 's-mine', ActionIds: [A] })).Status).toBe('SUCCEEDED');
  expect(drs.commandCalls(DescribeJobsCommand)[0].args[0].input).toMatchObject({ filters: { jobIDs: ['drsjob-1'] } });
  const none = await launchActionRuns(client, { Step: 'launchActionRuns', JobID: 'drsjob-1', SourceServerID: 's-gone', ActionIds: [A] });
  expect(none).toMatchObject({ Status: 'PENDING', Detail: expect.stringContaining('for s-gone in job drsjob-1 (job COMPLETED)') });
  await expect(launchActionRuns(client, { Step: 'launchActionRuns', JobID: '', SourceServerID: 's', ActionIds: [A] })).rejects.toThrow('needs JobID');
  drs.restore();
});
