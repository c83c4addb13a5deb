/**
 * The drill's checks of each launched server, as States Language states (JSONPath): the Map
 * that runs each server's checks one after the other (the first that does not pass ends that
 * server's checks), the judge step, and the put and removal of the SSM document checks' launch
 * actions. Each kind of check renders its own states (src/drill/checks/); the pieces they share
 * (the server's outcome, a bounded poll) are here. Internal: not exported from the package's index.
 */
import { DRS_RETRY, LAMBDA_RETRY, State } from './asl';

/**
 * One check, as the definition needs it: each kind of `DrillCheck` renders its own states
 * (src/drill/checks/).
 */
export interface DefinitionCheck {
  /** The name of its first state; a number follows it for the drill's second check of the same kind, and on. */
  readonly startState: string;
  /** States that every check of its kind ends in (after ChecksPassed), by name. */
  readonly sharedStates?: Record<string, State>;
  /** How long one server's check may take, in seconds, for the state machine's backstop. */
  readonly backstopSeconds: number;
  /** The launch action DRS runs for it, put on each server before its wave. */
  readonly launchAction?: DefinitionLaunchAction;
  /** Its states in a server's iteration: `suffix` ends each state's name, `next` is where a pass goes. */
  states(o: CheckDefinitionOptions, suffix: string, next: string): Record<string, State>;
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
export function serverOutcome(fields: Record<string, unknown>): State {
  return { Type: 'Pass', Parameters: { 'SourceServerID.$': '$.Server.SourceServerID', ...fields, 'CheckedAt.$': '$$.State.EnteredTime' }, End: true };
}

/** The per-server outcome a check's failure ends its iteration with. */
export function verdict(detail: Record<string, unknown>): State {
  return serverOutcome({ Result: { passed: false, ...detail } });
}

/** The timing of a check that polls. */
export interface PollTiming {
  readonly timeoutSeconds: number;
  readonly intervalSeconds: number;
}

/**
 * A bounded poll: `pending` goes to `timedOut` once the counter at `counter` reached the check's
 * poll count, else waits its interval in `wait`, counts one more poll in `count`, and reads again.
 */
export function pollStates(
  t: PollTiming, names: { pending: string; wait: string; count: string }, counter: string, read: string, timedOut: string,
): Record<string, State> {
  return {
    [names.pending]: {
      Type: 'Choice',
      Choices: [{ Variable: `${counter}.N`, NumericGreaterThanEquals: Math.max(1, Math.ceil(t.timeoutSeconds / t.intervalSeconds)), Next: timedOut }],
      Default: names.wait,
    },
    [names.wait]: { Type: 'Wait', Seconds: t.intervalSeconds, Next: names.count },
    [names.count]: { Type: 'Pass', Parameters: { 'N.$': `States.MathAdd(${counter}.N, 1)` }, ResultPath: counter, Next: read },
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
  const suffixes = o.checks.map((c, i) => {
    const n = o.checks.slice(0, i).filter((x) => x.startState === c.startState).length;
    return n === 0 ? '' : String(n + 1);
  });
  const names = o.checks.map((c, i) => `${c.startState}${suffixes[i]}`);
  const inner: Record<string, State> = {};
  o.checks.forEach((c, i) => Object.assign(inner, c.states(o, suffixes[i], names[i + 1] ?? S.CHECKS_PASSED)));
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
          ...Object.assign({}, ...o.checks.map((c) => c.sharedStates ?? {})),
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
  return checks.flatMap((c) => (c.launchAction ? [c.launchAction] : []));
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
