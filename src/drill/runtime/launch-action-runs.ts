/**
 * The drill's `launchActionRuns` step: how DRS's runs of the drill's launch actions (its SSM
 * document checks) stand on one launched server, from `DescribeJobs` of the server's job
 * (`participatingServers[].launchActionsStatus.runs[]`). The state machine cannot pick one
 * server out of a job's participating servers with JSONPath, so this read-only step does; the
 * state machine waits between the reads. Reads only.
 */
import { describeJobs } from '../../aws/drs/reads';
import { DrsClient, LaunchActionRun } from '../../aws/drs/sdk';
import { LaunchActionRunsRequest, LaunchActionRunsResult } from '../../contract/drill';

/** The run of one action, from a server's runs: the last one DRS lists for that action id. */
function runOf(runs: readonly LaunchActionRun[], actionId: string): LaunchActionRun | undefined {
  const matching = runs.filter((r) => r.action?.actionId === actionId);
  return matching[matching.length - 1];
}

export function judgeRuns(runs: readonly LaunchActionRun[], actionIds: readonly string[], where: string): LaunchActionRunsResult {
  const pending: string[] = [];
  for (const id of actionIds) {
    const run = runOf(runs, id);
    const what = `SSM document ${run?.action?.actionCode ?? '?'} (launch action ${id})`;
    if (!run) pending.push(`DRS reported no run of launch action ${id} ${where}`);
    else if (run.status === 'FAILED') return { Status: 'FAILED', Detail: `${what} FAILED: ${run.failureReason ?? 'DRS gave no failure reason'}` };
    else if (run.status !== 'SUCCEEDED') pending.push(`${what} is ${run.status ?? 'without status'}`);
  }
  return pending.length === 0 ? { Status: 'SUCCEEDED', Detail: 'every launch action run succeeded' } : { Status: 'PENDING', Detail: pending.join('; ') };
}

export async function launchActionRuns(client: DrsClient, request: LaunchActionRunsRequest): Promise<LaunchActionRunsResult> {
  if (!request.JobID || !request.SourceServerID || !Array.isArray(request.ActionIds)) {
    throw new Error('launchActionRuns needs JobID, SourceServerID and ActionIds');
  }
  const [job] = await describeJobs(client, [request.JobID]);
  const server = job?.participatingServers?.find((p) => p.sourceServerID === request.SourceServerID);
  const where = job ? `for ${request.SourceServerID} in job ${request.JobID} (job ${job.status ?? 'status unknown'})` : `(job ${request.JobID} not found)`;
  return judgeRuns(server?.launchActionsStatus?.runs ?? [], request.ActionIds, where);
}
