/**
 * The vocabulary shared by `RecoveryDrill` (which writes the state machine definition at synth
 * time) and the drill's Lambda steps (which read their payloads at run time). Internal: not
 * exported from the package's index.
 */

/** Tags the drill writes on each recovery job it starts (StartRecovery's `tags`). */
export const DrillTags = {
  /** Value: the drill's name (`RecoveryDrill.drillName`). IAM scopes StartRecovery and TerminateRecoveryInstances with it. */
  DRILL: 'cdk-drs-multi-account:drill',
  /** Value: the Step Functions execution name, so one execution's jobs and instances are told apart. */
  EXECUTION: 'cdk-drs-multi-account:drill-execution',
} as const;

/** The documented recovery-job quotas (DRS user guide, "Service quotas"). */
export const RecoveryLimits = {
  /** Source servers in one recovery job. */
  SERVERS_PER_JOB: 100,
  /** Recovery jobs running at once in an account and Region. */
  CONCURRENT_JOBS: 20,
  /** Source servers across all active jobs. */
  SERVERS_IN_ACTIVE_JOBS: 500,
  /**
   * Recovery instance ids per TerminateRecoveryInstances call. The model allows 200, but a
   * terminate is a job too, and whether the 100-servers-per-job quota applies to it is not
   * documented: 100 works under both readings.
   */
  TERMINATE_BATCH: 100,
} as const;

/** The event the drill puts on EventBridge at its end (named with the library's other metrics and events). */
export { DrillEvent } from './metrics';

/** Errors the state machine raises itself (its Fail states and the timeout). */
export const DrillErrors = {
  TIMED_OUT: 'DrillTimedOut',
  INVALID_INPUT: 'DrillInputInvalid',
  FAILED: 'DrillFailed',
  REFUSED: 'DrillRefused',
  CLEANUP_FAILED: 'DrillCleanupFailed',
  /** A recovery started during the drill (found before a wave), and the drill is set to stop. */
  STOPPED_FOR_RECOVERY: 'DrillStoppedForRecovery',
} as const;

/** The drill's outcome, in the event and the execution's output. */
export const DrillOutcomes = {
  SUCCEEDED: 'SUCCEEDED',
  /** At least one server failed to launch, failed its check, or exceeded the RTO. */
  FAILED: 'FAILED',
  /** A recovery job did not end within the drill's timeout. */
  TIMED_OUT: 'TIMED_OUT',
  /** A step failed (a DRS error, a quota): the error is in the event. */
  ERROR: 'ERROR',
  /** A non-drill recovery job is active in the account: nothing was started. */
  REFUSED_RECOVERY_IN_PROGRESS: 'REFUSED_RECOVERY_IN_PROGRESS',
  /** The account's active jobs leave no room for the drill's largest wave. */
  REFUSED_LIMITS: 'REFUSED_LIMITS',
  /** A server has a recovery instance and the drill is set to refuse. */
  REFUSED_EXISTING_INSTANCE: 'REFUSED_EXISTING_INSTANCE',
  /** A recovery started during the drill (found before a later wave): no further wave started. */
  STOPPED_RECOVERY_IN_PROGRESS: 'STOPPED_RECOVERY_IN_PROGRESS',
  /** No server to drill (none selected, or all skipped). */
  NOTHING_TO_DRILL: 'NOTHING_TO_DRILL',
} as const;

/** What happens to a selected server that already has a recovery instance. */
export const ExistingInstanceModes = {
  SKIP: 'skip',
  REFUSE: 'refuse',
} as const;

/** The servers a drill names; the plan step drills the union of every member given, each server once. */
export interface DrillTargets {
  /** Explicit source server ids in this account. */
  readonly SourceServerIds?: string[];
  /** Owner tags of `StagingAccountExtension`s: servers carrying both tags of one entry. */
  readonly Owners?: Array<{ readonly StackId: string; readonly LogicalId: string }>;
  /** Every extended server of the account matching this selector (wire form of `ServerSelector`). */
  readonly Selector?: import('./staging-account-extension').ServerSelectorProperty;
}

/** Payload of the `plan` step (static, from the definition, plus the execution's name). */
export interface PlanRequest {
  readonly Step: 'plan';
  readonly ExecutionName: string;
  readonly Targets: DrillTargets;
  readonly ServersPerJob: number;
  /** Tag whose value orders the waves (servers with it go first). */
  readonly WaveTagKey?: string;
}

/** One server of a wave, as StartRecovery takes it (Step Functions casing). */
export interface WaveServer {
  readonly SourceServerID: string;
}

/** Result of the `plan` step. Numbers only besides the waves, so Choice states decide. */
export interface PlanResult {
  readonly Waves: WaveServer[][];
  readonly WaveCount: number;
  readonly ServerCount: number;
  readonly LargestWave: number;
  readonly Skipped: Array<{ readonly SourceServerID: string; readonly Reason: string }>;
  readonly SkippedCount: number;
  /** Selected servers that have a recovery instance (refused when the drill refuses them). */
  readonly WithRecoveryInstanceCount: number;
  /** Active launch jobs that are not drills (or cannot be told apart from a recovery). */
  readonly ActiveRecoveryJobs: number;
  readonly ActiveJobs: number;
  /** Jobs the account can still start: 20 minus the active ones. */
  readonly JobCapacity: number;
  /** Servers the account can still put in jobs: 500 minus those in active jobs. */
  readonly ServerCapacity: number;
}

/** Payload of the `recheck` step, before each wave's StartRecovery. */
export interface RecheckRequest {
  readonly Step: 'recheck';
  readonly ExecutionName: string;
  /** The wave's servers, as the plan gave them. */
  readonly Servers: WaveServer[];
}

/** Result of the `recheck` step. */
export interface RecheckResult {
  /** The wave's servers that may still be drilled. */
  readonly Servers: WaveServer[];
  readonly Count: number;
  /**
   * What was found since the plan: active launch jobs that may be recoveries (not drills), and
   * the wave's servers that now have a recovery instance or are in such a job. 0: nothing.
   */
  readonly Found: number;
  /** The wave's servers left out, with the reason, as JSON objects each preceded by a comma (appended to the drill's `Skips`). */
  readonly SkippedJson: string;
  /** What was found, in words (the drill's error cause when it stops). */
  readonly Detail: string;
}

/** Payload of the `collect` step. */
export interface CollectRequest {
  readonly Step: 'collect';
  readonly DrillName: string;
  readonly ExecutionName: string;
  /** Space-separated job ids, as the state machine accumulates them (States.Format). */
  readonly JobIds: string;
  readonly RecoveryTimeObjectiveSeconds?: number;
  readonly MetricNamespace: string;
  /** Set when the drill stopped early: the error the state machine caught. */
  readonly Error?: { readonly Error?: string; readonly Cause?: string };
  /** Set when the drill refused to start: the outcome the state machine chose. */
  readonly Refusal?: string;
  /** The plan's figures (absent when the plan step itself failed). */
  readonly Plan?: Partial<PlanResult>;
  /** Servers left out before their wave (RecheckResult.SkippedJson, accumulated). */
  readonly LateSkips?: string;
  /** Whether servers left out (at plan or before their wave) let the drill succeed. */
  readonly AllowSkips?: boolean;
}

/** Per-server outcome in the result event. */
export interface ServerOutcome {
  readonly sourceServerId: string;
  readonly jobId: string;
  readonly launchStatus: string;
  readonly recoveryInstanceId?: string;
  readonly ec2InstanceId?: string;
  readonly startedAt?: string;
  readonly launchedAt?: string;
  /** When the user's check ended, if it ran. */
  readonly checkedAt?: string;
  readonly recoveryTimeSeconds?: number;
  readonly succeeded: boolean;
  readonly reason?: string;
}

/** Result of the `collect` step. */
export interface CollectResult {
  readonly Outcome: string;
  readonly Succeeded: boolean;
  /** The event detail (camelCase, as EventBridge consumers expect). */
  readonly Detail: Record<string, unknown>;
  /** CloudWatch MetricData, Step Functions casing. */
  readonly MetricData: Array<Record<string, unknown>>;
  /** Recovery instances this execution launched, in batches of at most 200. */
  readonly TerminateBatches: string[][];
  readonly TerminateCount: number;
  /** The launched servers, for the checks. */
  readonly Launched: Array<{
    readonly SourceServerID: string; readonly JobID: string; readonly RecoveryInstanceID: string; readonly Ec2InstanceID: string;
  }>;
  readonly Summary: string;
}

/** One server's check, as the state machine's check Map returns it. */
export interface CheckOutcome {
  readonly SourceServerID: string;
  /** What the user's function returned (`passed: true` passes). */
  readonly Result?: { readonly passed?: unknown; readonly detail?: unknown };
  /** The error the function threw, as the Task caught it. */
  readonly Error?: { readonly Error?: string; readonly Cause?: string };
  /** When the check ended (`$$.State.EnteredTime` of the state after it). */
  readonly CheckedAt?: string;
}

/** Payload of the `launchActionRuns` step: one server's runs of the drill's launch actions, in its job. */
export interface LaunchActionRunsRequest {
  readonly Step: 'launchActionRuns';
  readonly JobID: string;
  readonly SourceServerID: string;
  /** The drill's launch action ids. */
  readonly ActionIds: string[];
}

/** Result of the `launchActionRuns` step (Choice states decide on `Status`). */
export interface LaunchActionRunsResult {
  /** SUCCEEDED when every action's run succeeded; FAILED when one failed; PENDING otherwise (in progress, or not reported yet). */
  readonly Status: 'SUCCEEDED' | 'FAILED' | 'PENDING';
  /** Why, for the server's reason (the failed run's `failureReason`, or what is still missing). */
  readonly Detail: string;
}

/** Payload of the `judge` step: the collect step's request and result, and the checks. */
export interface JudgeRequest extends Omit<CollectRequest, 'Step'> {
  readonly Step: 'judge';
  readonly Servers?: ServerOutcome[];
  readonly TerminateBatches?: string[][];
  readonly Checks?: CheckOutcome[];
}
