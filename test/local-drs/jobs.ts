/**
 * Recovery-side data of the local DRS: jobs (launch and terminate), their log, recovery
 * instances, and the schedule of what happens when. Jobs run on the local DRS's clock: every
 * step is scheduled when the job is created and applied, in time order, by `Schedule.runUntil`
 * before each request is answered (and whenever a test advances the clock).
 */
import type { Job, JobLog, LaunchActionsStatus, JobLogEvent, JobLogEventData, LaunchStatus, RecoveryInstance, RecoveryInstanceProperties } from '@aws-sdk/client-drs';

export type JobType = 'LAUNCH' | 'TERMINATE';
export type JobStatus = 'PENDING' | 'STARTED' | 'COMPLETED';

export interface JobServer {
  readonly sourceServerID: string;
  recoveryInstanceID?: string;
  launchStatus: LaunchStatus;
  /** The runs of the server's launch actions, once it launched (launch-actions.ts). */
  launchActionsStatus?: LaunchActionsStatus;
}

export interface JobRecord {
  readonly jobID: string;
  readonly arn: string;
  readonly account: string;
  readonly region: string;
  readonly seq: number;
  readonly type: JobType;
  readonly initiatedBy: string;
  readonly isDrill: boolean;
  readonly creationDateTime: string;
  endDateTime?: string;
  status: JobStatus;
  readonly servers: JobServer[];
  readonly tags: Record<string, string>;
  readonly log: JobLog[];
}

export interface InstanceRecord {
  /** The recovery instance id, which is also its EC2 instance id (see README). */
  readonly id: string;
  readonly arn: string;
  readonly seq: number;
  readonly sourceServerID: string;
  /** Undefined for instances added by hand (`addRecoveryInstance`). */
  readonly jobID?: string;
  readonly isDrill: boolean;
  ec2InstanceState: 'PENDING' | 'RUNNING' | 'SHUTTING-DOWN' | 'TERMINATED';
  readonly tags: Record<string, string>;
  readonly pointInTimeSnapshotDateTime: string;
  readonly properties: RecoveryInstanceProperties;
  readonly agentVersion?: string;
  /** The active TERMINATE job, if any. */
  terminatingJobID?: string;
}

/** One account's recovery data in one Region. */
export class RecoveryRegion {
  /** Insertion order is creation order. */
  readonly jobs = new Map<string, JobRecord>();
  readonly instances = new Map<string, InstanceRecord>();

  activeJobs(): JobRecord[] {
    return [...this.jobs.values()].filter((j) => j.status !== 'COMPLETED');
  }
}

interface Step {
  readonly at: number;
  readonly order: number;
  readonly run: () => void;
}

/** Steps to apply at given clock times, in time order (ties in the order they were scheduled). */
export class Schedule {
  private steps: Step[] = [];
  private order = 0;

  at(timeMs: number, run: () => void): void {
    this.order += 1;
    this.steps.push({ at: timeMs, order: this.order, run });
  }

  /** Applies every step due at or before `nowMs`. */
  runUntil(nowMs: number): void {
    for (;;) {
      let next: Step | undefined;
      for (const s of this.steps) {
        if (s.at <= nowMs && (!next || s.at < next.at || (s.at === next.at && s.order < next.order))) next = s;
      }
      if (!next) return;
      this.steps = this.steps.filter((s) => s !== next);
      next.run();
    }
  }

  get size(): number {
    return this.steps.length;
  }
}

export function logItem(at: number, event: JobLogEvent, eventData?: JobLogEventData): JobLog {
  return { logDateTime: new Date(at).toISOString(), event, ...(eventData ? { eventData } : {}) };
}

export function jobView(job: JobRecord): Job {
  return {
    jobID: job.jobID,
    arn: job.arn,
    type: job.type,
    initiatedBy: job.initiatedBy as Job['initiatedBy'],
    creationDateTime: job.creationDateTime,
    endDateTime: job.endDateTime,
    status: job.status,
    participatingServers: job.servers.map((s) => JSON.parse(JSON.stringify(s))),
    tags: { ...job.tags },
    participatingResources: [],
  };
}

export function instanceView(instance: InstanceRecord): RecoveryInstance {
  return {
    ec2InstanceID: instance.id,
    ec2InstanceState: instance.ec2InstanceState,
    jobID: instance.jobID,
    recoveryInstanceID: instance.id,
    sourceServerID: instance.sourceServerID,
    arn: instance.arn,
    tags: { ...instance.tags },
    recoveryInstanceProperties: JSON.parse(JSON.stringify(instance.properties)),
    pointInTimeSnapshotDateTime: instance.pointInTimeSnapshotDateTime,
    isDrill: instance.isDrill,
    originEnvironment: 'ON_PREMISES',
    agentVersion: instance.agentVersion,
  };
}
