/**
 * The drill's `plan` step: which servers to drill, in which waves, and the facts the state
 * machine's Choice states decide on (a recovery in progress, the job quotas, existing recovery
 * instances). Reads only; it starts nothing.
 */
import { chunks, describeJobs, describeRecoveryInstances, describeSourceServers } from '../../aws/drs/reads';
import { DrsClient, Job, RecoveryInstance, SourceServer } from '../../aws/drs/sdk';
import { OwnerTags } from '../../contract';
import { DrillTags, PlanRequest, PlanResult, RecoveryLimits, WaveServer } from '../../contract/drill';
import { evaluateSelector } from '../../servers/runtime/selector';

/** Jobs that are not over yet. */
export function isActive(job: Job): boolean {
  return job.status !== 'COMPLETED';
}

/**
 * Whether an active job may be a real recovery (not a drill). DRS's jobs carry no isDrill flag,
 * and since the multi-account change a target account's jobs say `initiatedBy: TARGET_ACCOUNT`
 * whatever they are. So: a drill is a job initiated as START_DRILL, or tagged by a RecoveryDrill,
 * or whose recovery instances are all drill instances; any other launch job counts as a
 * recovery (the safe side: the drill refuses to start).
 */
export function mayBeRecovery(job: Job, instances: readonly RecoveryInstance[]): boolean {
  if (job.type !== undefined && job.type !== 'LAUNCH') return false;
  if (job.initiatedBy === 'START_DRILL') return false;
  if (job.tags && DrillTags.DRILL in job.tags) return false;
  const own = instances.filter((i) => i.jobID === job.jobID);
  if (own.length > 0 && own.every((i) => i.isDrill === true)) return false;
  return true;
}

function hostnameOf(server: SourceServer): string | undefined {
  return server.sourceProperties?.identificationHints?.hostname;
}

function isExtended(server: SourceServer): boolean {
  return server.stagingArea?.status === 'EXTENDED';
}

/**
 * The servers the targets name (the union of the ids, the extensions' owner tags and the selector,
 * each server once, in that order), and the selected servers DRS cannot drill, with the reason.
 */
export function selectServers(request: PlanRequest, servers: readonly SourceServer[]): {
  selected: SourceServer[]; skipped: Array<{ SourceServerID: string; Reason: string }>;
} {
  const t = request.Targets;
  const skipped: Array<{ SourceServerID: string; Reason: string }> = [];
  const chosen = new Map<string, SourceServer>();
  const choose = (s: SourceServer) => { if (!chosen.has(s.sourceServerID!)) chosen.set(s.sourceServerID!, s); };
  if (t.SourceServerIds) {
    const byId = new Map(servers.map((s) => [s.sourceServerID!, s]));
    for (const id of new Set(t.SourceServerIds)) {
      const s = byId.get(id);
      if (s) choose(s); else skipped.push({ SourceServerID: id, Reason: 'no such source server in this account and Region' });
    }
  }
  if (t.Owners) {
    servers.filter((s) => t.Owners!.some((o) =>
      s.tags?.[OwnerTags.STACK_ID] === o.StackId && s.tags?.[OwnerTags.LOGICAL_ID] === o.LogicalId)).forEach(choose);
  }
  if (t.Selector) {
    servers.filter((s) => s.stagingArea?.stagingAccountID !== undefined &&
      evaluateSelector(t.Selector, { hostname: hostnameOf(s), tags: s.tags ?? {} }) === true).forEach(choose);
  }
  const selected = [...chosen.values()];
  const drillable: SourceServer[] = [];
  for (const s of selected) {
    const id = s.sourceServerID!;
    if (s.stagingArea?.stagingAccountID !== undefined && !isExtended(s)) {
      skipped.push({ SourceServerID: id, Reason: `extension status ${s.stagingArea?.status}: ${s.stagingArea?.errorMessage ?? 'not extended'}` });
    } else if (s.dataReplicationInfo?.dataReplicationState === 'DISCONNECTED') {
      skipped.push({ SourceServerID: id, Reason: 'disconnected' });
    } else {
      drillable.push(s);
    }
  }
  return { selected: drillable, skipped };
}

function compareWaveValues(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (a.trim() !== '' && b.trim() !== '' && Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Waves: servers with the wave tag first, one group per tag value in ascending order (numbers as
 * numbers), then the servers without it; each group split into jobs of at most `perJob`.
 */
export function planWaves(servers: readonly SourceServer[], perJob: number, waveTagKey?: string): WaveServer[][] {
  const groups = new Map<string, SourceServer[]>();
  const untagged: SourceServer[] = [];
  for (const s of servers) {
    const value = waveTagKey === undefined ? undefined : s.tags?.[waveTagKey];
    if (value === undefined) { untagged.push(s); continue; }
    const group = groups.get(value) ?? [];
    group.push(s);
    groups.set(value, group);
  }
  const ordered = [...[...groups.keys()].sort(compareWaveValues).map((k) => groups.get(k)!), untagged];
  return ordered.flatMap((group) => chunks(group, perJob))
    .filter((wave) => wave.length > 0)
    .map((wave) => wave.map((s) => ({ SourceServerID: s.sourceServerID! })));
}

export async function plan(client: DrsClient, request: PlanRequest): Promise<PlanResult> {
  // Only ids: read just those servers; with owners or a selector too, read them all.
  const t = request.Targets;
  const ids = t.Owners === undefined && t.Selector === undefined ? t.SourceServerIds : undefined;
  const [servers, instances, jobs] = await Promise.all([
    describeSourceServers(client, ids),
    describeRecoveryInstances(client),
    describeJobs(client),
  ]);
  const { selected, skipped } = selectServers(request, servers);

  const withInstance = new Set(instances.map((i) => i.sourceServerID));
  const clear: SourceServer[] = [];
  let withRecoveryInstance = 0;
  for (const s of selected) {
    if (withInstance.has(s.sourceServerID)) {
      withRecoveryInstance++;
      skipped.push({ SourceServerID: s.sourceServerID!, Reason: 'has a recovery instance (a drill would replace it): terminate it first' });
    } else {
      clear.push(s);
    }
  }

  const perJob = Math.min(Math.max(1, Math.floor(request.ServersPerJob)), RecoveryLimits.SERVERS_PER_JOB);
  const waves = planWaves(clear, perJob, request.WaveTagKey);
  const active = jobs.filter(isActive);
  const activeRecoveryJobs = active.filter((j) => mayBeRecovery(j, instances)).length;
  const serversInActiveJobs = active.reduce((n, j) => n + (j.participatingServers?.length ?? 0), 0);
  const largestWave = waves.reduce((n, w) => Math.max(n, w.length), 0);

  // Facts only: the state machine's Choice states decide whether to refuse.
  return {
    Waves: waves,
    WaveCount: waves.length,
    ServerCount: clear.length,
    LargestWave: largestWave,
    Skipped: skipped,
    SkippedCount: skipped.length,
    WithRecoveryInstanceCount: withRecoveryInstance,
    ActiveRecoveryJobs: activeRecoveryJobs,
    ActiveJobs: active.length,
    JobCapacity: RecoveryLimits.CONCURRENT_JOBS - active.length,
    ServerCapacity: RecoveryLimits.SERVERS_IN_ACTIVE_JOBS - serversInActiveJobs,
  };
}
