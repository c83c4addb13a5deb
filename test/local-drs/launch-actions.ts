/**
 * Post-launch actions of the local DRS: PutLaunchAction, ListLaunchActions and DeleteLaunchAction
 * on source servers (the model also allows a launch configuration template id, `lct-...`, which
 * the local DRS does not keep), and the runs of active actions on each launched server
 * (`participatingServers[].launchActionsStatus.runs[]` of DescribeJobs). Every guess is in
 * README.md ("Launch actions").
 */
import { createHash } from 'crypto';
import type { LaunchAction, LaunchActionRun } from '@aws-sdk/client-drs';
import { notFound, validationError } from './errors';
import { JobRecord, JobServer, Schedule } from './jobs';
import { Caller, DrsService, resourceTagContext } from './service';
import { ServerRecord } from './state';

/** Readings of what DRS does with launch actions where its documents are silent. */
export interface LaunchActionSettings {
  /** Seconds from a server's launch to the end of each of its runs. @default 120 */
  readonly runSeconds?: number;
  /** Whether drill jobs run (and report) launch actions, or only recoveries do. @default true */
  readonly runOnDrills?: boolean;
  /** Whether a launch job ends only after its servers' runs ended, or when the servers launched. @default false */
  readonly jobWaitsForRuns?: boolean;
}

type Input = Record<string, unknown>;
type Handler = (caller: Caller, input: Input) => unknown;

export class LaunchActions {
  readonly handlers: Readonly<Record<string, Handler>> = {
    PutLaunchAction: (c, i) => this.put(c, i),
    ListLaunchActions: (c, i) => this.list(c, i),
    DeleteLaunchAction: (c, i) => this.delete(c, i),
  };

  settings: Required<LaunchActionSettings> = { runSeconds: 120, runOnDrills: true, jobWaitsForRuns: false };
  private readonly byServer = new Map<string, Map<string, LaunchAction>>();
  private readonly failures = new Map<string, string>();
  private readonly slow = new Map<string, number>();

  constructor(private readonly service: DrsService) {}

  configure(settings: LaunchActionSettings): this {
    if (settings.runSeconds !== undefined && (!Number.isFinite(settings.runSeconds) || settings.runSeconds < 0)) {
      throw new Error(`runSeconds must be a non-negative number, got ${settings.runSeconds}`);
    }
    this.settings = { ...this.settings, ...Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)) };
    return this;
  }

  /** Runs of `sourceServerID`'s launch actions FAIL with `reason`. */
  failRuns(sourceServerID: string, reason = 'Step execution failed (injected by the local DRS)'): this {
    this.failures.set(sourceServerID, reason);
    return this;
  }

  /** Runs of `sourceServerID`'s launch actions take `seconds` longer. */
  slowRuns(sourceServerID: string, seconds: number): this {
    this.slow.set(sourceServerID, seconds);
    return this;
  }

  clearFaults(): void {
    this.failures.clear();
    this.slow.clear();
  }

  /** Active launch actions of a server, in `order`. */
  active(server: ServerRecord): LaunchAction[] {
    return [...(this.byServer.get(server.arn)?.values() ?? [])].filter((a) => a.active).sort((a, b) => (a.order ?? 0) - (b.order ?? 0));
  }

  /** Seconds a server's runs take after its launch (for jobs that wait for them). */
  runSecondsOf(server: ServerRecord | undefined): number {
    if (!server || this.active(server).length === 0) return 0;
    return this.settings.runSeconds + (this.slow.get(server.id) ?? 0);
  }

  /**
   * At a server's launch: a run per active action, IN_PROGRESS, each ending `runSeconds` later
   * (plus `slowRuns`) as SUCCEEDED, or FAILED (`failRuns`).
   */
  startRuns(job: JobRecord, s: JobServer, server: ServerRecord, at: number, schedule: Schedule): void {
    if (job.isDrill && !this.settings.runOnDrills) return;
    const actions = this.active(server);
    if (actions.length === 0) return;
    const runs: LaunchActionRun[] = actions.map((action, n) => ({
      action: { ...action, parameters: { ...action.parameters } },
      runId: uuid(`${job.jobID}/${server.id}/${action.actionId}/${n}`),
      status: 'IN_PROGRESS',
    }));
    s.launchActionsStatus = { ssmAgentDiscoveryDatetime: new Date(at).toISOString(), runs };
    const failure = this.failures.get(server.id);
    schedule.at(at + this.runSecondsOf(server) * 1000, () => {
      for (const run of runs) {
        run.status = failure ? 'FAILED' : 'SUCCEEDED';
        if (failure) run.failureReason = failure;
      }
    });
  }

  private server(caller: Caller, resourceId: string, action: string): ServerRecord {
    const arn = this.service.arn(caller.account, caller.region, resourceId);
    const record = this.service.account(caller.account).regions.get(caller.region)?.servers.get(resourceId);
    this.service.authorize(caller, action, arn, resourceTagContext(record?.tags));
    this.service.initializedRegion(caller);
    if (resourceId.startsWith('lct-')) {
      throw validationError('The local DRS keeps launch actions of source servers only, not of launch configuration templates', 'other',
        [{ name: 'resourceId', message: 'lct- ids are not supported by the local DRS' }]);
    }
    if (!record) throw notFound(resourceId);
    return record;
  }

  private put(caller: Caller, input: Input): unknown {
    const server = this.server(caller, input.resourceId as string, 'drs:PutLaunchAction');
    const actions = this.byServer.get(server.arn) ?? new Map<string, LaunchAction>();
    const action: LaunchAction = {
      actionId: input.actionId as string,
      actionCode: input.actionCode as string,
      // DRS derives the type from the SSM document; the local DRS has no SSM: always a command (README).
      type: 'SSM_COMMAND',
      name: input.name as string,
      active: input.active as boolean,
      order: input.order as number,
      actionVersion: input.actionVersion as string,
      optional: input.optional as boolean,
      parameters: (input.parameters ?? {}) as LaunchAction['parameters'],
      description: input.description as string,
      category: input.category as LaunchAction['category'],
    };
    // Idempotent by actionId: a second put replaces the action.
    actions.set(action.actionId!, action);
    this.byServer.set(server.arn, actions);
    return { resourceId: server.id, ...action };
  }

  private list(caller: Caller, input: Input): unknown {
    const server = this.server(caller, input.resourceId as string, 'drs:ListLaunchActions');
    const wanted = ((input.filters ?? {}) as { actionIds?: string[] }).actionIds;
    let items = [...(this.byServer.get(server.arn)?.values() ?? [])];
    if (wanted && wanted.length > 0) items = items.filter((a) => wanted.includes(a.actionId!));
    const page = this.service.page('ListLaunchActions', input, items, (a) => a.actionId!);
    return { items: page.items, nextToken: page.nextToken };
  }

  private delete(caller: Caller, input: Input): unknown {
    const server = this.server(caller, input.resourceId as string, 'drs:DeleteLaunchAction');
    const actions = this.byServer.get(server.arn);
    const id = input.actionId as string;
    if (!actions?.has(id)) throw notFound(id, 'Launch action');
    actions.delete(id);
    return {};
  }
}

function uuid(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
