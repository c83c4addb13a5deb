/**
 * Runs the state machine definition that `RecoveryDrill` synthesizes, taken from the template,
 * in a real Amazon States Language interpreter (aws-local-stepfunctions) against the local DRS:
 * - `arn:aws:states:::aws-sdk:drs:<action>` Tasks call the local DRS with @aws-sdk/client-drs,
 *   their parameters and results translated as Step Functions does (sdk-casing.ts);
 * - `arn:aws:states:::aws-sdk:ec2:describeInstanceStatus` Tasks call the EC2 status fake
 *   (`ec2`, over the local DRS's recovery instances), authorized with the state machine's role;
 * - `arn:aws:states:::lambda:invoke` runs the bundled Lambda asset in a process of its own;
 * - `arn:aws:states:::events:putEvents` and `aws-sdk:cloudwatch:putMetricData` are recorded
 *   (there is no local EventBridge or CloudWatch);
 * - each Wait state advances the local DRS's clock by its `Seconds` and returns at once.
 * Test support only.
 */
import { fork } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import * as DrsSdk from '@aws-sdk/client-drs';
import { fromSdkOutput, sdkIntegrationError, toSdkInput } from './sdk-casing';
import { authorizerFromTemplate } from '../local-drs/iam';
import { Authorizer } from '../local-drs/types';
import { CfnTemplate, DeployContext, resolve } from '../support/cfn-template';

export const STEPS_ASSET_DIR = path.join(__dirname, '..', '..', 'assets', 'drill', 'drill-steps.lambda');

/** For a suite's beforeAll: the tests run the bundled drill-steps asset, so it must be there. */
export function requireStepsBundle(): void {
  if (!fs.existsSync(`${STEPS_ASSET_DIR}/index.js`)) throw new Error("the drill-steps bundle is missing: run 'npx projen bundle' first");
}
const RUNNER = path.join(__dirname, 'step-runner.js');

// aws-local-stepfunctions 3 calls Promise.withResolvers (Node 22); the project runs on Node 20.
const P = Promise as unknown as { withResolvers?: () => unknown };
if (!P.withResolvers) {
  P.withResolvers = () => {
    let resolveFn!: (v: unknown) => void;
    let rejectFn!: (e: unknown) => void;
    const promise = new Promise((res, rej) => { resolveFn = res; rejectFn = rej; });
    return { promise, resolve: resolveFn, reject: rejectFn };
  };
}

/** Authorizers for the drill's two roles, from the synthesized template (state machine role, function role). */
export function drillAuthorizers(template: CfnTemplate, ctx: DeployContext): { stateMachine: Authorizer; steps: Authorizer } {
  const roles = Object.entries(template.Resources ?? {}).filter(([, r]) => r.Type === 'AWS::IAM::Role');
  // The drill's own roles (`Role`, `StepsRole`) first: the stack may hold other constructs' roles (the DRS handler's, for example).
  const ownFirst = [...roles.filter(([id]) => /Drill.*(StepsRole|Role)[0-9A-F]{8}$/.test(id)), ...roles];
  const by = (service: string) => {
    const found = ownFirst.find(([, r]) => JSON.stringify((r.Properties as any).AssumeRolePolicyDocument).includes(service));
    if (!found) throw new Error(`no role trusted by ${service} in the template`);
    return authorizerFromTemplate(template, found[0], ctx);
  };
  return { stateMachine: by('states.amazonaws.com'), steps: by('lambda.amazonaws.com') };
}

/** The state machine definitions of a template, by logical id, with intrinsics resolved for `ctx`. */
export function definitionsFrom(template: CfnTemplate, ctx: DeployContext): Record<string, any> {
  const out: Record<string, any> = {};
  for (const [id, r] of Object.entries(template.Resources ?? {})) {
    if (r.Type !== 'AWS::StepFunctions::StateMachine') continue;
    const body = resolve(template, (r.Properties as any).DefinitionString, ctx);
    if (typeof body !== 'string') throw new Error(`state machine ${id}: DefinitionString did not resolve to a string`);
    out[id] = JSON.parse(body);
  }
  return out;
}

export interface DrillRunOptions {
  readonly definition: any;
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: { accessKeyId: string; secretAccessKey: string };
  /** Moves the DRS clock forward (each Wait state calls it with its duration). */
  readonly advance: (ms: number) => void;
  readonly executionName?: string;
  readonly input?: unknown;
  /**
   * Evaluate IAM as deployed: the state machine's Tasks call DRS as the state machine's role,
   * the Lambda steps as the function's role (one caller at a time: the drill makes no two calls
   * at once). `set` installs an authorizer for the account (LocalDrs.setAuthorizer).
   */
  readonly iam?: { readonly stateMachine: Authorizer; readonly steps: Authorizer; set(authorizer: Authorizer | undefined): void };
  /** Other Lambda functions the definition invokes (e.g. a user's check), by ARN, run in-process. */
  readonly functions?: Record<string, (payload: any) => Promise<unknown> | unknown>;
  /** The clock `$$.State.EnteredTime` reads (the local DRS's). @default real time */
  readonly now?: () => Date;
  /**
   * EC2 for `arn:aws:states:::aws-sdk:ec2:<action>` Tasks (test/local-drs/ec2-status.ts): called
   * with Step Functions' parameters, answering as the integration does; errors named `Ec2.<code>`.
   */
  readonly ec2?: { readonly account: string; describeInstanceStatus(input: any): unknown };
  /**
   * Step Functions' quotas the harness enforces, failing the execution as AWS does (README,
   * "Limits"). @default { payloadBytes: 262_144, historyEvents: 25_000 }
   */
  readonly limits?: { readonly payloadBytes?: number; readonly historyEvents?: number };
  /**
   * Where `lambda:invoke` of the drill's own function runs: a child process per invocation (as
   * Lambda isolates it), or the bundled asset loaded once per execution in this process (fast;
   * for generated executions). @default 'process'
   */
  readonly lambdaRunner?: 'process' | 'in-process';
  /**
   * Called before every Task runs (each attempt), with the state's name and the simulated seconds
   * since the execution started: a test's faults at any point. Returning 'STOP' stops the
   * execution there (StopExecution), 'TIME_OUT' times it out; nothing after runs.
   */
  readonly beforeTask?: (state: string, elapsedSeconds: number) => void | 'STOP' | 'TIME_OUT' | Promise<void | 'STOP' | 'TIME_OUT'>;
  /** The execution's `TimeoutSeconds`, in simulated time (the interpreter's own is in real time). @default the definition's */
  readonly timeoutSeconds?: number;
  /** Zero the real-time wait of Retry backoffs (the DRS clock advances by the nominal interval instead). @default false */
  readonly instantRetries?: boolean;
}

/** Step Functions' payload quota: 256 KB of UTF-8 per state input, output and task result. */
export const PAYLOAD_LIMIT_BYTES = 262_144;
/** Step Functions' quota on one standard execution's history. */
export const HISTORY_LIMIT_EVENTS = 25_000;

export interface DrillRun {
  /** ABORTED: stopped by `beforeTask` (StopExecution); TIMED_OUT: past `timeoutSeconds` in simulated time. */
  readonly status: 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';
  readonly output?: any;
  readonly error?: string;
  readonly cause?: string;
  /** State transitions as Step Functions bills them: one per state entered, Map iterations included. */
  readonly transitions: number;
  readonly statesEntered: Record<string, number>;
  /** The events put on EventBridge (Detail parsed). */
  readonly events: any[];
  readonly metrics: any[];
  /** Lambda step invocations, by Step. */
  readonly lambdaCalls: Record<string, number>;
  /** Simulated seconds the Wait states advanced the clock by. */
  readonly simulatedSeconds: number;
  /** The DRS calls the state machine's own Tasks made (SDK input form), in order. */
  readonly sdkCalls: Array<{ readonly state: string; readonly operation: string; readonly input: any; readonly error?: string }>;
  readonly eventLog: any[];
  /** History events as Step Functions would record them (README, "Limits"). */
  readonly historyEvents: number;
  /** The largest state input, output or task result (UTF-8 bytes), and where. */
  readonly largestPayload: { readonly bytes: number; readonly state: string; readonly what: string };
}

/** Successful DRS calls of the state machine's Tasks. */
export function successfulCalls(run: DrillRun, operation: string): any[] {
  return run.sdkCalls.filter((c) => c.operation === operation && !c.error);
}

function tasksOf(states: Record<string, any>, into: Record<string, any> = {}): Record<string, any> {
  for (const [name, state] of Object.entries(states)) {
    if (state.Type === 'Task') into[name] = state;
    const inner = state.ItemProcessor ?? state.Iterator;
    if (inner) tasksOf(inner.States, into);
    for (const branch of state.Branches ?? []) tasksOf(branch.States, into);
  }
  return into;
}

function waitsOf(states: Record<string, any>, into: Record<string, any> = {}): Record<string, any> {
  for (const [name, state] of Object.entries(states)) {
    if (state.Type === 'Wait') into[name] = state;
    const inner = state.ItemProcessor ?? state.Iterator;
    if (inner) waitsOf(inner.States, into);
    for (const branch of state.Branches ?? []) waitsOf(branch.States, into);
  }
  return into;
}

/** One Lambda invocation of the bundled asset, as Lambda's Invoke answers it. */
interface StepAnswer { readonly ok: boolean; readonly result?: unknown; readonly errorType?: string; readonly errorMessage?: string }

function invokeAsset(payload: unknown, env: Record<string, string>): Promise<StepAnswer> {
  return new Promise((done, fail) => {
    const child = fork(RUNNER, [], { execArgv: [], env, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    let answer: any;
    child.on('message', (m) => { answer = m; });
    child.on('error', fail);
    child.on('exit', (code) => (answer ? done(answer) : fail(new Error(`the Lambda step process exited with ${code} and no answer`))));
    child.send({ assetDir: STEPS_ASSET_DIR, handler: 'index.handler', event: payload });
  });
}

/**
 * The bundled asset loaded once per process for the in-process runner. Its module-level client
 * reads the endpoint once, so it talks to a forwarding endpoint of this process that passes each
 * request on to the endpoint of the execution running now (one local DRS at a time per process;
 * the local DRS's credentials depend only on the account).
 */
let forwarder: { endpoint: string; target?: string } | undefined;
let loadedAsset: any;

async function forwardingEndpoint(): Promise<{ endpoint: string; target?: string }> {
  if (forwarder) return forwarder;
  const state: { endpoint: string; target?: string } = { endpoint: '' };
  const server = http.createServer((req, res) => {
    const target = new URL(state.target ?? 'http://127.0.0.1:1');
    const out = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 500, answer.headers);
      answer.pipe(res);
    });
    out.on('error', () => res.destroy()); // a lost response stays lost
    req.pipe(out);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  server.unref();
  state.endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  forwarder = state;
  return state;
}

async function inProcessAsset(env: Record<string, string>): Promise<(payload: unknown) => Promise<StepAnswer>> {
  const fwd = await forwardingEndpoint();
  fwd.target = env.AWS_ENDPOINT_URL_DRS;
  const local = { ...env, AWS_ENDPOINT_URL_DRS: fwd.endpoint };
  if (!loadedAsset) {
    Object.assign(process.env, local);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loadedAsset = require(path.join(STEPS_ASSET_DIR, 'index.js'));
  }
  return async (payload) => {
    fwd.target = env.AWS_ENDPOINT_URL_DRS;
    Object.assign(process.env, local);
    try {
      const result = await loadedAsset.handler(JSON.parse(JSON.stringify(payload)), { functionName: 'drill-steps', getRemainingTimeInMillis: () => 300000 });
      return { ok: true, result: JSON.parse(JSON.stringify(result ?? null)) };
    } catch (err: any) {
      return { ok: false, errorType: err?.name ?? 'Error', errorMessage: err?.message ?? String(err) };
    }
  };
}

/** UTF-8 bytes of a value as Step Functions serializes it (JSON). */
export function payloadBytes(value: unknown): number {
  return value === undefined ? 0 : Buffer.byteLength(JSON.stringify(value), 'utf8');
}

/**
 * History events of one interpreter event, as a standard workflow records them (README,
 * "Limits"): `<Type>StateEntered` / `<Type>StateExited` per state; a Task attempt adds
 * TaskScheduled, TaskStarted and TaskSucceeded / TaskFailed (counted per handler call, not here);
 * a Map adds MapStateStarted and MapStateSucceeded / MapStateFailed, and MapIterationStarted and
 * MapIterationSucceeded / MapIterationFailed per iteration; a Parallel likewise; a Fail state has
 * no exit event (ExecutionFailed follows); the execution adds ExecutionStarted and its end event.
 */
function historyEventsOf(e: any): number {
  switch (e.type) {
    case 'ExecutionStarted': return 1;
    case 'StateEntered': return e.state.type === 'Map' || e.state.type === 'Parallel' ? 2 : 1;
    case 'StateExited': return e.state.type === 'Map' || e.state.type === 'Parallel' ? 2 : (e.state.type === 'Fail' ? 0 : 1);
    case 'StateFailed': return e.state.type === 'Map' || e.state.type === 'Parallel' ? 1 : 0;
    case 'MapIterationStarted': case 'MapIterationSucceeded': case 'MapIterationFailed': return 1;
    case 'ParallelBranchStarted': case 'ParallelBranchSucceeded': case 'ParallelBranchFailed': return 0;
    default: return 0;
  }
}

const never = <T>() => new Promise<T>(() => undefined);

/** The interpreter: an ES module package with a CommonJS build (main.node.cjs), typed loosely here. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { StateMachine } = require('aws-local-stepfunctions') as {
  StateMachine: new (definition: any, options?: any) => { run(input: any, options?: any): { result: Promise<any>; eventLogs: AsyncIterable<any> } };
};

const SDK_PREFIX = 'arn:aws:states:::aws-sdk:';
const VALIDATED = new WeakSet<object>();

export async function runDrill(o: DrillRunOptions): Promise<DrillRun> {
  const drs = new DrsSdk.DrsClient({ endpoint: o.endpoint, region: o.region, credentials: o.credentials, maxAttempts: 1 });
  const events: any[] = [];
  const metrics: any[] = [];
  const lambdaCalls: Record<string, number> = {};
  const sdkCalls: DrillRun['sdkCalls'] = [];
  let simulatedSeconds = 0;
  const lambdaEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    AWS_REGION: o.region,
    AWS_ACCESS_KEY_ID: o.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: o.credentials.secretAccessKey,
    AWS_ENDPOINT_URL_DRS: o.endpoint,
  };

  // Jobs this execution started, with the tags StartRecovery gave them: the local DRS authorizes
  // DescribeJobLogItems on the job ARN without the job's tags (README, guess 49), which IAM does
  // pass for the job resource type (aws:ResourceTag); the harness adds them for those jobs.
  const jobTags = new Map<string, Record<string, string>>();
  const withJobTags = (inner: Authorizer): Authorizer => (request) => {
    const jobId = request.action === 'drs:DescribeJobLogItems' ? request.resource.split(':job/')[1] : undefined;
    const tags = jobId ? jobTags.get(jobId) : undefined;
    if (!tags) return inner(request);
    return inner({ ...request, context: { ...request.context, ...Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:ResourceTag/${k}`, v])) } });
  };
  const actAs = (who: 'stateMachine' | 'steps') => o.iam?.set(who === 'steps' ? withJobTags(o.iam.steps) : o.iam.stateMachine);

  const inProcess = o.lambdaRunner === 'in-process';
  let inProcessStep: Promise<(payload: unknown) => Promise<StepAnswer>> | undefined;
  const payloadLimit = o.limits?.payloadBytes ?? PAYLOAD_LIMIT_BYTES;
  const historyLimit = o.limits?.historyEvents ?? HISTORY_LIMIT_EVENTS;
  const timeoutSeconds = o.timeoutSeconds ?? o.definition.TimeoutSeconds;
  const clock = o.now ?? (() => new Date());
  const startedAt = clock().getTime();
  const elapsed = () => (clock().getTime() - startedAt) / 1000;
  let historyEvents = 0;
  let largestPayload = { bytes: 0, state: '', what: '' };
  /** Set once the execution ended as AWS would end it whatever the interpreter does next: nothing runs after. */
  let fatal: { status: DrillRun['status']; error?: string; cause?: string } | undefined;
  let abort: () => void = () => undefined;
  const end = (f: NonNullable<typeof fatal>) => {
    if (fatal) return;
    fatal = f;
    abort();
  };
  const measure = (state: string, what: string, value: unknown) => {
    const bytes = payloadBytes(value);
    if (bytes > largestPayload.bytes) largestPayload = { bytes, state, what };
    if (bytes > payloadLimit) {
      // Not caught by States.ALL (nor retried): the execution fails.
      end({ status: 'FAILED', error: 'States.DataLimitExceeded', cause: `the ${what} of state ${state} is ${bytes} bytes, over the quota of ${payloadLimit}` });
    }
  };
  const countHistory = (n: number) => {
    historyEvents += n;
    if (historyEvents > historyLimit) {
      end({ status: 'FAILED', error: 'States.HistoryLimitExceeded', cause: `the execution's history passed ${historyLimit} events` });
    }
  };
  const checkTimeout = () => {
    if (timeoutSeconds !== undefined && elapsed() > timeoutSeconds) end({ status: 'TIMED_OUT', error: 'States.Timeout', cause: `the execution ran longer than its TimeoutSeconds (${timeoutSeconds})` });
  };

  const handlers: Record<string, (input: any) => Promise<any>> = {};
  for (const [name, state] of Object.entries(tasksOf(o.definition.States))) {
    const resource: string = state.Resource;
    if (resource === 'arn:aws:states:::lambda:invoke') {
      handlers[name] = async (input) => {
        const other = o.functions?.[input.FunctionName];
        if (other) {
          lambdaCalls[input.FunctionName] = (lambdaCalls[input.FunctionName] ?? 0) + 1;
          return { ExecutedVersion: '$LATEST', StatusCode: 200, Payload: await other(input.Payload) };
        }
        lambdaCalls[input.Payload?.Step] = (lambdaCalls[input.Payload?.Step] ?? 0) + 1;
        actAs('steps');
        const answer = inProcess
          ? await (await (inProcessStep ??= inProcessAsset(lambdaEnv)))(input.Payload)
          : await invokeAsset(input.Payload, lambdaEnv);
        if (!answer.ok) {
          const e = new Error(answer.errorMessage);
          e.name = answer.errorType ?? 'Error';
          throw e;
        }
        return { ExecutedVersion: '$LATEST', StatusCode: 200, Payload: answer.result };
      };
    } else if (resource === 'arn:aws:states:::events:putEvents') {
      handlers[name] = async (input) => {
        for (const entry of input.Entries) {
          // The optimized integration sends a JSON Detail as a string, as PutEvents wants it.
          events.push({ ...entry, Detail: typeof entry.Detail === 'string' ? JSON.parse(entry.Detail) : entry.Detail });
        }
        return { Entries: input.Entries.map((_: unknown, i: number) => ({ EventId: `local-event-${events.length + i}` })), FailedEntryCount: 0 };
      };
    } else if (resource === `${SDK_PREFIX}cloudwatch:putMetricData`) {
      handlers[name] = async (input) => {
        if (typeof input.Namespace !== 'string' || !Array.isArray(input.MetricData)) throw new Error('PutMetricData needs Namespace and MetricData');
        for (const datum of input.MetricData) metrics.push({ Namespace: input.Namespace, ...datum });
        return {};
      };
    } else if (resource === `${SDK_PREFIX}ec2:describeInstanceStatus`) {
      handlers[name] = async (input) => {
        if (!o.ec2) throw new Error(`state ${name} calls EC2, but the run has no ec2 fake`);
        const denied = o.iam?.stateMachine({ action: 'ec2:DescribeInstanceStatus', resource: '*', account: o.ec2.account, region: o.region, context: {} });
        if (denied && !denied.allowed) {
          sdkCalls.push({ state: name, operation: 'ec2:DescribeInstanceStatus', input, error: 'Ec2.UnauthorizedOperation' });
          const e = new Error(`not authorized to perform ec2:DescribeInstanceStatus: ${denied.reason ?? ''}`);
          e.name = 'Ec2.UnauthorizedOperation';
          throw e;
        }
        try {
          const output = o.ec2.describeInstanceStatus(input);
          sdkCalls.push({ state: name, operation: 'ec2:DescribeInstanceStatus', input });
          return output;
        } catch (err: any) {
          sdkCalls.push({ state: name, operation: 'ec2:DescribeInstanceStatus', input, error: err?.name });
          throw err;
        }
      };
    } else if (resource.startsWith(`${SDK_PREFIX}drs:`)) {
      const action = resource.slice(`${SDK_PREFIX}drs:`.length);
      const operation = action.charAt(0).toUpperCase() + action.slice(1);
      const Command = (DrsSdk as any)[`${operation}Command`];
      if (!Command) throw new Error(`@aws-sdk/client-drs has no ${operation}Command (state ${name})`);
      handlers[name] = async (input) => {
        const sdkInput = toSdkInput(operation, input);
        actAs('stateMachine');
        try {
          const raw = await drs.send(new Command(sdkInput)) as any;
          if (operation === 'StartRecovery' && raw.job?.jobID) jobTags.set(raw.job.jobID, sdkInput.tags as Record<string, string> ?? {});
          const output = fromSdkOutput(operation, raw as Record<string, unknown>);
          sdkCalls.push({ state: name, operation, input: sdkInput });
          return output;
        } catch (err) {
          const translated = sdkIntegrationError(err);
          sdkCalls.push({ state: name, operation, input: sdkInput, error: translated.name });
          throw translated;
        }
      };
    } else {
      throw new Error(`state ${name}: the harness cannot run resource ${resource}`);
    }
  }

  // Every Task attempt: the limits, the timeout and the test's hook first; nothing runs once the execution has ended.
  for (const [name, inner] of Object.entries(handlers)) {
    handlers[name] = async (input) => {
      await new Promise((r) => setImmediate(r)); // the event log catches up (its events count)
      checkTimeout();
      if (!fatal && o.beforeTask) {
        const verdict = await o.beforeTask(name, elapsed());
        if (verdict === 'STOP') end({ status: 'ABORTED' });
        if (verdict === 'TIME_OUT') end({ status: 'TIMED_OUT', error: 'States.Timeout' });
      }
      if (fatal) return never();
      countHistory(3); // TaskScheduled, TaskStarted, TaskSucceeded | TaskFailed
      measure(name, 'input (after Parameters)', input);
      if (fatal) return never();
      const result = await inner(input);
      measure(name, 'result', result);
      if (fatal) return never();
      return result;
    };
  }

  const waits: Record<string, number> = {};
  for (const [name, state] of Object.entries(waitsOf(o.definition.States))) {
    if (typeof state.Seconds !== 'number') throw new Error(`Wait state ${name}: only Seconds is supported by the harness`);
    Object.defineProperty(waits, name, {
      enumerable: true,
      // Read by the interpreter each time the state runs: the DRS clock moves, the wait is 0 ms.
      get: () => {
        if (fatal) return 2_147_483_647; // the execution has ended: the wait never returns
        simulatedSeconds += state.Seconds;
        o.advance(state.Seconds * 1000);
        checkTimeout();
        return 0;
      },
    });
  }

  // Validating a definition compiles a JSON schema (seconds): once per definition object.
  const validated = VALIDATED.has(o.definition);
  const machine = new StateMachine(o.definition, { validationOptions: { checkArn: false, checkPaths: true, noValidate: validated } });
  VALIDATED.add(o.definition);
  const executionName = o.executionName ?? `drill-${Date.now()}`;
  const execution = machine.run(o.input ?? {}, {
    overrides: {
      taskResourceLocalHandlers: handlers,
      waitTimeOverrides: waits,
      ...(o.instantRetries ? { retryIntervalOverrides: retryOverrides(o.definition.States) } : {}),
    },
    noThrowOnAbort: true,
    context: {
      Execution: { Name: executionName, Id: `arn:aws:states:${o.region}:000000000000:execution:drill:${executionName}` },
      // The interpreter has no $$.State: read when a state uses it, i.e. as it is entered.
      State: { get EnteredTime() { return (o.now ?? (() => new Date()))().toISOString(); } },
    },
  });
  abort = () => (execution as any).abort();
  const eventLog: any[] = [];
  const logging = (async () => {
    for await (const e of execution.eventLogs) {
      eventLog.push(e);
      if (fatal) continue;
      countHistory(historyEventsOf(e));
      if (e.type === 'StateEntered') measure(e.state.name, 'input', e.state.input);
      if (e.type === 'StateExited') measure(e.state.name, 'output', e.state.output);
      if (e.type === 'ExecutionStarted') measure('(execution)', 'input', e.input);
    }
  })();
  let status: DrillRun['status'] = 'SUCCEEDED';
  let output: any;
  let error: string | undefined;
  let cause: string | undefined;
  try {
    output = await execution.result;
    if (fatal) throw new Error('ended by the harness');
  } catch (err: any) {
    status = 'FAILED';
    const failed = eventLog.find((e) => e.type === 'ExecutionFailed');
    error = failed?.Error ?? err?.name;
    cause = failed?.Cause ?? err?.message;
  }
  await Promise.race([logging, new Promise((r) => setTimeout(r, 200))]);
  drs.destroy();
  o.iam?.set(undefined);
  const failedEvent = eventLog.find((e) => e.type === 'ExecutionFailed');
  if (fatal) {
    status = fatal.status;
    error = fatal.error;
    cause = fatal.cause;
    output = undefined;
  } else if (failedEvent) {
    error = failedEvent.Error;
    cause = typeof failedEvent.Cause === 'string' ? failedEvent.Cause : JSON.stringify(failedEvent.Cause);
  }
  const statesEntered: Record<string, number> = {};
  for (const e of eventLog) if (e.type === 'StateEntered') statesEntered[e.state.name] = (statesEntered[e.state.name] ?? 0) + 1;
  return {
    status,
    output,
    error,
    cause,
    transitions: eventLog.filter((e) => e.type === 'StateEntered').length,
    statesEntered,
    events,
    metrics,
    lambdaCalls,
    simulatedSeconds,
    sdkCalls,
    eventLog,
    historyEvents: historyEvents + (fatal ? 0 : 1), // the execution's end event
    largestPayload,
  };
}

/** Retry intervals of 0 ms for every state with a Retry, Map iterations included. */
function retryOverrides(states: Record<string, any>, into: Record<string, number> = {}): Record<string, number> {
  for (const [name, state] of Object.entries(states)) {
    if (state.Retry) into[name] = 0;
    const inner = state.ItemProcessor ?? state.Iterator;
    if (inner) retryOverrides(inner.States, into);
    for (const branch of state.Branches ?? []) retryOverrides(branch.States, into);
  }
  return into;
}
