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
}

export interface DrillRun {
  readonly status: 'SUCCEEDED' | 'FAILED';
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

/** The interpreter: an ES module package with a CommonJS build (main.node.cjs), typed loosely here. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { StateMachine } = require('aws-local-stepfunctions') as {
  StateMachine: new (definition: any, options?: any) => { run(input: any, options?: any): { result: Promise<any>; eventLogs: AsyncIterable<any> } };
};

const SDK_PREFIX = 'arn:aws:states:::aws-sdk:';

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
        const answer = await invokeAsset(input.Payload, lambdaEnv);
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

  const waits: Record<string, number> = {};
  for (const [name, state] of Object.entries(waitsOf(o.definition.States))) {
    if (typeof state.Seconds !== 'number') throw new Error(`Wait state ${name}: only Seconds is supported by the harness`);
    Object.defineProperty(waits, name, {
      enumerable: true,
      // Read by the interpreter each time the state runs: the DRS clock moves, the wait is 0 ms.
      get: () => { simulatedSeconds += state.Seconds; o.advance(state.Seconds * 1000); return 0; },
    });
  }

  const machine = new StateMachine(o.definition, { validationOptions: { checkArn: false, checkPaths: true } });
  const executionName = o.executionName ?? `drill-${Date.now()}`;
  const execution = machine.run(o.input ?? {}, {
    overrides: { taskResourceLocalHandlers: handlers, waitTimeOverrides: waits },
    context: {
      Execution: { Name: executionName, Id: `arn:aws:states:${o.region}:000000000000:execution:drill:${executionName}` },
      // The interpreter has no $$.State: read when a state uses it, i.e. as it is entered.
      State: { get EnteredTime() { return (o.now ?? (() => new Date()))().toISOString(); } },
    },
  });
  const eventLog: any[] = [];
  const logging = (async () => { for await (const e of execution.eventLogs) eventLog.push(e); })();
  let status: DrillRun['status'] = 'SUCCEEDED';
  let output: any;
  let error: string | undefined;
  let cause: string | undefined;
  try {
    output = await execution.result;
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
  if (failedEvent) {
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
  };
}
