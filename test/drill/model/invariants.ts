/**
 * The invariants of a drill execution (issue 16), checked from the local DRS's own records (its
 * jobs, their tags and participating servers, its recovery instances, and every replacement of
 * an instance by a launch), never from what the drill reports about itself:
 * - D1: no drill launches over, terminates or replaces a recovery instance it did not launch;
 * - D2: every drill instance and launch action is gone within a bound after the execution ends
 *   (after keepInstancesFor), however it ended;
 * - D3: a drill that ended by itself reports every declared server with an outcome, and
 *   SUCCEEDED only when every server launched, passed its checks and met the RTO;
 * - D4: no state over 256 KB, no history over 25,000 events (the harness enforces both);
 * - D5: at most one execution of a drill acts (starts launch jobs) at a time.
 */
import { DrsClient, ListLaunchActionsCommand } from '@aws-sdk/client-drs';
import { DrillExecution } from './generator';
import { DrillTags } from '../../../src/contract/drill';
import { LocalDrs } from '../../local-drs';
import type { InstanceRecord, JobRecord } from '../../local-drs/jobs';
import { DrillRun } from '../harness';

export interface Violation {
  readonly invariant: 'D1' | 'D2' | 'D3' | 'D4' | 'D5';
  /** The Task attempt before which it was seen (-1: at the end). */
  readonly step: number;
  readonly message: string;
}

/**
 * Bound on clean-up after an execution ends and the sweeper's runs (the runner runs it at the end
 * and at its next hourly schedule), beyond keepInstancesFor: terminate jobs take 90 s locally.
 */
export const CLEANUP_BOUND_SECONDS = 30 * 60;

interface Replacement { readonly old: InstanceRecord; readonly job: JobRecord; readonly at: number }

export class Observer {
  readonly violations: Violation[] = [];
  readonly notes: string[] = [];
  private readonly replacements: Replacement[] = [];
  private readonly seen = new Map<string, string>();
  private readonly executions: string[] = [];
  private readonly reported = new Set<string>();

  constructor(
    private readonly drs: LocalDrs, private readonly account: string, private readonly region: string,
    private readonly x: DrillExecution, private readonly ids: string[], private readonly person: DrsClient,
  ) {
    // Every launch that replaces an existing recovery instance, with the job that did it.
    const recovery = drs.recovery as any;
    const launch = recovery.launch.bind(recovery);
    recovery.launch = (job: JobRecord, state: any, s: any, at: number) => {
      const server = recovery.serverOf(job, s.sourceServerID);
      const old = server?.recoveryInstanceId ? state.instances.get(server.recoveryInstanceId) : undefined;
      launch(job, state, s, at);
      if (old && !state.instances.has(old.id)) this.replacements.push({ old, job, at });
    };
  }

  executionStarted(name: string): void {
    this.executions.push(name);
  }

  note(step: number, text: string): void {
    this.notes.push(`before task ${step}: ${text}`);
  }

  private get regionState(): { jobs: Map<string, JobRecord>; instances: Map<string, InstanceRecord> } {
    this.drs.recovery.tick();
    return (this.drs.recovery as any).region(this.account, this.region);
  }

  /** The execution whose job this is (by the execution tag StartRecovery gave it), if a drill's. */
  private ownerOfJob(jobID: string | undefined): string | undefined {
    if (!jobID) return undefined;
    const job = this.regionState.jobs.get(jobID);
    return job?.tags[DrillTags.DRILL] !== undefined ? job.tags[DrillTags.EXECUTION] : undefined;
  }

  serversInActiveJobs(): number {
    return this.regionState.jobs.size === 0 ? 0 : [...this.regionState.jobs.values()].filter((j) => j.status !== 'COMPLETED').reduce((n, j) => n + j.servers.length, 0);
  }

  private violate(v: Violation): void {
    const key = `${v.invariant}:${v.message}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.violations.push(v);
  }

  /** D1 (and D5) now: replacements so far, and the instances every execution asked to terminate. */
  check(step: number, _state?: string, runs: ReadonlyArray<{ name: string; run?: DrillRun }> = []): void {
    for (const r of this.replacements) {
      const by = this.ownerOfJob(r.job.jobID);
      const owner = this.ownerOfJob(r.old.jobID);
      if (by !== undefined && by !== owner) {
        this.violate({ invariant: 'D1', step, message: `execution ${by} launched ${r.old.sourceServerID} over ${owner ? `execution ${owner}'s` : r.old.isDrill ? 'a drill' : 'a real recovery'} instance ${r.old.id}` });
      }
    }
    for (const i of this.regionState.instances.values()) if (!this.seen.has(i.id)) this.seen.set(i.id, this.ownerOfJob(i.jobID) ?? 'foreign');
    for (const { name, run } of runs) {
      for (const c of run?.sdkCalls ?? []) {
        if (c.operation !== 'TerminateRecoveryInstances') continue;
        for (const id of c.input.recoveryInstanceIDs ?? []) {
          const owner = this.seen.get(id);
          if (owner !== name) this.violate({ invariant: 'D1', step, message: `execution ${name} asked to terminate ${id}, ${owner === undefined ? 'an instance it never launched' : owner === 'foreign' ? 'an instance no drill launched' : `execution ${owner}'s instance`}` });
        }
      }
    }
  }

  /**
   * Every execution has ended: D1 again, D4, D5, D3, then what runs after an execution (the
   * sweeper), then D2 after the bound.
   */
  async ended(runs: ReadonlyArray<{ name: string; run: DrillRun; harnessStopped: boolean }>, afterEnd?: () => Promise<void>): Promise<void> {
    this.check(-1, undefined, runs);
    for (const { name, run } of runs) {
      if (run.error === 'States.DataLimitExceeded' || run.error === 'States.HistoryLimitExceeded') {
        this.violate({ invariant: 'D4', step: -1, message: `execution ${name}: ${run.error}: ${run.cause}` });
      }
    }
    // D5: two executions of the drill that both started launch jobs.
    const launching = new Set([...this.regionState.jobs.values()].filter((j) => j.type === 'LAUNCH').map((j) => this.ownerOfJob(j.jobID)).filter((e) => e !== undefined));
    if (launching.size > 1) this.violate({ invariant: 'D5', step: -1, message: `executions ${[...launching].join(', ')} of one drill both launched` });

    for (const { name, run, harnessStopped } of runs) if (!harnessStopped && run.status !== 'TIMED_OUT' && run.status !== 'ABORTED') this.checkResult(name, run);

    await afterEnd?.();
    // D2: wait out keepInstancesFor and the bound; nothing of any execution may be left.
    const keep = (this.x.shape.keepInstancesForMinutes ?? 0) * 60;
    this.drs.advanceTime((keep + CLEANUP_BOUND_SECONDS) * 1000);
    const left = [...this.regionState.instances.values()].filter((i) => this.ownerOfJob(i.jobID) !== undefined);
    for (const i of left) {
      const end = runs.find((r) => r.name === this.ownerOfJob(i.jobID));
      this.violate({ invariant: 'D2', step: -1, message: `drill instance ${i.id} of ${i.sourceServerID} (#${this.ids.indexOf(i.sourceServerID)}) (execution ${this.ownerOfJob(i.jobID)}, which ended ${end?.run.status}${end?.run.error ? ` ${end.run.error}` : ''}) still ${i.ec2InstanceState} ${keep + CLEANUP_BOUND_SECONDS} s after the end (and the sweeper's runs)` });
    }
    const putBy = new Map<string, string>();
    for (const { name, run } of runs) for (const c of run.sdkCalls) if (c.operation === 'PutLaunchAction') putBy.set(`${c.input.resourceId}/${c.input.actionId}`, name);
    for (const id of this.ids) {
      const actions = (await this.person.send(new ListLaunchActionsCommand({ resourceId: id }))).items ?? [];
      for (const a of actions) {
        const by = putBy.get(`${id}/${a.actionId}`);
        if (by) this.violate({ invariant: 'D2', step: -1, message: `launch action ${a.actionId} that execution ${by} put on ${id} is still there after the end` });
      }
    }
  }

  /** D3 for an execution that ended by itself (not stopped, timed out or deleted by the generator). */
  private checkResult(name: string, run: DrillRun): void {
    if (run.error === 'States.DataLimitExceeded' || run.error === 'States.HistoryLimitExceeded') return; // D4
    const result = run.events.find((e) => e.DetailType === 'DRS Recovery Drill Result')?.Detail;
    if (!result) {
      this.violate({ invariant: 'D3', step: -1, message: `execution ${name} ended ${run.status} ${run.error ?? ''} without a result naming its servers` });
      return;
    }
    const named = new Map<string, any>((result.servers ?? []).map((s: any) => [s.sourceServerId, s]));
    for (const id of this.ids) {
      if (!named.has(id)) this.violate({ invariant: 'D3', step: -1, message: `execution ${name}'s result does not name declared server ${id}` });
    }
    if (result.outcome !== 'SUCCEEDED' && run.status !== 'SUCCEEDED') return;
    const jobs = [...this.regionState.jobs.values()].filter((j) => j.type === 'LAUNCH' && this.ownerOfJob(j.jobID) === name);
    for (const [n, id] of this.ids.entries()) {
      const srv = this.x.shape.servers[n];
      const launched = jobs.some((j) => j.servers.some((p) => p.sourceServerID === id && (p.launchStatus === 'LAUNCHED' || (p.launchStatus === 'TERMINATED' && p.recoveryInstanceID))));
      const why = !launched ? 'it never launched in this execution'
        : srv.fate === 'impaired' && this.x.shape.checks.includes('ec2') ? 'its EC2 status checks were impaired'
          : srv.fate === 'ssmFails' && this.x.shape.checks.includes('ssm') ? 'its SSM document run failed'
            : srv.fate === 'slowLaunch' && this.x.shape.rtoMinutes !== undefined && 330 + srv.slowSeconds > this.x.shape.rtoMinutes * 60 ? 'it launched after the RTO'
              : undefined;
      if (why) this.violate({ invariant: 'D3', step: -1, message: `execution ${name} reported SUCCEEDED but server ${id} did not pass: ${why}` });
    }
  }
}
