import { HandlerEnv, ResourceTypes } from '../contract';
import type { CloudFormationClient } from './cloudformation/sdk';
import type { Env } from './drs/client';
import { HandlerError } from './drs/errors';
import { retryOptionsFromEnv } from './drs/retry';
import { DrsClient } from './drs/sdk';
import {
  createExtendedSourceServer,
  deleteExtendedSourceServer,
  Owner,
  updateExtendedSourceServer,
} from './lifecycle/extended-source-server';
import { LifecycleOptions, ResourceOutcome } from './lifecycle/options';
import { deleteServiceInitialization, initializeService } from './lifecycle/service-initialization';
import { isContinued, isReconcileRequest, stagingAccountExtension } from './lifecycle/staging-account-extension';
import { jsonLogger, Logger } from './log';
import { parseExtendedSourceServerProperties, PropertyError } from './properties';
import { CloudFormationEvent, CustomResourceResult, PutFunction, responseBody, sendResponse } from './response';

/** The parts of the Lambda context the handler uses (no dependency on @types/aws-lambda). */
export interface LambdaContextLike {
  readonly invokedFunctionArn?: string;
  readonly logStreamName?: string;
  getRemainingTimeInMillis?(): number;
}

export interface HandlerDeps {
  readonly client: DrsClient;
  /** Reads of the handler's own stack (see cloudformation/stack-resources.ts). */
  readonly cloudFormation?: CloudFormationClient;
  readonly env: Env;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Where log lines go. @default console.log */
  readonly write?: (line: string) => void;
  /** Sends the response body to ResponseURL. @default an http(s) PUT */
  readonly put?: PutFunction;
}

/** Prefix of the physical id sent with a failed Create: the Delete handlers know it means "nothing". */
export const FAILED_CREATE_PREFIX = 'failed-create:';

const DEFAULT_POLL_INTERVAL_MS = 10_000;
/** Lambda's maximum, for contexts without getRemainingTimeInMillis (local runs). */
const DEFAULT_REMAINING_MS = 15 * 60_000;
/** Kept free at the end of the invocation to send the response (with its own retries). */
const MAX_RESPONSE_MARGIN_MS = 20_000;
/** Kept free after waiting to delete a server that did not become EXTENDED. */
const MAX_CLEANUP_MARGIN_MS = 60_000;

function numberFromEnv(env: Env, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** `arn:aws:cloudformation:<region>:<account>:stack/<name>/<id>` → account and region. */
function accountAndRegion(event: CloudFormationEvent, context: LambdaContextLike, env: Env): { account: string; region: string } {
  const stack = (event.StackId ?? '').split(':');
  const fn = (context.invokedFunctionArn ?? '').split(':');
  return {
    account: stack[4] || fn[4] || 'unknown',
    region: env.AWS_REGION || stack[3] || fn[3] || 'unknown',
  };
}

function lifecycleOptions(event: CloudFormationEvent, context: LambdaContextLike, deps: HandlerDeps, log: Logger): LifecycleOptions {
  const now = deps.now ?? Date.now;
  const start = now();
  const remaining = context.getRemainingTimeInMillis?.() ?? DEFAULT_REMAINING_MS;
  // Margins shrink with short timeouts (local runs) so that some time is always left to work.
  const hardDeadline = start + remaining - Math.min(MAX_RESPONSE_MARGIN_MS, Math.floor(remaining / 10));
  const cleanupMargin = Math.min(MAX_CLEANUP_MARGIN_MS, Math.floor(remaining / 4));
  let deadline = Math.max(start, hardDeadline - cleanupMargin);
  const waitCap = numberFromEnv(deps.env, HandlerEnv.WAIT_TIMEOUT_MS);
  if (waitCap !== undefined) deadline = Math.min(deadline, start + waitCap);
  return {
    ...accountAndRegion(event, context, deps.env),
    now,
    sleep: deps.sleep ?? ((ms) => new Promise<void>((resolve) => setTimeout(resolve, ms))),
    pollIntervalMs: numberFromEnv(deps.env, HandlerEnv.POLL_INTERVAL_MS) ?? DEFAULT_POLL_INTERVAL_MS,
    deadline,
    retry: retryOptionsFromEnv(deps.env, { deadline: hardDeadline }),
    log,
  };
}

/** Properties of a Delete are only a hint: a resource whose properties no longer parse can still go. */
function tryParse(raw: unknown): ReturnType<typeof parseExtendedSourceServerProperties> | undefined {
  try {
    return parseExtendedSourceServerProperties(raw);
  } catch {
    return undefined;
  }
}

function ownerOf(event: CloudFormationEvent): Owner {
  return { stackId: event.StackId, logicalId: event.LogicalResourceId };
}

async function extendedSourceServer(event: CloudFormationEvent, deps: HandlerDeps, options: LifecycleOptions): Promise<ResourceOutcome> {
  const owner = ownerOf(event);
  const physicalResourceId = event.PhysicalResourceId ?? '';
  switch (event.RequestType) {
    case 'Create':
      return createExtendedSourceServer(deps.client, { owner, props: parseExtendedSourceServerProperties(event.ResourceProperties) }, options);
    case 'Update': {
      const props = parseExtendedSourceServerProperties(event.ResourceProperties);
      let oldProps;
      try {
        oldProps = parseExtendedSourceServerProperties(event.OldResourceProperties);
      } catch (err) {
        options.log?.('old properties do not parse; comparing with the server instead', { error: (err as Error).message });
      }
      return updateExtendedSourceServer(deps.client, { owner, props, oldProps, physicalResourceId }, options);
    }
    case 'Delete':
      return deleteExtendedSourceServer(deps.client, { owner, physicalResourceId, props: tryParse(event.ResourceProperties) }, options);
  }
}

async function serviceInitialization(event: CloudFormationEvent, deps: HandlerDeps, options: LifecycleOptions): Promise<ResourceOutcome> {
  return event.RequestType === 'Delete'
    ? deleteServiceInitialization(event.PhysicalResourceId ?? '', options)
    : initializeService(deps.client, options);
}

type Lifecycle = (event: CloudFormationEvent, deps: HandlerDeps, options: LifecycleOptions, context: LambdaContextLike) => Promise<ResourceOutcome>;

const LIFECYCLES: Record<string, Lifecycle> = {
  [ResourceTypes.EXTENDED_SOURCE_SERVER]: extendedSourceServer,
  [ResourceTypes.SERVICE_INITIALIZATION]: serviceInitialization,
  [ResourceTypes.STAGING_ACCOUNT_EXTENSION]: stagingAccountExtension,
};

/** A result; `continued` when a new invocation took the request over (it answers, this one does not). */
export interface HandlerResult extends CustomResourceResult {
  readonly continued?: boolean;
}

/** Lifecycles translate DRS errors into HandlerErrors; anything else is a bug in the handler. */
function failureMessage(err: unknown): string {
  if (err instanceof HandlerError || err instanceof PropertyError) return err.message;
  return `internal error in the handler: ${(err as Error)?.name}: ${(err as Error)?.message ?? String(err)}`;
}

/**
 * Runs the lifecycle for the event and decides the answer. Never throws: every failure becomes
 * FAILED with a reason. A failed Create answers with `failed-create:<RequestId>` (or the id of a
 * server that could not be cleaned up), which the Delete handlers recognise.
 */
export async function handleEvent(event: CloudFormationEvent, context: LambdaContextLike, deps: HandlerDeps): Promise<HandlerResult> {
  const base = { requestType: event.RequestType, logicalId: event.LogicalResourceId, resourceType: event.ResourceType };
  const preliminary = accountAndRegion(event, context, deps.env);
  const log = jsonLogger({ ...base, account: preliminary.account, region: preliminary.region }, deps.write);
  const options = lifecycleOptions(event, context, deps, log);
  const fallbackId = event.RequestType === 'Create'
    ? `${FAILED_CREATE_PREFIX}${event.RequestId}`
    : event.PhysicalResourceId ?? `${FAILED_CREATE_PREFIX}${event.RequestId}`;
  log('request received', { physicalResourceId: event.PhysicalResourceId ?? null, properties: event.ResourceProperties });

  const lifecycle = LIFECYCLES[event.ResourceType];
  if (!lifecycle) {
    if (event.RequestType === 'Delete' && fallbackId.startsWith(FAILED_CREATE_PREFIX)) {
      return { status: 'SUCCESS', physicalResourceId: fallbackId };
    }
    const reason = `unsupported resource type '${event.ResourceType}': this handler serves ${Object.keys(LIFECYCLES).join(', ')}; ` +
      'check that the construct library and its handler asset are the same version';
    log('failed', { reason });
    return { status: 'FAILED', physicalResourceId: fallbackId, reason };
  }

  try {
    const outcome = await lifecycle(event, deps, options, context);
    if (isContinued(outcome)) return { status: 'SUCCESS', physicalResourceId: outcome.physicalResourceId, continued: true };
    log('succeeded', { physicalResourceId: outcome.physicalResourceId, data: outcome.data ?? {} });
    return { status: 'SUCCESS', physicalResourceId: outcome.physicalResourceId, data: outcome.data };
  } catch (err) {
    const reason = failureMessage(err);
    const physicalResourceId = event.RequestType === 'Create' && err instanceof HandlerError && err.physicalResourceId
      ? err.physicalResourceId
      : fallbackId;
    log('failed', { reason, physicalResourceId, error: (err as Error)?.name });
    return { status: 'FAILED', physicalResourceId, reason };
  }
}

/** The whole invocation: decide, then tell CloudFormation. Throws only if the answer cannot be sent. */
export async function runHandler(event: CloudFormationEvent, context: LambdaContextLike, deps: HandlerDeps): Promise<HandlerResult> {
  const result = await handleEvent(event, context, deps);
  // A continued request is answered by its last invocation; a scheduled reconciliation by nobody.
  if (result.continued || isReconcileRequest(event)) return result;
  const withLogHint = result.status === 'FAILED' && context.logStreamName
    ? { ...result, reason: `${result.reason} (log stream ${context.logStreamName})` }
    : result;
  const { account, region } = accountAndRegion(event, context, deps.env);
  const log = jsonLogger({ requestType: event.RequestType, logicalId: event.LogicalResourceId, account, region }, deps.write);
  await sendResponse(event.ResponseURL, responseBody(event, withLogHint), { put: deps.put, sleep: deps.sleep, log });
  return result;
}
