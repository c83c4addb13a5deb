/**
 * The recovery side of the local DRS: StartRecovery, DescribeJobs, DescribeJobLogItems,
 * DescribeRecoveryInstances and TerminateRecoveryInstances, on the local DRS's clock. A launch
 * job goes PENDING → STARTED (after `startSeconds`) → COMPLETED (when its last server has
 * launched or failed, `launchSeconds` after the start, plus any `faults.slowLaunch`). Each step is
 * scheduled when the job is created and applied before the next request is answered. Every
 * guess at behaviour the model leaves open is listed in README.md ("Recovery").
 */
import type { LaunchStatus } from '@aws-sdk/client-drs';
import { conflict, DrsError, validationError } from './errors';
import { instanceView, InstanceRecord, JobRecord, JobServer, jobView, logItem, RecoveryRegion, Schedule } from './jobs';
import { LaunchActions } from './launch-actions';
import { DrsFaults } from './recovery-faults';
import { Caller, DrsService, QUOTA_SERVICE_CODE, requestTagContext, resourceTagContext } from './service';
import { ServerRecord } from './state';

/** Timing, quotas and readings of the recovery side; `recovery.configure` changes any of them. */
export interface RecoverySettings {
  /** Seconds from StartRecovery (or TerminateRecoveryInstances) to STARTED. @default 30 */
  readonly startSeconds?: number;
  /** Seconds from STARTED to each server's launch (or failure). @default 300 */
  readonly launchSeconds?: number;
  /** Seconds from STARTED to the end of a terminate job. @default 60 */
  readonly terminateSeconds?: number;
  /**
   * The seed's API change adds `initiatedBy: TARGET_ACCOUNT` without saying when it is used.
   * `targetAccount`: jobs that act on extended servers say TARGET_ACCOUNT; `operation`: every job
   * says START_DRILL / START_RECOVERY / TERMINATE_RECOVERY_INSTANCES. @default 'targetAccount'
   */
  readonly initiatedBy?: 'targetAccount' | 'operation';
  /** Source servers in one job (DRS-FACTS: 100). @default 100 */
  readonly maxServersPerJob?: number;
  /** Jobs not COMPLETED per account and Region (DRS-FACTS: 20). @default 20 */
  readonly maxConcurrentJobs?: number;
  /** Source servers across the jobs not COMPLETED (DRS-FACTS: 500). @default 500 */
  readonly maxServersInActiveJobs?: number;
  /**
   * Whether terminate jobs (TerminateRecoveryInstances) count against `maxServersInActiveJobs`,
   * both as servers in active jobs and as the request checked (README, guess 63; the documents do
   * not say). They always count as jobs. @default true
   */
  readonly terminateJobsCountAgainstActiveServers?: boolean;
}

export const QuotaCodes = {
  SERVERS_PER_JOB: 'local-source-servers-per-job',
  CONCURRENT_JOBS: 'local-concurrent-jobs',
  SERVERS_IN_ACTIVE_JOBS: 'local-source-servers-in-active-jobs',
} as const;

const DEFAULTS: Required<RecoverySettings> = {
  startSeconds: 30,
  launchSeconds: 300,
  terminateSeconds: 60,
  initiatedBy: 'targetAccount',
  maxServersPerJob: 100,
  maxConcurrentJobs: 20,
  maxServersInActiveJobs: 500,
  terminateJobsCountAgainstActiveServers: true,
};

type Input = Record<string, unknown>;
type Handler = (caller: Caller, input: Input) => unknown;

export class Recovery {
  /** Post-launch actions and their runs: `recovery.launchActions.configure(...)`, `failRuns`, `slowRuns`. */
  readonly launchActions: LaunchActions;
  readonly handlers: Readonly<Record<string, Handler>>;

  private settings: Required<RecoverySettings> = { ...DEFAULTS };
  private readonly regions = new Map<string, RecoveryRegion>();
  private readonly schedule = new Schedule();
  private jobSeq = 0;

  constructor(private readonly service: DrsService, private readonly faults: DrsFaults, private readonly nowMs: () => number) {
    this.launchActions = new LaunchActions(service);
    this.handlers = this.makeHandlers();
  }

  private makeHandlers(): Record<string, Handler> {
    return {
      StartRecovery: (c, i) => this.startRecovery(c, i),
      DescribeJobs: (c, i) => this.describeJobs(c, i),
      DescribeJobLogItems: (c, i) => this.describeJobLogItems(c, i),
      DescribeRecoveryInstances: (c, i) => this.describeRecoveryInstances(c, i),
      TerminateRecoveryInstances: (c, i) => this.terminateRecoveryInstances(c, i),
      ...this.launchActions.handlers,
    };
  }

  /** The recovery instances of an account and Region (for the EC2 status fake, ec2-status.ts). */
  instances(account: string, region: string): InstanceRecord[] {
    this.tick();
    return [...this.region(account, region).instances.values()];
  }

  /** Changes timing, quotas or readings for jobs created from now on (quotas: for every later call). */
  configure(settings: RecoverySettings): this {
    for (const key of ['startSeconds', 'launchSeconds', 'terminateSeconds'] as const) {
      const v = settings[key];
      if (v !== undefined && (!Number.isFinite(v) || v < 0)) throw new Error(`${key} must be a non-negative number, got ${v}`);
    }
    this.settings = { ...this.settings, ...stripUndefined(settings) };
    return this;
  }

  /** Applies every job step that is due on the clock. */
  tick(): void {
    this.schedule.runUntil(this.nowMs());
  }

  /** Steps scheduled but not yet applied (0 when every job has completed). */
  get pendingSteps(): number {
    return this.schedule.size;
  }

  /** A recovery instance without a job, for `LocalDrs.addRecoveryInstance`. */
  addInstance(server: ServerRecord, isDrill: boolean): string {
    const region = this.region(server.account, server.region);
    if (server.recoveryInstanceId) this.forget(region, server.recoveryInstanceId);
    const id = this.service.store.newInstanceId();
    region.instances.set(id, this.newInstance(server, id, undefined, isDrill, this.nowMs()));
    server.recoveryInstanceId = id;
    return id;
  }

  /** Removes the server's recovery instance without a job, for `LocalDrs.removeRecoveryInstance`. */
  removeInstance(server: ServerRecord): void {
    if (server.recoveryInstanceId) this.region(server.account, server.region).instances.delete(server.recoveryInstanceId);
    server.recoveryInstanceId = undefined;
  }

  // ---- operations -------------------------------------------------------------------------

  private startRecovery(caller: Caller, input: Input): unknown {
    const requested = input.sourceServers as Array<{ sourceServerID: string; recoverySnapshotID?: string }>;
    const isDrill = (input.isDrill as boolean | undefined) ?? false;
    const tags = { ...(input.tags ?? {}) as Record<string, string> };
    this.service.checkTags(tags, Object.keys(tags).length);
    const regionState = this.service.account(caller.account).regions.get(caller.region);
    // Duplicates count once (README); authorization is per server, on its ARN.
    const ids = [...new Set(requested.map((s) => s.sourceServerID))];
    const records = ids.map((id) => regionState?.servers.get(id));
    ids.forEach((id, n) => {
      this.service.authorize(caller, 'drs:StartRecovery', this.service.arn(caller.account, caller.region, id), {
        ...resourceTagContext(records[n]?.tags), ...requestTagContext(tags),
      });
    });
    this.service.initializedRegion(caller);
    const missing = ids.filter((_, n) => !records[n]);
    if (missing.length > 0) {
      throw validationError(`Source servers not found: ${missing.join(', ')}`, 'other',
        missing.map((id) => ({ name: `sourceServers[${requested.findIndex((s) => s.sourceServerID === id)}].sourceServerID`, message: `Source server ${id} not found` })));
    }
    const region = this.region(caller.account, caller.region);
    const busy = new Set(region.activeJobs().flatMap((j) => j.servers.map((s) => s.sourceServerID)));
    for (const server of records as ServerRecord[]) {
      if (busy.has(server.id)) throw conflict(server.id, `Source server ${server.id} is already part of an active job`);
      if (server.disconnected) throw conflict(server.id, `Source server ${server.id} is disconnected and cannot be launched`);
    }
    this.checkQuotas(caller, region, ids.length, 'LAUNCH');

    const now = this.nowMs();
    const extended = (records as ServerRecord[]).some((s) => s.extension);
    const job = this.newJob(caller, 'LAUNCH', this.initiatedBy(extended, isDrill ? 'START_DRILL' : 'START_RECOVERY'), isDrill, now, tags,
      ids.map((sourceServerID) => ({ sourceServerID, launchStatus: 'PENDING' as LaunchStatus })));
    region.jobs.set(job.jobID, job);
    for (const server of records as ServerRecord[]) {
      server.lastLaunchResult = 'PENDING';
      server.lifeCycle.lastLaunch = {
        initiated: { apiCallDateTime: job.creationDateTime, jobID: job.jobID, type: isDrill ? 'DRILL' : 'RECOVERY' },
        status: 'PENDING',
      };
    }
    const snapshots = new Map(requested.map((s) => [s.sourceServerID, s.recoverySnapshotID]));
    this.scheduleLaunch(job, region, now, snapshots);
    return { job: jobView(job) };
  }

  private describeJobs(caller: Caller, input: Input): unknown {
    this.service.authorize(caller, 'drs:DescribeJobs', '*');
    this.service.initializedRegion(caller);
    const filters = (input.filters ?? {}) as { jobIDs?: string[]; fromDate?: string; toDate?: string };
    let jobs = [...this.region(caller.account, caller.region).jobs.values()].reverse();
    if (filters.jobIDs && filters.jobIDs.length > 0) {
      const wanted = new Set(filters.jobIDs);
      jobs = jobs.filter((j) => wanted.has(j.jobID));
    }
    if (filters.fromDate) jobs = jobs.filter((j) => Date.parse(j.creationDateTime) >= Date.parse(filters.fromDate!));
    if (filters.toDate) jobs = jobs.filter((j) => Date.parse(j.creationDateTime) <= Date.parse(filters.toDate!));
    // Latest first: the page cursor is the negated creation order.
    const page = this.service.page('DescribeJobs', input, jobs, (j) => -j.seq);
    return { items: page.items.map(jobView), nextToken: page.nextToken };
  }

  private describeJobLogItems(caller: Caller, input: Input): unknown {
    const jobID = input.jobID as string;
    const job = this.region(caller.account, caller.region).jobs.get(jobID);
    this.service.authorize(caller, 'drs:DescribeJobLogItems', this.jobArn(caller, jobID), resourceTagContext(job?.tags));
    this.service.initializedRegion(caller);
    if (!job) throw validationError(`Job ${jobID} not found`, 'other', [{ name: 'jobID', message: `Job ${jobID} not found` }]);
    const indexed = job.log.map((item, index) => ({ item, index }));
    const page = this.service.page('DescribeJobLogItems', input, indexed, (e) => e.index);
    return { items: page.items.map((e) => e.item), nextToken: page.nextToken };
  }

  private describeRecoveryInstances(caller: Caller, input: Input): unknown {
    this.service.authorize(caller, 'drs:DescribeRecoveryInstances', '*');
    this.service.initializedRegion(caller);
    const filters = (input.filters ?? {}) as { recoveryInstanceIDs?: string[]; sourceServerIDs?: string[] };
    let instances = [...this.region(caller.account, caller.region).instances.values()];
    if (filters.recoveryInstanceIDs && filters.recoveryInstanceIDs.length > 0) {
      const wanted = new Set(filters.recoveryInstanceIDs);
      instances = instances.filter((i) => wanted.has(i.id));
    }
    if (filters.sourceServerIDs && filters.sourceServerIDs.length > 0) {
      const wanted = new Set(filters.sourceServerIDs);
      instances = instances.filter((i) => wanted.has(i.sourceServerID));
    }
    const page = this.service.page('DescribeRecoveryInstances', input, instances, (i) => i.seq);
    return { items: page.items.map(instanceView), nextToken: page.nextToken };
  }

  private terminateRecoveryInstances(caller: Caller, input: Input): unknown {
    const ids = [...new Set(input.recoveryInstanceIDs as string[])];
    const region = this.region(caller.account, caller.region);
    const instances = ids.map((id) => region.instances.get(id));
    ids.forEach((id, n) => {
      this.service.authorize(caller, 'drs:TerminateRecoveryInstances', this.instanceArn(caller, id), resourceTagContext(instances[n]?.tags));
    });
    this.service.initializedRegion(caller);
    const missing = ids.filter((_, n) => !instances[n]);
    if (missing.length > 0) {
      throw validationError(`Recovery instances not found: ${missing.join(', ')}`, 'other',
        missing.map((id) => ({ name: 'recoveryInstanceIDs', message: `Recovery instance ${id} not found` })));
    }
    const busy = new Set(region.activeJobs().flatMap((j) => j.servers.map((p) => p.sourceServerID)));
    for (const instance of instances as InstanceRecord[]) {
      if (instance.terminatingJobID) {
        throw instanceConflict(instance.id, `Recovery instance ${instance.id} is already being terminated by job ${instance.terminatingJobID}`);
      }
      if (busy.has(instance.sourceServerID)) {
        throw instanceConflict(instance.id, `Source server ${instance.sourceServerID} of recovery instance ${instance.id} is part of an active job`);
      }
      if (this.faults.takeTerminateConflict(instance.id, instance.sourceServerID)) {
        throw instanceConflict(instance.id, `Recovery instance ${instance.id} cannot be terminated now (conflict injected by the local DRS)`);
      }
    }
    this.checkQuotas(caller, region, ids.length, 'TERMINATE');
    const now = this.nowMs();
    const servers = this.service.account(caller.account).regions.get(caller.region)?.servers;
    const extended = (instances as InstanceRecord[]).some((i) => servers?.get(i.sourceServerID)?.extension);
    const job = this.newJob(caller, 'TERMINATE', this.initiatedBy(extended, 'TERMINATE_RECOVERY_INSTANCES'), false, now, {},
      (instances as InstanceRecord[]).map((i) => ({ sourceServerID: i.sourceServerID, recoveryInstanceID: i.id, launchStatus: 'PENDING' as LaunchStatus })));
    region.jobs.set(job.jobID, job);
    for (const instance of instances as InstanceRecord[]) instance.terminatingJobID = job.jobID;
    this.scheduleTerminate(job, region, now, instances as InstanceRecord[]);
    return { job: jobView(job) };
  }

  // ---- job steps --------------------------------------------------------------------------

  private scheduleLaunch(job: JobRecord, region: RecoveryRegion, created: number, snapshots: Map<string, string | undefined>): void {
    const started = created + this.settings.startSeconds * 1000;
    const launchSeconds = this.settings.launchSeconds;
    this.schedule.at(started, () => {
      job.status = 'STARTED';
      job.log.push(logItem(started, 'JOB_START'));
      for (const s of job.servers) {
        s.launchStatus = 'IN_PROGRESS';
        const server = this.serverOf(job, s.sourceServerID);
        if (server?.lifeCycle.lastLaunch?.initiated?.jobID === job.jobID) server.lifeCycle.lastLaunch.status = 'IN_PROGRESS';
        job.log.push(snapshots.get(s.sourceServerID)
          ? logItem(started, 'USING_PREVIOUS_SNAPSHOT', { sourceServerID: s.sourceServerID })
          : logItem(started, 'SNAPSHOT_START', { sourceServerID: s.sourceServerID }));
        if (!snapshots.get(s.sourceServerID)) job.log.push(logItem(started, 'SNAPSHOT_END', { sourceServerID: s.sourceServerID }));
        job.log.push(logItem(started, 'CONVERSION_START', { sourceServerID: s.sourceServerID }));
      }
    });
    let end = started;
    for (const s of job.servers) {
      const at = started + (launchSeconds + this.faults.extraLaunchSeconds(s.sourceServerID)) * 1000;
      const runs = this.launchActions.settings.jobWaitsForRuns ? this.launchActions.runSecondsOf(this.serverOf(job, s.sourceServerID)) : 0;
      end = Math.max(end, at + runs * 1000);
      this.schedule.at(at, () => this.launch(job, region, s, at));
    }
    this.schedule.at(end, () => this.complete(job, end));
  }

  private launch(job: JobRecord, region: RecoveryRegion, s: JobServer, at: number): void {
    const server = this.serverOf(job, s.sourceServerID);
    let failure = server ? this.faults.takeLaunchFailure(s.sourceServerID) : `Source server ${s.sourceServerID} no longer exists`;
    if (!failure && server?.extension) {
      const area = this.service.view(server, false).stagingArea;
      if (area?.status === 'EXTENSION_ERROR') failure = `Cannot launch extended source server ${server.id}: ${area.errorMessage}`;
    }
    const current = server?.lifeCycle.lastLaunch?.initiated?.jobID === job.jobID;
    if (failure) {
      s.launchStatus = 'FAILED';
      job.log.push(logItem(at, 'CONVERSION_FAIL', { sourceServerID: s.sourceServerID, rawError: failure }));
      job.log.push(logItem(at, 'LAUNCH_FAILED', { sourceServerID: s.sourceServerID, rawError: failure }));
      if (server && current) {
        server.lastLaunchResult = 'FAILED';
        server.lifeCycle.lastLaunch!.status = 'FAILED';
      }
      return;
    }
    const live = server!;
    // A new launch replaces the server's previous recovery instance (README): the launch that
    // made it shows it TERMINATED.
    if (live.recoveryInstanceId) this.forget(region, live.recoveryInstanceId);
    const id = this.service.store.newInstanceId();
    region.instances.set(id, this.newInstance(live, id, job.jobID, job.isDrill, at));
    live.recoveryInstanceId = id;
    s.recoveryInstanceID = id;
    s.launchStatus = 'LAUNCHED';
    job.log.push(logItem(at, 'CONVERSION_END', { sourceServerID: s.sourceServerID }));
    job.log.push(logItem(at, 'LAUNCH_START', { sourceServerID: s.sourceServerID, targetInstanceID: id }));
    this.launchActions.startRuns(job, s, live, at, this.schedule);
    if (current) {
      live.lastLaunchResult = 'SUCCEEDED';
      live.lifeCycle.lastLaunch!.status = 'LAUNCHED';
    }
  }

  private scheduleTerminate(job: JobRecord, region: RecoveryRegion, created: number, instances: InstanceRecord[]): void {
    const started = created + this.settings.startSeconds * 1000;
    const end = started + this.settings.terminateSeconds * 1000;
    this.schedule.at(started, () => {
      job.status = 'STARTED';
      job.log.push(logItem(started, 'JOB_START'));
      for (const s of job.servers) s.launchStatus = 'IN_PROGRESS';
      for (const i of instances) {
        i.ec2InstanceState = 'SHUTTING-DOWN';
        job.log.push(logItem(started, 'CLEANUP_START', { sourceServerID: i.sourceServerID, targetInstanceID: i.id }));
      }
    });
    this.schedule.at(end, () => {
      for (const i of instances) {
        const failure = this.faults.takeTerminateFailure(i.id, i.sourceServerID);
        const p = job.servers.find((x) => x.recoveryInstanceID === i.id);
        if (failure) {
          // The instance keeps running; the job completes with the server FAILED (guess 64).
          i.ec2InstanceState = 'RUNNING';
          i.terminatingJobID = undefined;
          job.log.push(logItem(end, 'CLEANUP_FAIL', { sourceServerID: i.sourceServerID, targetInstanceID: i.id, rawError: failure }));
          if (p) p.launchStatus = 'FAILED';
          continue;
        }
        i.ec2InstanceState = 'TERMINATED';
        job.log.push(logItem(end, 'CLEANUP_END', { sourceServerID: i.sourceServerID, targetInstanceID: i.id }));
        const server = this.serverOf(job, i.sourceServerID);
        if (server?.recoveryInstanceId === i.id) {
          server.recoveryInstanceId = undefined;
          if (server.lifeCycle.lastLaunch?.initiated?.jobID === i.jobID && server.lifeCycle.lastLaunch) server.lifeCycle.lastLaunch.status = 'TERMINATED';
        }
        this.forget(region, i.id);
      }
      for (const s of job.servers) if (s.launchStatus !== 'FAILED') s.launchStatus = 'TERMINATED';
      this.complete(job, end);
    });
  }

  /** Removes an instance; the launch job that made it shows it TERMINATED. */
  private forget(region: RecoveryRegion, instanceId: string): void {
    const instance = region.instances.get(instanceId);
    region.instances.delete(instanceId);
    const launchJob = instance?.jobID ? region.jobs.get(instance.jobID) : undefined;
    const launched = launchJob?.servers.find((p) => p.recoveryInstanceID === instanceId);
    if (launched) launched.launchStatus = 'TERMINATED';
  }

  private complete(job: JobRecord, at: number): void {
    job.status = 'COMPLETED';
    job.endDateTime = new Date(at).toISOString();
    job.log.push(logItem(at, 'JOB_END'));
  }

  // ---- helpers ----------------------------------------------------------------------------

  private checkQuotas(caller: Caller, region: RecoveryRegion, servers: number, type: 'LAUNCH' | 'TERMINATE'): void {
    const { maxServersPerJob, maxConcurrentJobs, maxServersInActiveJobs, terminateJobsCountAgainstActiveServers } = this.settings;
    const active = region.activeJobs();
    const counted = terminateJobsCountAgainstActiveServers ? active : active.filter((j) => j.type === 'LAUNCH');
    const inActive = counted.reduce((n, j) => n + j.servers.length, 0);
    const requested = servers;
    if (type === 'TERMINATE' && !terminateJobsCountAgainstActiveServers) servers = 0;
    if (requested > maxServersPerJob) {
      throw quotaExceeded(QuotaCodes.SERVERS_PER_JOB, `A job can act on at most ${maxServersPerJob} source servers; this request names ${requested}`);
    }
    if (active.length >= maxConcurrentJobs) {
      throw quotaExceeded(QuotaCodes.CONCURRENT_JOBS, `Account ${caller.account} already has ${active.length} active jobs in ${caller.region}; the quota is ${maxConcurrentJobs}`);
    }
    if (inActive + servers > maxServersInActiveJobs) {
      throw quotaExceeded(QuotaCodes.SERVERS_IN_ACTIVE_JOBS,
        `Active jobs already act on ${inActive} source servers in ${caller.region}; ${servers} more would exceed the quota of ${maxServersInActiveJobs}`);
    }
  }

  private newJob(caller: Caller, type: 'LAUNCH' | 'TERMINATE', initiatedBy: string, isDrill: boolean, now: number,
    tags: Record<string, string>, servers: JobServer[]): JobRecord {
    const jobID = `drsjob-${this.service.store.hex(17)}`;
    this.jobSeq += 1;
    return {
      jobID,
      arn: this.jobArn(caller, jobID),
      account: caller.account,
      region: caller.region,
      seq: this.jobSeq,
      type,
      initiatedBy,
      isDrill,
      creationDateTime: new Date(now).toISOString(),
      status: 'PENDING',
      servers,
      tags,
      log: [],
    };
  }

  private newInstance(server: ServerRecord, id: string, jobID: string | undefined, isDrill: boolean, at: number): InstanceRecord {
    const p = server.sourceProperties;
    this.jobSeq += 1;
    return {
      id,
      arn: `arn:${this.service.options.partition}:drs:${server.region}:${server.account}:recovery-instance/${id}`,
      seq: this.jobSeq,
      sourceServerID: server.id,
      jobID,
      isDrill,
      ec2InstanceState: 'RUNNING',
      // The launch copies the source server's tags to the instance (README).
      tags: { ...server.tags },
      pointInTimeSnapshotDateTime: new Date(at).toISOString(),
      properties: {
        lastUpdatedDateTime: new Date(at).toISOString(),
        identificationHints: { ...p.identificationHints, awsInstanceID: id },
        networkInterfaces: JSON.parse(JSON.stringify(p.networkInterfaces ?? [])),
        disks: (p.disks ?? []).map((d) => ({ internalDeviceName: d.deviceName, bytes: d.bytes, ebsVolumeID: `vol-${this.service.store.hex(8)}` })),
        cpus: JSON.parse(JSON.stringify(p.cpus ?? [])),
        ramBytes: p.ramBytes,
        os: { ...p.os },
      },
      agentVersion: server.agentVersion,
    };
  }

  private initiatedBy(extended: boolean, operation: string): string {
    return extended && this.settings.initiatedBy === 'targetAccount' ? 'TARGET_ACCOUNT' : operation;
  }

  private serverOf(job: JobRecord, id: string): ServerRecord | undefined {
    return this.service.store.accounts.get(job.account)?.regions.get(job.region)?.servers.get(id);
  }

  private region(account: string, region: string): RecoveryRegion {
    const key = `${account}/${region}`;
    let r = this.regions.get(key);
    if (!r) {
      r = new RecoveryRegion();
      this.regions.set(key, r);
    }
    return r;
  }

  private jobArn(caller: Caller, jobID: string): string {
    return `arn:${this.service.options.partition}:drs:${caller.region}:${caller.account}:job/${jobID}`;
  }

  private instanceArn(caller: Caller, id: string): string {
    return `arn:${this.service.options.partition}:drs:${caller.region}:${caller.account}:recovery-instance/${id}`;
  }
}

function quotaExceeded(quotaCode: string, message: string): DrsError {
  return new DrsError('ServiceQuotaExceededException', message, { quotaCode, serviceCode: QUOTA_SERVICE_CODE, resourceType: 'JOB' });
}

function instanceConflict(id: string, message: string): DrsError {
  return new DrsError('ConflictException', message, { resourceId: id, resourceType: 'RECOVERY_INSTANCE' });
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
