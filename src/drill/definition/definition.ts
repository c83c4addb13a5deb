/**
 * The drill's state machine, in the Amazon States Language (JSONPath), as a plain object: the
 * construct serializes it into the template, and the tests run this same definition, taken from
 * the synthesized template, in a States Language interpreter.
 *
 * Every DRS change is a state here, through Step Functions' AWS SDK integrations
 * (`StartRecovery`, `DescribeJobs` while waiting, `TerminateRecoveryInstances`); so are the
 * decisions (input validation, refusals, the waves, the timeout, the clean-up). The Lambda steps
 * only read: `plan` (which servers, in which waves, the facts the Choice states decide on) and
 * `collect` (per-server outcomes and times, the result event and metrics, the instances this
 * execution launched).
 *
 * Internal: not exported from the package's index.
 */
import { DRS_RETRY, describeJobState, LAMBDA_RETRY, State } from './asl';
import { checkStates, CheckStates, DefinitionCheck, launchActionsOf, launchActionStates, removeLaunchActionsState } from './checks-definition';
import { DrillErrors, DrillEvent, DrillOutcomes, DrillTags, DrillTargets, RecoveryLimits } from '../../contract/drill';

/** State names the tests and the docs refer to. */
export const DrillStates = {
  CHECK_INPUT: 'CheckInput',
  INIT: 'Init',
  PLAN: 'Plan',
  CHECK_SAFETY: 'CheckSafety',
  NEXT_WAVE: 'NextWave',
  START_RECOVERY: 'StartRecovery',
  RECORD_JOB: 'RecordJob',
  WAIT_FOR_JOB: 'WaitForJob',
  DESCRIBE_JOB: 'DescribeJob',
  COUNT_POLL: 'CountPoll',
  JOB_ENDED: 'JobEnded',
  WAVE_DONE: 'WaveDone',
  TIMED_OUT: 'TimedOut',
  DRAIN_WAIT: 'WaitForTimedOutJob',
  DRAIN_DESCRIBE: 'DescribeTimedOutJob',
  DRAIN_COUNT: 'CountDrainPoll',
  DRAIN_ENDED: 'TimedOutJobEnded',
  COLLECT: 'Collect',
  ...CheckStates,
  REMOVE_LAUNCH_ACTIONS_ON_COLLECT_FAILURE: 'RemoveLaunchActionsBeforeCollectFailed',
  KEEP_INSTANCES: 'KeepInstances',
  CLEAN_UP: 'CleanUp',
  TERMINATE: 'TerminateRecoveryInstances',
  ALREADY_TERMINATING: 'AlreadyTerminating',
  PUBLISH_RESULT: 'PublishResult',
  PUBLISH_METRICS: 'PublishMetrics',
  FINISH: 'Finish',
} as const;

export interface DrillDefinitionOptions {
  readonly drillName: string;
  /** The Lambda steps' function ARN (a token in the template). */
  readonly functionArn: string;
  readonly targets: DrillTargets;
  readonly serversPerJob: number;
  readonly waveTagKey?: string;
  /** Refuse the drill when a selected server has a recovery instance (otherwise skip the server). */
  readonly refuseExistingInstances: boolean;
  readonly pollIntervalSeconds: number;
  /** How long the drill waits for its recovery jobs in all, in seconds. */
  readonly timeoutSeconds: number;
  readonly recoveryTimeObjectiveSeconds?: number;
  readonly keepInstancesSeconds?: number;
  readonly eventBusName: string;
  readonly metricNamespace: string;
  /** The checks of each launched server, before the clean-up (all must pass). */
  readonly checks?: readonly DefinitionCheck[];
  /** Servers checked at once. */
  readonly checkConcurrency?: number;
}

/** Any failure of the drill proper goes to Collect, so that the clean-up always runs. */
const TO_COLLECT = [{ ErrorEquals: ['States.ALL'], ResultPath: '$.run.error', Next: DrillStates.COLLECT }];

/** The drill's counters, carried from state to state (no Variables in JSONPath definitions). */
function drillCounters(overrides: { polls?: string; wave?: string; jobIds?: string }): Record<string, string> {
  return {
    'JobIds.$': overrides.jobIds ?? '$.run.drill.JobIds',
    'Polls.$': overrides.polls ?? '$.run.drill.Polls',
    'Wave.$': overrides.wave ?? '$.run.drill.Wave',
  };
}

function refusal(outcome: string): State {
  return { Type: 'Pass', Result: outcome, ResultPath: '$.run.refusal', Next: DrillStates.COLLECT };
}

export function drillDefinition(o: DrillDefinitionOptions): Record<string, unknown> {
  const afterChecks = o.keepInstancesSeconds !== undefined ? DrillStates.KEEP_INSTANCES : DrillStates.CLEAN_UP;
  const checks = o.checks ?? [];
  const actions = launchActionsOf(checks);
  const afterJudge = actions.length > 0 ? DrillStates.REMOVE_LAUNCH_ACTIONS : afterChecks;
  const maxPolls = Math.max(1, Math.ceil(o.timeoutSeconds / o.pollIntervalSeconds));
  const S = DrillStates;
  const states: Record<string, State> = {
    [S.CHECK_INPUT]: {
      Type: 'Choice',
      Comment: 'The execution input may carry a reason (a string); nothing else is read from it.',
      Choices: [{
        Or: [{ Not: { Variable: '$.reason', IsPresent: true } }, { Variable: '$.reason', IsString: true }],
        Next: S.INIT,
      }],
      Default: 'InvalidInput',
    },
    InvalidInput: {
      Type: 'Fail',
      Error: DrillErrors.INVALID_INPUT,
      Cause: 'The drill\'s input must be a JSON object whose optional "reason" is a string, e.g. {"reason": "quarterly DR test"}.',
    },
    [S.INIT]: {
      Type: 'Pass',
      Result: {
        drill: { JobIds: '', Polls: 0, Wave: 0 },
        plan: { ServerCount: 0, WaveCount: 0, Skipped: [], Waves: [] },
        error: {},
        refusal: '',
      },
      ResultPath: '$.run',
      Next: S.PLAN,
    },
    [S.PLAN]: {
      Type: 'Task',
      Comment: 'Reads the servers, their recovery instances and the active jobs; returns the waves and the facts CheckSafety decides on.',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: {
        FunctionName: o.functionArn,
        Payload: {
          'Step': 'plan',
          'ExecutionName.$': '$$.Execution.Name',
          'Targets': o.targets,
          'ServersPerJob': o.serversPerJob,
          ...(o.waveTagKey !== undefined ? { WaveTagKey: o.waveTagKey } : {}),
        },
      },
      ResultSelector: { ...Object.fromEntries(PLAN_FIELDS.map((f) => [`${f}.$`, `$.Payload.${f}`])) },
      ResultPath: '$.run.plan',
      Retry: [LAMBDA_RETRY],
      Catch: TO_COLLECT,
      Next: S.CHECK_SAFETY,
    },
    [S.CHECK_SAFETY]: {
      Type: 'Choice',
      Comment: 'Refuses while a non-drill recovery is active, when a server has a recovery instance (if so configured), when there is nothing to drill, and when the job quotas leave no room.',
      Choices: [
        { Variable: '$.run.plan.ActiveRecoveryJobs', NumericGreaterThan: 0, Next: 'RefuseRecoveryInProgress' },
        ...(o.refuseExistingInstances ? [{ Variable: '$.run.plan.WithRecoveryInstanceCount', NumericGreaterThan: 0, Next: 'RefuseExistingInstance' }] : []),
        { Variable: '$.run.plan.WaveCount', NumericEquals: 0, Next: 'NothingToDrill' },
        { Variable: '$.run.plan.JobCapacity', NumericLessThan: 1, Next: 'RefuseLimits' },
        { Variable: '$.run.plan.LargestWave', NumericGreaterThanPath: '$.run.plan.ServerCapacity', Next: 'RefuseLimits' },
      ],
      Default: S.NEXT_WAVE,
    },
    RefuseRecoveryInProgress: refusal(DrillOutcomes.REFUSED_RECOVERY_IN_PROGRESS),
    ...(o.refuseExistingInstances ? { RefuseExistingInstance: refusal(DrillOutcomes.REFUSED_EXISTING_INSTANCE) } : {}),
    NothingToDrill: refusal(DrillOutcomes.NOTHING_TO_DRILL),
    RefuseLimits: refusal(DrillOutcomes.REFUSED_LIMITS),
    [S.NEXT_WAVE]: {
      Type: 'Choice',
      Choices: [{ Variable: '$.run.drill.Wave', NumericLessThanPath: '$.run.plan.WaveCount', Next: actions.length > 0 ? S.SELECT_WAVE : S.START_RECOVERY }],
      Default: S.COLLECT,
    },
    ...(actions.length > 0 ? launchActionStates(actions, S.START_RECOVERY, TO_COLLECT) : {}),
    [S.START_RECOVERY]: {
      Type: 'Task',
      Comment: 'One recovery job per wave, as a drill, tagged with the drill and this execution.',
      Resource: 'arn:aws:states:::aws-sdk:drs:startRecovery',
      Parameters: {
        'SourceServers.$': 'States.ArrayGetItem($.run.plan.Waves, $.run.drill.Wave)',
        'IsDrill': true,
        'Tags': {
          [DrillTags.DRILL]: o.drillName,
          [`${DrillTags.EXECUTION}.$`]: '$$.Execution.Name',
        },
      },
      ResultSelector: { 'JobID.$': '$.Job.JobID' },
      ResultPath: '$.run.job',
      Retry: [DRS_RETRY],
      Catch: TO_COLLECT,
      Next: S.RECORD_JOB,
    },
    [S.RECORD_JOB]: {
      Type: 'Pass',
      Comment: 'Job ids accumulate as one space-separated string (JSONPath has no array append).',
      Parameters: drillCounters({ jobIds: "States.Format('{} {}', $.run.drill.JobIds, $.run.job.JobID)" }),
      ResultPath: '$.run.drill',
      Next: S.WAIT_FOR_JOB,
    },
    [S.WAIT_FOR_JOB]: { Type: 'Wait', Seconds: o.pollIntervalSeconds, Next: S.DESCRIBE_JOB },
    [S.DESCRIBE_JOB]: describeJobState(S.COUNT_POLL, { resultPath: '$.run.error', next: S.COLLECT }),
    [S.COUNT_POLL]: {
      Type: 'Pass',
      Parameters: drillCounters({ polls: 'States.MathAdd($.run.drill.Polls, 1)' }),
      ResultPath: '$.run.drill',
      Next: S.JOB_ENDED,
    },
    [S.JOB_ENDED]: {
      Type: 'Choice',
      Choices: [
        { Variable: '$.run.jobStatus.Status', StringEquals: 'COMPLETED', Next: S.WAVE_DONE },
        { Variable: '$.run.drill.Polls', NumericGreaterThanEquals: maxPolls, Next: S.TIMED_OUT },
      ],
      Default: S.WAIT_FOR_JOB,
    },
    [S.WAVE_DONE]: {
      Type: 'Pass',
      Parameters: drillCounters({ wave: 'States.MathAdd($.run.drill.Wave, 1)' }),
      ResultPath: '$.run.drill',
      Next: S.NEXT_WAVE,
    },
    [S.TIMED_OUT]: {
      Type: 'Pass',
      Comment: `The drill waited ${maxPolls} times ${o.pollIntervalSeconds} s for its jobs: it starts no further wave, and the clean-up runs.`,
      Parameters: {
        'Error': DrillErrors.TIMED_OUT,
        'Cause.$': `States.Format('recovery job {} had not ended after the drill timeout of ${o.timeoutSeconds} seconds', $.run.job.JobID)`,
      },
      ResultPath: '$.run.error',
      Next: S.DRAIN_WAIT,
    },
    // DRS cannot cancel a launch job: instances of the timed-out job may still appear. The drill
    // starts no further wave and waits up to its timeout again for that job to end, so that the
    // clean-up sees every instance the job launches.
    [S.DRAIN_WAIT]: { Type: 'Wait', Seconds: o.pollIntervalSeconds, Next: S.DRAIN_DESCRIBE },
    [S.DRAIN_DESCRIBE]: describeJobState(S.DRAIN_COUNT, { resultPath: '$.run.drainError', next: S.COLLECT }),
    [S.DRAIN_COUNT]: {
      Type: 'Pass',
      Parameters: drillCounters({ polls: 'States.MathAdd($.run.drill.Polls, 1)' }),
      ResultPath: '$.run.drill',
      Next: S.DRAIN_ENDED,
    },
    [S.DRAIN_ENDED]: {
      Type: 'Choice',
      Choices: [
        { Variable: '$.run.jobStatus.Status', StringEquals: 'COMPLETED', Next: S.COLLECT },
        { Variable: '$.run.drill.Polls', NumericGreaterThanEquals: 2 * maxPolls, Next: S.COLLECT },
      ],
      Default: S.DRAIN_WAIT,
    },
    [S.COLLECT]: {
      Type: 'Task',
      Comment: 'Per-server outcomes and recovery times from DRS, the result, and the drill instances this execution launched.',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: {
        FunctionName: o.functionArn,
        Payload: collectPayload(o),
      },
      ResultSelector: { ...Object.fromEntries(COLLECT_FIELDS.map((f) => [`${f}.$`, `$.Payload.${f}`])) },
      ResultPath: '$.result',
      Retry: [LAMBDA_RETRY, { ErrorEquals: ['States.TaskFailed'], IntervalSeconds: 5, MaxAttempts: 4, BackoffRate: 2, JitterStrategy: 'FULL' }],
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.run.collectError', Next: actions.length > 0 ? S.REMOVE_LAUNCH_ACTIONS_ON_COLLECT_FAILURE : 'CollectFailed' }],
      Next: checks.length > 0 ? S.CHECK_SERVERS : afterChecks,
    },
    ...(checks.length > 0 ? checkStates({ drillName: o.drillName, functionArn: o.functionArn, checks, checkConcurrency: o.checkConcurrency },
      collectPayload(o), Object.fromEntries(COLLECT_FIELDS.map((f) => [`${f}.$`, `$.Payload.${f}`])), afterJudge) : {}),
    ...(actions.length > 0 ? {
      ...removeLaunchActionsState(actions, S.REMOVE_LAUNCH_ACTIONS, afterChecks),
      ...removeLaunchActionsState(actions, S.REMOVE_LAUNCH_ACTIONS_ON_COLLECT_FAILURE, 'CollectFailed'),
    } : {}),
    CollectFailed: {
      Type: 'Fail',
      Error: DrillErrors.CLEANUP_FAILED,
      Cause: 'The drill could not read its recovery jobs from DRS, so it could not terminate their drill instances. ' +
        `Terminate the recovery instances of the jobs tagged ${DrillTags.EXECUTION} = this execution's name (DRS console, Recovery instances).`,
    },
    ...(o.keepInstancesSeconds !== undefined ? {
      [S.KEEP_INSTANCES]: { Type: 'Wait', Comment: 'keepInstancesFor', Seconds: o.keepInstancesSeconds, Next: S.CLEAN_UP },
    } : {}),
    [S.CLEAN_UP]: {
      Type: 'Map',
      Comment: 'Terminates the drill instances of this execution\'s jobs, at most 200 per call.',
      ItemsPath: '$.result.TerminateBatches',
      ItemSelector: { 'Ids.$': '$$.Map.Item.Value' },
      MaxConcurrency: 1,
      ItemProcessor: {
        ProcessorConfig: { Mode: 'INLINE' },
        StartAt: S.TERMINATE,
        States: {
          [S.TERMINATE]: {
            Type: 'Task',
            Resource: 'arn:aws:states:::aws-sdk:drs:terminateRecoveryInstances',
            Parameters: { 'RecoveryInstanceIDs.$': '$.Ids' },
            ResultSelector: { 'JobID.$': '$.Job.JobID' },
            Retry: [DRS_RETRY],
            Catch: [{ ErrorEquals: ['Drs.ConflictException'], ResultPath: '$.conflict', Next: S.ALREADY_TERMINATING }],
            End: true,
          },
          [S.ALREADY_TERMINATING]: {
            Type: 'Pass',
            Comment: 'ConflictException: a termination of these instances is already under way; that counts as done.',
            Result: { AlreadyTerminating: true },
            End: true,
          },
        },
      },
      ResultPath: '$.cleanup',
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.run.cleanupError', Next: S.PUBLISH_RESULT }],
      Next: S.PUBLISH_RESULT,
    },
    [S.PUBLISH_RESULT]: {
      Type: 'Task',
      Resource: 'arn:aws:states:::events:putEvents',
      Parameters: {
        Entries: [{
          'Source': DrillEvent.SOURCE,
          'DetailType': DrillEvent.DETAIL_TYPE,
          'Detail.$': '$.result.Detail',
          'EventBusName': o.eventBusName,
        }],
      },
      ResultPath: null,
      Retry: [{ ErrorEquals: ['States.TaskFailed'], IntervalSeconds: 2, MaxAttempts: 3, BackoffRate: 2 }],
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.run.publishError', Next: S.PUBLISH_METRICS }],
      Next: S.PUBLISH_METRICS,
    },
    [S.PUBLISH_METRICS]: {
      Type: 'Task',
      Resource: 'arn:aws:states:::aws-sdk:cloudwatch:putMetricData',
      Parameters: { 'Namespace': o.metricNamespace, 'MetricData.$': '$.result.MetricData' },
      ResultPath: null,
      Retry: [{ ErrorEquals: ['States.TaskFailed'], IntervalSeconds: 2, MaxAttempts: 3, BackoffRate: 2 }],
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.run.publishError', Next: S.FINISH }],
      Next: S.FINISH,
    },
    [S.FINISH]: {
      Type: 'Choice',
      Choices: [
        { Variable: '$.run.cleanupError', IsPresent: true, Next: 'CleanUpFailed' },
        ...(actions.length > 0 ? [{ Variable: '$.run.launchActionError', IsPresent: true, Next: 'LaunchActionCleanUpFailed' }] : []),
        { Variable: '$.result.Succeeded', BooleanEquals: true, Next: 'DrillSucceeded' },
        { Not: { Variable: '$.run.refusal', StringEquals: '' }, Next: 'DrillRefused' },
      ],
      Default: 'DrillFailed',
    },
    CleanUpFailed: { Type: 'Fail', Error: DrillErrors.CLEANUP_FAILED, CausePath: '$.run.cleanupError.Cause' },
    ...(actions.length > 0 ? {
      LaunchActionCleanUpFailed: {
        Type: 'Fail',
        Error: DrillErrors.CLEANUP_FAILED,
        Cause: `The drill could not remove its launch actions (${actions.map((a) => a.actionId).join(', ')}) from every drilled server; a recovery of those ` +
          'servers would run them. Remove them with DeleteLaunchAction (DRS console: the source server\'s post-launch settings), and see the execution\'s history for the error.',
      },
    } : {}),
    DrillSucceeded: { Type: 'Succeed', OutputPath: '$.result.Detail' },
    DrillRefused: { Type: 'Fail', Error: DrillErrors.REFUSED, CausePath: '$.result.Summary' },
    DrillFailed: { Type: 'Fail', Error: DrillErrors.FAILED, CausePath: '$.result.Summary' },
  };
  return {
    Comment: `cdk-drs-multi-account RecoveryDrill ${o.drillName}`,
    StartAt: S.CHECK_INPUT,
    // A backstop only: the drill's own timeout (TimedOut) and the checks' timeouts stop it first,
    // with the clean-up. The checks' share: each server's checks in turn, `checkConcurrency` at a
    // time, for as many servers as DRS allows in active jobs.
    TimeoutSeconds: 2 * o.timeoutSeconds + (o.keepInstancesSeconds ?? 0) + 3600 + checksBackstopSeconds(checks, o.checkConcurrency),
    States: states,
  };
}

function checksBackstopSeconds(checks: readonly DefinitionCheck[], concurrency = 10): number {
  const perServer = checks.reduce((sum, c) => sum + c.backstopSeconds, 0);
  return perServer * Math.ceil(RecoveryLimits.SERVERS_IN_ACTIVE_JOBS / concurrency);
}

/** What the collect and judge steps are told. */
function collectPayload(o: DrillDefinitionOptions): Record<string, unknown> {
  return {
    'Step': 'collect',
    'DrillName': o.drillName,
    'ExecutionName.$': '$$.Execution.Name',
    'JobIds.$': '$.run.drill.JobIds',
    'Error.$': '$.run.error',
    'Refusal.$': '$.run.refusal',
    'Plan': { 'ServerCount.$': '$.run.plan.ServerCount', 'Skipped.$': '$.run.plan.Skipped' },
    'MetricNamespace': o.metricNamespace,
    ...(o.recoveryTimeObjectiveSeconds !== undefined ? { RecoveryTimeObjectiveSeconds: o.recoveryTimeObjectiveSeconds } : {}),
  };
}

const PLAN_FIELDS = [
  'Waves', 'WaveCount', 'ServerCount', 'LargestWave', 'Skipped', 'SkippedCount', 'WithRecoveryInstanceCount',
  'ActiveRecoveryJobs', 'ActiveJobs', 'JobCapacity', 'ServerCapacity',
];

const COLLECT_FIELDS = ['Outcome', 'Succeeded', 'Detail', 'MetricData', 'TerminateBatches', 'TerminateCount', 'Launched', 'Summary'];
