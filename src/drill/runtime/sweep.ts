/**
 * The drill's sweeper: cleans up after executions of one drill that ended without running their
 * own clean-up (StopExecution, the execution's timeout, the history limit, States.DataLimitExceeded,
 * a stack deleted mid-run). Runs on a schedule and when the state machine reports an execution
 * ABORTED, TIMED_OUT or FAILED.
 *
 * What it terminates, and nothing else: recovery instances that DRS reports as drills (`isDrill`)
 * whose job (`jobID`) is a LAUNCH job carrying this drill's tag and an execution tag, whose source
 * server took part in that job, and whose execution Step Functions reports as not running
 * (DescribeExecution, one read per execution, strongly consistent). A real recovery's instance,
 * another drill's, or one launched by hand never qualifies, whatever its own tags say.
 *
 * Launch actions: the drill's fixed action ids, removed from the servers of the drill's targets
 * and of its jobs, only while no execution of the drill runs (ListExecutions); a running drill
 * needs its actions.
 */
import { selectServers } from './plan';
import { describeJobs, describeRecoveryInstances, describeSourceServers, chunks } from '../../aws/drs/reads';
import { DeleteLaunchActionCommand, DrsClient, Job, ListLaunchActionsCommand, RecoveryInstance, TerminateRecoveryInstancesCommand } from '../../aws/drs/sdk';
import { executionStatus, runningExecutionNames } from '../../aws/sfn/executions';
import type { SFNClient } from '../../aws/sfn/sdk';
import { DrillTags, PlanRequest, RecoveryLimits } from '../../contract/drill';
import { SweepConfig, SweepResult, SweptExecution } from '../../contract/drill-sweeper';
import { DrillSweepMetrics, MetricDefinition, MetricDimensions, METRICS_NAMESPACE } from '../../contract/metrics';

export interface SweepDeps {
  readonly drs: DrsClient;
  readonly sfn: SFNClient;
}

/** The drill's launch jobs, by the execution named in their tag. */
export function drillJobsByExecution(jobs: readonly Job[], drillTag: string): Map<string, Job[]> {
  const out = new Map<string, Job[]>();
  for (const job of jobs) {
    const execution = job.tags?.[DrillTags.EXECUTION];
    if (job.type !== 'LAUNCH' || job.tags?.[DrillTags.DRILL] !== drillTag || !execution) continue;
    out.set(execution, [...(out.get(execution) ?? []), job]);
  }
  return out;
}

/**
 * The drill instances these jobs launched: `isDrill`, the instance's job one of them, and its
 * source server a participant of that job.
 */
export function instancesOfJobs(instances: readonly RecoveryInstance[], jobs: readonly Job[]): RecoveryInstance[] {
  const byId = new Map(jobs.map((j) => [j.jobID!, j]));
  return instances.filter((i) => {
    const job = i.jobID !== undefined ? byId.get(i.jobID) : undefined;
    return i.isDrill === true && i.recoveryInstanceID !== undefined && job !== undefined
      && (job.participatingServers ?? []).some((p) => p.sourceServerID === i.sourceServerID);
  });
}

function message(err: unknown): string {
  const e = err as { name?: string; message?: string };
  return `${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`;
}

/** The trigger named by the invoking event: an execution status change, or the schedule. */
export function triggerOf(event: unknown): string {
  const e = event as { 'detail-type'?: string; 'detail'?: { status?: string; name?: string } } | undefined;
  if (e?.['detail-type'] === 'Step Functions Execution Status Change') return `${e.detail?.status ?? 'UNKNOWN'} ${e.detail?.name ?? ''}`.trim();
  return 'schedule';
}

export async function sweep(deps: SweepDeps, config: SweepConfig, trigger: string): Promise<SweepResult> {
  const failures: string[] = [];
  const jobs = await describeJobs(deps.drs);
  const byExecution = drillJobsByExecution(jobs, config.DrillTag);
  const instances = byExecution.size > 0 ? await describeRecoveryInstances(deps.drs) : [];

  const executions: SweptExecution[] = [];
  const running: string[] = [];
  let terminated = 0;
  let alreadyTerminating = 0;
  for (const [name, own] of byExecution) {
    const left = instancesOfJobs(instances, own);
    if (left.length === 0) continue;
    let status: string;
    try {
      status = await executionStatus(deps.sfn, config.StateMachineArn, name);
    } catch (err) {
      failures.push(`execution ${name}: could not read its status, nothing of it touched (${message(err)})`);
      continue;
    }
    if (status === 'RUNNING' || status === 'PENDING_REDRIVE') {
      running.push(name);
      continue;
    }
    const ids = left.map((i) => i.recoveryInstanceID!);
    for (const batch of chunks(ids, RecoveryLimits.TERMINATE_BATCH)) {
      try {
        await deps.drs.send(new TerminateRecoveryInstancesCommand({ recoveryInstanceIDs: batch }));
        terminated += batch.length;
      } catch (err) {
        // As the drill's own clean-up: a ConflictException says a termination of these instances
        // is already under way (the drill's, or an earlier sweep's), which counts as done.
        if ((err as { name?: string }).name === 'ConflictException') alreadyTerminating += batch.length;
        else failures.push(`execution ${name}: TerminateRecoveryInstances of ${batch.join(' ')} failed (${message(err)})`);
      }
    }
    executions.push({ executionName: name, status, jobIds: own.map((j) => j.jobID!), recoveryInstanceIds: ids });
  }

  const removed = config.LaunchActionIds.length > 0 ? await removeLaunchActions(deps, config, byExecution, failures) : [];
  return {
    drillName: config.DrillName,
    trigger,
    executions,
    runningExecutions: running,
    instancesTerminated: terminated,
    instancesAlreadyTerminating: alreadyTerminating,
    launchActionsRemoved: removed,
    failures,
  };
}

/**
 * Removes the drill's launch actions from every server they may be on (the drill's targets and
 * the servers of its jobs), unless an execution of the drill runs. ListLaunchActions first, so
 * only actions that are there count as removed.
 */
async function removeLaunchActions(
  deps: SweepDeps, config: SweepConfig, byExecution: Map<string, Job[]>, failures: string[],
): Promise<string[]> {
  let running: string[];
  try {
    running = await runningExecutionNames(deps.sfn, config.StateMachineArn);
  } catch (err) {
    failures.push(`launch actions: could not list the running executions, none removed (${message(err)})`);
    return [];
  }
  if (running.length > 0) return [];
  const servers = new Set<string>();
  for (const own of byExecution.values()) {
    for (const p of own.flatMap((j) => j.participatingServers ?? [])) if (p.sourceServerID) servers.add(p.sourceServerID);
  }
  try {
    const request: PlanRequest = { Step: 'plan', ExecutionName: 'sweep', Targets: config.Targets, ServersPerJob: RecoveryLimits.SERVERS_PER_JOB };
    const all = await describeSourceServers(deps.drs, config.Targets.SourceServerIds);
    const { selected, skipped } = selectServers(request, all);
    for (const s of selected) servers.add(s.sourceServerID!);
    const known = new Set(all.map((s) => s.sourceServerID!));
    for (const s of skipped) if (known.has(s.SourceServerID)) servers.add(s.SourceServerID);
  } catch (err) {
    failures.push(`launch actions: could not read the drill's servers, only the servers of its jobs were swept (${message(err)})`);
  }
  const removed: string[] = [];
  const wanted = new Set(config.LaunchActionIds);
  for (const resourceId of [...servers].sort()) {
    try {
      const listed = await deps.drs.send(new ListLaunchActionsCommand({ resourceId, filters: { actionIds: [...wanted] } }));
      for (const a of listed.items ?? []) {
        if (!a.actionId || !wanted.has(a.actionId)) continue;
        try {
          await deps.drs.send(new DeleteLaunchActionCommand({ resourceId, actionId: a.actionId }));
          removed.push(`${resourceId}/${a.actionId}`);
        } catch (err) {
          if ((err as { name?: string }).name !== 'ResourceNotFoundException') failures.push(`server ${resourceId}: DeleteLaunchAction ${a.actionId} failed (${message(err)})`);
        }
      }
    } catch (err) {
      if ((err as { name?: string }).name !== 'ResourceNotFoundException') failures.push(`server ${resourceId}: ListLaunchActions failed (${message(err)})`);
    }
  }
  return removed;
}

/** The sweep's figures as one CloudWatch Embedded Metric Format line (Lambda's stdout; no PutMetricData). */
export function sweepEmfLine(result: SweepResult, timestampMs: number): string {
  const values: Array<[MetricDefinition, number]> = [
    [DrillSweepMetrics.INSTANCES_TERMINATED, result.instancesTerminated],
    [DrillSweepMetrics.LAUNCH_ACTIONS_REMOVED, result.launchActionsRemoved.length],
    [DrillSweepMetrics.FAILURES, result.failures.length],
  ];
  return JSON.stringify({
    _aws: {
      Timestamp: timestampMs,
      CloudWatchMetrics: [{
        Namespace: METRICS_NAMESPACE,
        Dimensions: [[MetricDimensions.DRILL_NAME]],
        Metrics: values.map(([m]) => ({ Name: m.name, Unit: m.unit })),
      }],
    },
    [MetricDimensions.DRILL_NAME]: result.drillName,
    ...Object.fromEntries(values.map(([m, v]) => [m.name, v])),
  });
}
