/**
 * The drill's `collect` step: what this execution's recovery jobs did, per server, from DRS
 * (DescribeJobs, DescribeJobLogItems per job, DescribeRecoveryInstances); the recovery times,
 * the outcome, the result event, the metrics; and the recovery instances the clean-up may
 * terminate: drill instances launched by this execution's jobs, and nothing else.
 */
import { chunks, describeJobLog, describeJobs, describeRecoveryInstances } from '../../aws/drs/reads';
import { DrsClient, Job, JobLog, RecoveryInstance } from '../../aws/drs/sdk';
import { CollectRequest, CollectResult, DrillErrors, DrillOutcomes, JudgeRequest, RecoveryLimits, ServerOutcome } from '../../contract/drill';
import { DrillMetrics, MetricDimensions } from '../../contract/metrics';

/** The job ids the state machine accumulated with States.Format: separated by spaces. */
export function parseJobIds(value: string | undefined): string[] {
  return [...new Set((value ?? '').split(/\s+/).filter((id) => id.length > 0))];
}

export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * The drill instances this execution launched: instances DRS reports as drills (`isDrill`) and
 * whose job is one of this execution's. A recovery's instance, another drill's, or one launched
 * by hand never qualifies, whatever its tags say.
 */
export function ownInstances(instances: readonly RecoveryInstance[], jobIds: ReadonlySet<string>): RecoveryInstance[] {
  return instances.filter((i) => i.isDrill === true && i.jobID !== undefined && jobIds.has(i.jobID) && i.recoveryInstanceID);
}

function seconds(from: string | undefined, to: string | undefined): number | undefined {
  if (!from || !to) return undefined;
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) ? Math.max(0, Math.round(ms / 100) / 10) : undefined;
}

/**
 * When a server was launched: its `LAUNCH_FINISHED` log event where DRS writes one (named by the
 * issue, not in the API model's event list), else its `LAUNCH_START` event (the last per-server
 * event of a launch in the model's list: the EC2 launch of the recovery instance), else the end
 * of its job (the latest moment DRS records for it).
 */
export function launchedAt(job: Job, log: readonly JobLog[], serverId: string): string | undefined {
  for (const event of ['LAUNCH_FINISHED', 'LAUNCH_START']) {
    const found = log.filter((l) => l.eventData?.sourceServerID === serverId && String(l.event) === event);
    if (found.length > 0) return found[found.length - 1].logDateTime;
  }
  return job.endDateTime;
}

function failureReason(log: readonly JobLog[], serverId: string, status: string | undefined): string {
  const failed = log.filter((l) => l.eventData?.sourceServerID === serverId && /FAIL/.test(String(l.event)));
  const last = failed[failed.length - 1];
  if (last) return `${last.event}${last.eventData?.rawError ? `: ${last.eventData.rawError}` : ''}`;
  return `launch status ${status ?? 'unknown'}`;
}

export function outcomeOf(request: CollectRequest, servers: readonly ServerOutcome[], skipped = 0): string {
  if (request.Refusal) return request.Refusal;
  if (request.Error?.Error === DrillErrors.TIMED_OUT) return DrillOutcomes.TIMED_OUT;
  if (request.Error?.Error === DrillErrors.STOPPED_FOR_RECOVERY) return DrillOutcomes.STOPPED_RECOVERY_IN_PROGRESS;
  if (request.Error) return DrillOutcomes.ERROR;
  if (servers.length === 0) return DrillOutcomes.NOTHING_TO_DRILL;
  // A server that was to be drilled and was not (skipped) fails the drill, unless skips are allowed.
  if (skipped > 0 && request.AllowSkips !== true) return DrillOutcomes.FAILED;
  return servers.every((s) => s.succeeded) ? DrillOutcomes.SUCCEEDED : DrillOutcomes.FAILED;
}

/** The servers left out before their wave, as the state machine accumulated them (RecheckResult.SkippedJson). */
export function parseLateSkips(value: string | undefined): Array<{ SourceServerID: string; Reason: string }> {
  if (!value) return [];
  return JSON.parse(`[${value.replace(/^,/, '')}]`);
}

export async function collect(client: DrsClient, given: CollectRequest): Promise<CollectResult> {
  const request = normalized(given);
  const jobIds = parseJobIds(request.JobIds);
  const rto = request.RecoveryTimeObjectiveSeconds;
  const jobs = jobIds.length > 0 ? await describeJobs(client, jobIds) : [];
  const logs = new Map<string, JobLog[]>();
  for (const job of jobs) logs.set(job.jobID!, await describeJobLog(client, job.jobID!));
  const instances = jobIds.length > 0 ? await describeRecoveryInstances(client) : [];
  const own = ownInstances(instances, new Set(jobIds));
  const instanceById = new Map(own.map((i) => [i.recoveryInstanceID!, i]));

  const servers: ServerOutcome[] = [];
  for (const job of jobs) {
    const log = logs.get(job.jobID!) ?? [];
    for (const p of job.participatingServers ?? []) {
      const id = p.sourceServerID!;
      const launched = p.launchStatus === 'LAUNCHED';
      const end = launched ? launchedAt(job, log, id) : undefined;
      const time = launched ? seconds(job.creationDateTime, end) : undefined;
      const overRto = rto !== undefined && time !== undefined && time > rto;
      const instance = p.recoveryInstanceID ? instanceById.get(p.recoveryInstanceID) : undefined;
      let reason: string | undefined;
      if (!launched) reason = job.status === 'COMPLETED' ? failureReason(log, id, p.launchStatus) : `job ${job.jobID} had not ended (${p.launchStatus ?? 'PENDING'})`;
      else if (overRto) reason = `recovery took ${time} s, more than the recovery time objective of ${rto} s`;
      servers.push({
        sourceServerId: id,
        jobId: job.jobID!,
        launchStatus: p.launchStatus ?? 'PENDING',
        ...(p.recoveryInstanceID ? { recoveryInstanceId: p.recoveryInstanceID } : {}),
        ...(instance?.ec2InstanceID ? { ec2InstanceId: instance.ec2InstanceID } : {}),
        ...(job.creationDateTime ? { startedAt: job.creationDateTime } : {}),
        ...(end ? { launchedAt: end } : {}),
        ...(time !== undefined ? { recoveryTimeSeconds: time } : {}),
        succeeded: launched && !overRto,
        ...(reason ? { reason } : {}),
      });
    }
  }

  return summarize(request, jobIds, servers, own.map((i) => i.recoveryInstanceID!));
}

function normalized(given: CollectRequest | JudgeRequest): CollectRequest {
  // The state machine passes `{}` and `''` when nothing went wrong.
  return {
    ...given,
    Step: 'collect',
    Error: given.Error?.Error ? given.Error : undefined,
    Refusal: given.Refusal ? given.Refusal : undefined,
  };
}

/**
 * The `judge` step, after the user's check ran on each launched server: a server whose check
 * did not pass (or threw) fails; a passed check's end (`checkedAt`, when later than the launch)
 * ends the server's recovery time. Reads nothing from DRS.
 */
export function judge(given: JudgeRequest): CollectResult {
  const request = normalized(given);
  const rto = request.RecoveryTimeObjectiveSeconds;
  const checks = new Map((given.Checks ?? []).map((c) => [c.SourceServerID, c]));
  const servers = (given.Servers ?? []).map((s): ServerOutcome => {
    if (s.launchStatus !== 'LAUNCHED') return s;
    const check = checks.get(s.sourceServerId);
    const passed = check?.Result?.passed === true;
    const detail = check?.Error ? `${check.Error.Error}: ${check.Error.Cause ?? ''}` : String(check?.Result?.detail ?? '');
    const checkedAt = check?.CheckedAt && s.launchedAt && Date.parse(check.CheckedAt) > Date.parse(s.launchedAt) ? check.CheckedAt : s.launchedAt;
    const time = seconds(s.startedAt, checkedAt) ?? s.recoveryTimeSeconds;
    const overRto = rto !== undefined && time !== undefined && time > rto;
    let reason: string | undefined;
    if (!check) reason = 'the check did not run';
    else if (!passed) reason = `the check did not pass${detail ? `: ${detail}` : ''}`;
    else if (overRto) reason = `recovery took ${time} s, more than the recovery time objective of ${rto} s`;
    const { reason: _old, ...rest } = s;
    return {
      ...rest,
      ...(checkedAt ? { checkedAt } : {}),
      ...(time !== undefined ? { recoveryTimeSeconds: time } : {}),
      succeeded: reason === undefined,
      ...(reason ? { reason } : {}),
    };
  });
  return summarize(request, parseJobIds(request.JobIds), servers, (given.TerminateBatches ?? []).flat());
}

function summarize(request: CollectRequest, jobIds: string[], servers: ServerOutcome[], terminate: string[]): CollectResult {
  const rto = request.RecoveryTimeObjectiveSeconds;
  const times = servers.flatMap((s) => (s.recoveryTimeSeconds === undefined ? [] : [s.recoveryTimeSeconds]));
  const max = times.length > 0 ? Math.max(...times) : undefined;
  const med = median(times);
  const failed = servers.filter((s) => !s.succeeded).length;
  const lateSkips = parseLateSkips(request.LateSkips);
  const skipped = [...(request.Plan?.Skipped ?? []), ...lateSkips];
  const outcome = outcomeOf(request, servers, skipped.length);
  const succeeded = outcome === DrillOutcomes.SUCCEEDED;
  const planned = request.Plan?.ServerCount ?? servers.length;
  const notStarted = Math.max(0, planned - lateSkips.length - servers.length);

  const summary = [
    `drill ${request.DrillName} (${request.ExecutionName}): ${outcome}`,
    `${servers.length} server(s) drilled, ${failed} failed${notStarted > 0 ? `, ${notStarted} not started` : ''}${skipped.length > 0 ? `, ${skipped.length} skipped${request.AllowSkips === true ? ' (allowed)' : ''}` : ''}`,
    ...(max !== undefined ? [`recovery time max ${max} s, median ${med} s${rto !== undefined ? ` (objective ${rto} s)` : ''}`] : []),
    ...(request.Error ? [`stopped by ${request.Error.Error}: ${request.Error.Cause ?? ''}`] : []),
    ...(servers.filter((s) => !s.succeeded).slice(0, 10).map((s) => `${s.sourceServerId}: ${s.reason}`)),
    ...(skipped.slice(0, 10).map((s) => `${s.SourceServerID} skipped: ${s.Reason}`)),
  ].join('; ');

  const dimensions = [{ Name: MetricDimensions.DRILL_NAME, Value: request.DrillName }];
  const metric = (m: { name: string; unit: string }, value: number) => ({ MetricName: m.name, Dimensions: dimensions, Value: value, Unit: m.unit });
  const metricData = [
    metric(DrillMetrics.SERVERS_DRILLED, servers.length),
    metric(DrillMetrics.SERVERS_FAILED, failed + notStarted),
    metric(DrillMetrics.DRILL_SUCCEEDED, succeeded ? 1 : 0),
    ...(max !== undefined ? [metric(DrillMetrics.MAX_RECOVERY_TIME_SECONDS, max)] : []),
    ...(med !== undefined ? [metric(DrillMetrics.MEDIAN_RECOVERY_TIME_SECONDS, med)] : []),
  ];

  return {
    Outcome: outcome,
    Succeeded: succeeded,
    Detail: {
      drillName: request.DrillName,
      executionName: request.ExecutionName,
      outcome,
      succeeded,
      serversDrilled: servers.length,
      serversFailed: failed,
      serversNotStarted: notStarted,
      serversSkipped: skipped,
      ...(max !== undefined ? { maxRecoveryTimeSeconds: max } : {}),
      ...(med !== undefined ? { medianRecoveryTimeSeconds: med } : {}),
      ...(rto !== undefined ? { recoveryTimeObjectiveSeconds: rto } : {}),
      jobIds,
      recoveryInstancesToTerminate: terminate.length,
      ...(request.Error ? { error: request.Error } : {}),
      servers,
    },
    MetricData: metricData,
    TerminateBatches: chunks(terminate, RecoveryLimits.TERMINATE_BATCH),
    TerminateCount: terminate.length,
    Launched: servers.filter((s) => s.launchStatus === 'LAUNCHED').map((s) => ({
      SourceServerID: s.sourceServerId,
      JobID: s.jobId,
      RecoveryInstanceID: s.recoveryInstanceId ?? '',
      Ec2InstanceID: s.ec2InstanceId ?? '',
    })),
    Summary: summary,
  };
}
