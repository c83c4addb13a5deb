/**
 * The drill's checks of each launched server, as States Language states (JSONPath): the EC2
 * status checks (Wait states between `ec2:DescribeInstanceStatus` calls), the runs of SSM
 * documents that DRS runs as launch actions (put before each wave's StartRecovery, read from
 * `DescribeJobs` by the drill's read-only function, removed before the drill ends), and the
 * user's Lambda functions. Per server, the checks run one after the other; the first that does
 * not pass ends that server's checks. Internal: not exported from the package's index.
 */
import { EC2_RETRY, DRS_RETRY, LAMBDA_RETRY, State } from './asl';

/** One check, as the definition needs it. */
export interface DefinitionCheck {
  readonly kind: 'ec2' | 'ssm' | 'lambda';
  readonly timeoutSeconds?: number;
  readonly intervalSeconds?: number;
  /** The user's function (lambda). */
  readonly functionArn?: string;
  /** The launch action DRS runs (ssm). */
  readonly launchAction?: DefinitionLaunchAction;
}

export interface DefinitionLaunchAction {
  readonly actionId: string;
  readonly documentName: string;
  readonly documentVersion: string;
  readonly order: number;
  readonly name: string;
  readonly description: string;
  readonly parameters?: Record<string, { readonly value: string; readonly type: string }>;
}

export interface CheckDefinitionOptions {
  readonly drillName: string;
  /** The drill's read-only function (the judge step and the launch-action reads). */
  readonly functionArn: string;
  readonly checks: readonly DefinitionCheck[];
  readonly checkConcurrency?: number;
}

/** State names the tests and the docs refer to. */
export const CheckStates = {
  CHECK_SERVERS: 'CheckServers',
  CHECK_SERVER: 'CheckServer',
  DESCRIBE_INSTANCE_STATUS: 'DescribeInstanceStatus',
  WAIT_FOR_INSTANCE_STATUS: 'WaitForInstanceStatus',
  READ_LAUNCH_ACTION_RUNS: 'ReadLaunchActionRuns',
  WAIT_FOR_LAUNCH_ACTION: 'WaitForLaunchActionRuns',
  CHECKS_PASSED: 'ChecksPassed',
  JUDGE: 'Judge',
  SELECT_WAVE: 'SelectWave',
  PUT_LAUNCH_ACTIONS: 'PutLaunchActions',
  PUT_LAUNCH_ACTION: 'PutLaunchAction',
  REMOVE_LAUNCH_ACTIONS: 'RemoveLaunchActions',
  DELETE_LAUNCH_ACTION: 'DeleteLaunchAction',
} as const;

/** The end of a server's iteration: its outcome (`fields`) and when its checks ended (what `judge` reads). */
function serverOutcome(fields: Record<string, unknown>): State {
  return { Type: 'Pass', Parameters: { 'SourceServerID.$': '$.Server.SourceServerID', ...fields, 'CheckedAt.$': '$$.State.EnteredTime' }, End: true };
}

/** The per-server outcome a check's failure ends its iteration with. */
function verdict(detail: Record<string, unknown>): State {
  return serverOutcome({ Result: { passed: false, ...detail } });
}

const polls = (c: DefinitionCheck) => Math.max(1, Math.ceil(c.timeoutSeconds! / c.intervalSeconds!));

/**
 * A bounded poll: `pending` goes to `timedOut` once the counter at `counter` reached the check's
 * poll count, else waits its interval in `wait`, counts one more poll in `count`, and reads again.
 */
function pollStates(
  c: DefinitionCheck, names: { pending: string; wait: string; count: string }, counter: string, read: string, timedOut: string,
): Record<string, State> {
  return {
    [names.pending]: {
      Type: 'Choice',
      Choices: [{ Variable: `${counter}.N`, NumericGreaterThanEquals: polls(c), Next: timedOut }],
      Default: names.wait,
    },
    [names.wait]: { Type: 'Wait', Seconds: c.intervalSeconds, Next: names.count },
    [names.count]: { Type: 'Pass', Parameters: { 'N.$': `States.MathAdd(${counter}.N, 1)` }, ResultPath: counter, Next: read },
  };
}

/** EC2 status checks: ask, then wait and ask again until both are `ok`, one is `impaired`, or the timeout. */
function ec2States(c: DefinitionCheck, n: string, next: string): Record<string, State> {
  const S = CheckStates;
  const describe = `${S.DESCRIBE_INSTANCE_STATUS}${n}`;
  const status = (which: string) => `$.ec2.Statuses[0].${which}.Status`;
  return {
    [`StartInstanceStatusChecks${n}`]: { Type: 'Pass', Result: { N: 0 }, ResultPath: '$.ec2Polls', Next: describe },
    [describe]: {
      Type: 'Task',
      Resource: 'arn:aws:states:::aws-sdk:ec2:describeInstanceStatus',
      Parameters: { 'InstanceIds.$': 'States.Array($.Server.Ec2InstanceID)', 'IncludeAllInstances': true },
      ResultSelector: { 'Statuses.$': '$.InstanceStatuses' },
      ResultPath: '$.ec2',
      Retry: [EC2_RETRY],
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.checkError', Next: 'CheckErrored' }],
      Next: `InstanceStatusOk${n}`,
    },
    [`InstanceStatusOk${n}`]: {
      Type: 'Choice',
      Choices: [
        { Variable: '$.ec2.Statuses[0]', IsPresent: false, Next: `InstanceStatusPending${n}` },
        {
          Or: [{ Variable: status('InstanceStatus'), StringEquals: 'impaired' }, { Variable: status('SystemStatus'), StringEquals: 'impaired' }],
          Next: `InstanceStatusImpaired${n}`,
        },
        { And: [{ Variable: status('InstanceStatus'), StringEquals: 'ok' }, { Variable: status('SystemStatus'), StringEquals: 'ok' }], Next: next },
      ],
      Default: `InstanceStatusPending${n}`,
    },
    ...pollStates(c, { pending: `InstanceStatusPending${n}`, wait: `${S.WAIT_FOR_INSTANCE_STATUS}${n}`, count: `CountInstanceStatusPoll${n}` },
      '$.ec2Polls', describe, `InstanceStatusTimedOut${n}`),
    [`InstanceStatusImpaired${n}`]: verdict({
      'detail.$': `States.Format('EC2 status checks of instance {} failed: instance status {}, system status {}', $.Server.Ec2InstanceID, ${status('InstanceStatus')}, ${status('SystemStatus')})`,
    }),
    [`InstanceStatusTimedOut${n}`]: verdict({
      'detail.$': `States.Format('EC2 status checks of instance {} were not both ok within ${c.timeoutSeconds} s', $.Server.Ec2InstanceID)`,
    }),
  };
}

/** SSM documents run by DRS: read the runs (drill function, from DescribeJobs) until they ended or the timeout. */
function ssmStates(o: CheckDefinitionOptions, c: DefinitionCheck, n: string, next: string): Record<string, State> {
  const S = CheckStates;
  const read = `${S.READ_LAUNCH_ACTION_RUNS}${n}`;
  const a = c.launchAction!;
  return {
    [`StartLaunchActionCheck${n}`]: { Type: 'Pass', Result: { N: 0 }, ResultPath: '$.ssmPolls', Next: read },
    [read]: {
      Type: 'Task',
      Comment: 'DescribeJobs of the server\'s job, read by the drill\'s function: JSONPath cannot pick one server out of participatingServers.',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: {
        FunctionName: o.functionArn,
        Payload: { 'Step': 'launchActionRuns', 'JobID.$': '$.Server.JobID', 'SourceServerID.$': '$.Server.SourceServerID', 'ActionIds': [a.actionId] },
      },
      ResultSelector: { 'Status.$': '$.Payload.Status', 'Detail.$': '$.Payload.Detail' },
      ResultPath: '$.ssm',
      Retry: [LAMBDA_RETRY],
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.checkError', Next: 'CheckErrored' }],
      Next: `LaunchActionRunsEnded${n}`,
    },
    [`LaunchActionRunsEnded${n}`]: {
      Type: 'Choice',
      Choices: [
        { Variable: '$.ssm.Status', StringEquals: 'SUCCEEDED', Next: next },
        { Variable: '$.ssm.Status', StringEquals: 'FAILED', Next: `LaunchActionFailed${n}` },
      ],
      Default: `LaunchActionPending${n}`,
    },
    ...pollStates(c, { pending: `LaunchActionPending${n}`, wait: `${S.WAIT_FOR_LAUNCH_ACTION}${n}`, count: `CountLaunchActionPoll${n}` },
      '$.ssmPolls', read, `LaunchActionTimedOut${n}`),
    [`LaunchActionFailed${n}`]: verdict({ 'detail.$': '$.ssm.Detail' }),
    [`LaunchActionTimedOut${n}`]: verdict({
      'detail.$': `States.Format('SSM document ${a.documentName} had not ended within ${c.timeoutSeconds} s: {}', $.ssm.Detail)`,
    }),
  };
}

/** The user's function: passed (`{ passed: true }`) goes on; anything else ends the server's checks with its answer. */
function lambdaStates(o: CheckDefinitionOptions, c: DefinitionCheck, n: string, next: string): Record<string, State> {
  const S = CheckStates;
  return {
    [`${S.CHECK_SERVER}${n}`]: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: {
        FunctionName: c.functionArn,
        Payload: {
          'drillName': o.drillName,
          'executionName.$': '$.ExecutionName',
          'sourceServerId.$': '$.Server.SourceServerID',
          'recoveryInstanceId.$': '$.Server.RecoveryInstanceID',
          'ec2InstanceId.$': '$.Server.Ec2InstanceID',
        },
      },
      ResultSelector: { 'Result.$': '$.Payload' },
      ResultPath: '$.check',
      Retry: [LAMBDA_RETRY],
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.checkError', Next: 'CheckErrored' }],
      Next: `CheckPassed${n}`,
    },
    [`CheckPassed${n}`]: {
      Type: 'Choice',
      Choices: [{ And: [{ Variable: '$.check.Result.passed', IsPresent: true }, { Variable: '$.check.Result.passed', BooleanEquals: true }], Next: next }],
      Default: 'CheckDone',
    },
  };
}

/**
 * Every check per launched server (a Map), then the `judge` step, which fails the servers whose
 * checks did not pass and ends their recovery time at their last check. A check that throws
 * fails its server only; if the checks cannot run at all, every launched server fails ("the
 * check did not run"). The clean-up runs in every case.
 */
export function checkStates(
  o: CheckDefinitionOptions, judgePayload: Record<string, unknown>, judgeResult: Record<string, string>, afterJudge: string,
): Record<string, State> {
  const S = CheckStates;
  const names = o.checks.map((c, i) => {
    const n = o.checks.slice(0, i).filter((x) => x.kind === c.kind).length;
    const suffix = n === 0 ? '' : String(n + 1);
    return c.kind === 'ec2' ? `StartInstanceStatusChecks${suffix}` : c.kind === 'ssm' ? `StartLaunchActionCheck${suffix}` : `${S.CHECK_SERVER}${suffix}`;
  });
  const inner: Record<string, State> = {};
  o.checks.forEach((c, i) => {
    const next = names[i + 1] ?? S.CHECKS_PASSED;
    const suffix = names[i].replace(/^\D+/, '');
    Object.assign(inner, c.kind === 'ec2' ? ec2States(c, suffix, next) : c.kind === 'ssm' ? ssmStates(o, c, suffix, next) : lambdaStates(o, c, suffix, next));
  });
  return {
    [S.CHECK_SERVERS]: {
      Type: 'Map',
      Comment: 'The checks of each launched server, before the clean-up.',
      ItemsPath: '$.result.Launched',
      ItemSelector: { 'Server.$': '$$.Map.Item.Value', 'ExecutionName.$': '$$.Execution.Name' },
      MaxConcurrency: o.checkConcurrency ?? 10,
      ItemProcessor: {
        ProcessorConfig: { Mode: 'INLINE' },
        StartAt: names[0],
        States: {
          ...inner,
          [S.CHECKS_PASSED]: serverOutcome({ Result: { passed: true } }),
          ...(o.checks.some((c) => c.kind === 'lambda') ? { CheckDone: serverOutcome({ 'Result.$': '$.check.Result' }) } : {}),
          CheckErrored: serverOutcome({ 'Error.$': '$.checkError' }),
        },
      },
      ResultPath: '$.checks',
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.run.checkError', Next: 'NoChecks' }],
      Next: S.JUDGE,
    },
    NoChecks: { Type: 'Pass', Result: [], ResultPath: '$.checks', Next: S.JUDGE },
    [S.JUDGE]: {
      Type: 'Task',
      Comment: 'Fails the servers whose checks did not pass; the recovery time ends at the last check.',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: {
        FunctionName: o.functionArn,
        Payload: {
          ...judgePayload,
          'Step': 'judge',
          'Servers.$': '$.result.Detail.servers',
          'TerminateBatches.$': '$.result.TerminateBatches',
          'Checks.$': '$.checks',
        },
      },
      ResultSelector: judgeResult,
      ResultPath: '$.result',
      Retry: [LAMBDA_RETRY],
      // The collect result stays: the clean-up runs with it.
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.run.judgeError', Next: afterJudge }],
      Next: afterJudge,
    },
  };
}

/** The launch actions of the drill's SSM document checks. */
export function launchActionsOf(checks: readonly DefinitionCheck[]): DefinitionLaunchAction[] {
  return checks.filter((c) => c.kind === 'ssm').map((c) => c.launchAction!);
}

/**
 * Puts the drill's launch actions on the servers of the current wave, just before its
 * StartRecovery (idempotent: a fixed action id). A failure stops the drill (`catchTo`), and the
 * removal still runs.
 */
export function launchActionStates(actions: readonly DefinitionLaunchAction[], next: string, catchTo: unknown[]): Record<string, State> {
  const S = CheckStates;
  const puts: Record<string, State> = {};
  actions.forEach((a, i) => {
    puts[`${S.PUT_LAUNCH_ACTION}${i === 0 ? '' : i + 1}`] = {
      Type: 'Task',
      Resource: 'arn:aws:states:::aws-sdk:drs:putLaunchAction',
      Parameters: {
        'ResourceId.$': '$.SourceServerID',
        'ActionId': a.actionId,
        'ActionCode': a.documentName,
        'ActionVersion': a.documentVersion,
        'Category': 'VALIDATION',
        'Optional': false,
        'Active': true,
        'Order': a.order,
        'Name': a.name,
        'Description': a.description,
        ...(a.parameters ? {
          Parameters: Object.fromEntries(Object.entries(a.parameters).map(([k, v]) => [k, { Value: v.value, Type: v.type }])),
        } : {}),
      },
      ResultPath: null,
      Retry: [DRS_RETRY],
      ...(i === actions.length - 1 ? { End: true } : { Next: `${S.PUT_LAUNCH_ACTION}${i + 2}` }),
    };
  });
  return {
    [S.SELECT_WAVE]: {
      Type: 'Pass',
      Parameters: { 'Servers.$': 'States.ArrayGetItem($.run.plan.Waves, $.run.drill.Wave)' },
      ResultPath: '$.run.wave',
      Next: S.PUT_LAUNCH_ACTIONS,
    },
    [S.PUT_LAUNCH_ACTIONS]: {
      Type: 'Map',
      Comment: 'The drill\'s launch actions (SSM document checks) on the servers of this wave, before its StartRecovery.',
      ItemsPath: '$.run.wave.Servers',
      ItemSelector: { 'SourceServerID.$': '$$.Map.Item.Value.SourceServerID' },
      MaxConcurrency: 10,
      ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, StartAt: `${S.PUT_LAUNCH_ACTION}`, States: puts },
      ResultPath: null,
      Catch: catchTo,
      Next: next,
    },
  };
}

/**
 * Removes the drill's launch actions from every planned server (all waves, also those that did
 * not start: a missing action is no error), so that a real recovery never runs them. `name`
 * tells the two places apart (after the checks; before failing when collect failed).
 */
export function removeLaunchActionsState(actions: readonly DefinitionLaunchAction[], name: string, next: string): Record<string, State> {
  const S = CheckStates;
  const deletes: Record<string, State> = {};
  actions.forEach((a, i) => {
    const state = `${name}${S.DELETE_LAUNCH_ACTION}${i === 0 ? '' : i + 1}`;
    const after = i === actions.length - 1 ? undefined : `${name}${S.DELETE_LAUNCH_ACTION}${i + 2}`;
    deletes[state] = {
      Type: 'Task',
      Resource: 'arn:aws:states:::aws-sdk:drs:deleteLaunchAction',
      Parameters: { 'ResourceId.$': '$.SourceServerID', 'ActionId': a.actionId },
      ResultPath: null,
      Retry: [DRS_RETRY],
      Catch: [{ ErrorEquals: ['Drs.ResourceNotFoundException'], ResultPath: null, ...(after ? { Next: after } : { Next: `${name}Removed` }) }],
      ...(after ? { Next: after } : { Next: `${name}Removed` }),
    };
  });
  deletes[`${name}Removed`] = { Type: 'Succeed' };
  return {
    [name]: {
      Type: 'Map',
      Comment: 'Removes the drill\'s launch actions from every planned server, so a real recovery does not run them.',
      ItemsPath: '$.run.plan.Waves',
      ItemSelector: { 'Servers.$': '$$.Map.Item.Value' },
      MaxConcurrency: 1,
      ItemProcessor: {
        ProcessorConfig: { Mode: 'INLINE' },
        StartAt: `${name}OfWave`,
        States: {
          [`${name}OfWave`]: {
            Type: 'Map',
            ItemsPath: '$.Servers',
            ItemSelector: { 'SourceServerID.$': '$$.Map.Item.Value.SourceServerID' },
            MaxConcurrency: 10,
            ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, StartAt: `${name}${S.DELETE_LAUNCH_ACTION}`, States: deletes },
            ResultPath: null,
            End: true,
          },
        },
      },
      ResultPath: null,
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.run.launchActionError', Next: next }],
      Next: next,
    },
  };
}
