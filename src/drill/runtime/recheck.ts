/**
 * The drill's `recheck` step, just before each wave's StartRecovery: the plan's safety facts
 * read again, for this wave (issue 16, item 1). A person may start a recovery while an earlier
 * wave runs; a drill of a server with a recovery instance, or in a recovery job, would replace
 * that instance. Reads only; the state machine decides (skip the affected servers, or stop).
 */
import { isActive, mayBeRecovery } from './plan';
import { describeJobs, describeRecoveryInstances } from '../../aws/drs/reads';
import { DrsClient } from '../../aws/drs/sdk';
import { RecheckRequest, RecheckResult, WaveServer } from '../../contract/drill';

export async function recheck(client: DrsClient, request: RecheckRequest): Promise<RecheckResult> {
  const [instances, jobs] = await Promise.all([describeRecoveryInstances(client), describeJobs(client)]);
  const recoveries = jobs.filter((j) => isActive(j) && mayBeRecovery(j, instances));
  const inRecovery = new Map<string, string>();
  for (const j of recoveries) for (const p of j.participatingServers ?? []) inRecovery.set(p.sourceServerID!, j.jobID!);
  const withInstance = new Map(instances.map((i) => [i.sourceServerID!, i.recoveryInstanceID!]));

  const servers: WaveServer[] = [];
  const skipped: Array<{ SourceServerID: string; Reason: string }> = [];
  for (const s of request.Servers ?? []) {
    const id = s.SourceServerID;
    const job = inRecovery.get(id);
    const instance = withInstance.get(id);
    if (job !== undefined) {
      skipped.push({ SourceServerID: id, Reason: `a recovery job (${job}) of this server started during the drill: not drilled, so that its recovery instance is not replaced` });
    } else if (instance !== undefined) {
      skipped.push({ SourceServerID: id, Reason: `the server has a recovery instance (${instance}) since the drill was planned: not drilled, so that it is not replaced` });
    } else {
      servers.push({ SourceServerID: id });
    }
  }
  const detail = [
    ...(recoveries.length > 0 ? [`active recovery job(s) in the account: ${recoveries.map((j) => j.jobID).join(', ')}`] : []),
    ...skipped.map((s) => `${s.SourceServerID}: ${s.Reason}`),
  ].join('; ');
  return {
    Servers: servers,
    Count: servers.length,
    Found: recoveries.length + skipped.length,
    SkippedJson: skipped.map((s) => `,${JSON.stringify(s)}`).join(''),
    Detail: detail || 'nothing',
  };
}
