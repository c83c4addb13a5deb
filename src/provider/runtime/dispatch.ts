import { answerFailedInvocation, isDestinationRecord } from './destination';
import type { HandlerDeps, LambdaContextLike } from './handler-deps';
import { CloudFormationEvent, CustomResourceResult, FAILED_CREATE_PREFIX, fallbackPhysicalId, isHttpsUrl, responseBody, responseBudgetMs, sendResponse } from './response';
import { DRS_CONNECTION_TIMEOUT_MS, DRS_REQUEST_TIMEOUT_MS, Env } from '../../aws/drs/client';
import { HandlerError } from '../../aws/drs/errors';
import { jsonLogger, Logger } from '../../common/runtime/log';
import { ResourceTypes } from '../../contract';
import {
  createExtendedSourceServer,
  deleteExtendedSourceServer,
  Owner,
  updateExtendedSourceServer,
} from '../../servers/runtime/extended-source-server';
import { LifecycleOptions, ResourceOutcome } from '../../servers/runtime/options';
import { NothingCreatedError, stackResourcesFrom, StackView } from '../../servers/runtime/ownership';
import { parseExtendedSourceServerProperties, PropertyError } from '../../servers/runtime/properties';
import { deleteServiceInitialization, initializeService } from '../../servers/runtime/service-initialization';
import { isContinued, isReconcileRequest, stagingAccountExtension } from '../../servers/runtime/staging-account-extension';


export type { HandlerDeps, HandlerTiming, LambdaContextLike } from './handler-deps';
export { FAILED_CREATE_PREFIX } from './response';
/**
 * Prefix of the physical id of a Create that failed before anything could exist (invalid
 * properties, DRS not initialized, access denied before or on the create, a refused claim): its
 * Delete succeeds without any call, so a rollback cannot wedge on the error that failed the Create.
 */
export const FAILED_CREATE_NOTHING_PREFIX = `${FAILED_CREATE_PREFIX}none:`;

const DEFAULT_POLL_INTERVAL_MS = 10_000;
/** IAM changes usually propagate within seconds; two minutes covers the slow cases. */
const DEFAULT_PROPAGATION_WINDOW_MS = 120_000;
/** Lambda's maximum, for contexts without getRemainingTimeInMillis (local runs). */
const DEFAULT_REMAINING_MS = 15 * 60_000;
/** The longest one DRS call can run once started. */
const CALL_BOUND_MS = DRS_CONNECTION_TIMEOUT_MS + DRS_REQUEST_TIMEOUT_MS;

/**
 * Deadlines of one invocation, from the end backwards: the response (every PUT attempt timing
 * out, plus backoff) must fit after the last DRS call, which may start at the hard deadline and
 * run its full request timeout; the work deadline leaves room for a few more calls (cleanup of a
 * server that did not settle, the final count, or the self-invocation that continues the work).
 * Margins shrink in proportion for invocations shorter than four times their sum (local runs);
 * the deployed function has 15 minutes, so they apply in full there.
 */
export interface Deadlines {
  /** No DRS call starts after it. */
  readonly hard: number;
  /** No new work starts after it. */
  readonly work: number;
}

export function deadlines(start: number, remainingMs: number): Deadlines {
  const response = responseBudgetMs();
  const call = CALL_BOUND_MS;
  const cleanup = 3 * CALL_BOUND_MS;
  const total = response + call + cleanup;
  const scale = Math.min(1, remainingMs / (4 * total));
  const end = start + remainingMs;
  const hard = end - Math.ceil((response + call) * scale);
  return { hard, work: Math.max(start, hard - Math.ceil(cleanup * scale)) };
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
  const { hard, work } = deadlines(start, remaining);
  const timing = deps.timing ?? {};
  const deadline = timing.waitTimeoutMs !== undefined ? Math.min(work, start + timing.waitTimeoutMs) : work;
  return {
    ...accountAndRegion(event, context, deps.env),
    now,
    sleep: deps.sleep ?? ((ms) => new Promise<void>((resolve) => setTimeout(resolve, ms))),
    pollIntervalMs: timing.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
    deadline,
    propagationWindowMs: event.RequestType === 'Create' ? timing.propagationWindowMs ?? DEFAULT_PROPAGATION_WINDOW_MS : 0,
    ...(timing.propagationMaxDelayMs !== undefined ? { propagationMaxDelayMs: timing.propagationMaxDelayMs } : {}),
    retry: { deadline: hard, ...(timing.retryBaseDelayMs !== undefined ? { baseDelayMs: timing.retryBaseDelayMs } : {}) },
    log,
    ...(deps.ec2 ? { ec2: deps.ec2 } : {}),
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
  const stack = new StackView(stackResourcesFrom(deps), event.StackId, options.log);
  switch (event.RequestType) {
    case 'Create':
      return createExtendedSourceServer(deps.client, { owner, stack, props: parseExtendedSourceServerProperties(event.ResourceProperties) }, options);
    case 'Update': {
      const props = parseExtendedSourceServerProperties(event.ResourceProperties);
      let oldProps;
      try {
        oldProps = parseExtendedSourceServerProperties(event.OldResourceProperties);
      } catch (err) {
        options.log?.('old properties do not parse; comparing with the server instead', { error: (err as Error).message });
      }
      return updateExtendedSourceServer(deps.client, { owner, stack, props, oldProps, physicalResourceId }, options);
    }
    case 'Delete':
      return deleteExtendedSourceServer(deps.client, { owner, stack, physicalResourceId, props: tryParse(event.ResourceProperties) }, options);
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
  const fallbackId = fallbackPhysicalId(event);
  log('request received', { physicalResourceId: event.PhysicalResourceId ?? null, properties: event.ResourceProperties });

  if (event.RequestType === 'Delete' && fallbackId.startsWith(FAILED_CREATE_NOTHING_PREFIX)) {
    log('nothing to delete: the create failed before anything could exist', { physicalResourceId: fallbackId });
    return { status: 'SUCCESS', physicalResourceId: fallbackId };
  }
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
    const nothing = err instanceof NothingCreatedError || err instanceof PropertyError;
    const physicalResourceId = event.RequestType !== 'Create'
      ? fallbackId
      : err instanceof HandlerError && err.physicalResourceId
        ? err.physicalResourceId
        : nothing ? `${FAILED_CREATE_NOTHING_PREFIX}${event.RequestId}` : fallbackId;
    log('failed', { reason, physicalResourceId, error: (err as Error)?.name });
    return { status: 'FAILED', physicalResourceId, reason };
  }
}

/** The whole invocation: decide, then tell CloudFormation. Throws only if the answer cannot be sent. */
export async function runHandler(event: CloudFormationEvent, context: LambdaContextLike, deps: HandlerDeps): Promise<HandlerResult | undefined> {
  // Lambda gave up on an asynchronous invocation (the on-failure destination is this function).
  if (isDestinationRecord(event)) {
    await answerFailedInvocation(event, context, {
      put: deps.put, sleep: deps.sleep, write: deps.write, env: deps.env, responseRetryBaseDelayMs: deps.timing?.responseRetryBaseDelayMs,
    });
    return undefined;
  }
  const { account, region } = accountAndRegion(event, context, deps.env);
  const log = jsonLogger({ requestType: event.RequestType, logicalId: event.LogicalResourceId, account, region }, deps.write);
  // Nothing is done for a request whose answer could not be delivered.
  if (!isReconcileRequest(event) && !deps.put && !isHttpsUrl(event.ResponseURL)) {
    log('refusing the request: its ResponseURL is not https, so no answer could be sent', {});
    return undefined;
  }
  const result = await handleEvent(event, context, deps);
  // A continued request is answered by its last invocation; a scheduled reconciliation by nobody.
  if (result.continued || isReconcileRequest(event)) return result;
  const withLogHint = result.status === 'FAILED' && context.logStreamName
    ? { ...result, reason: `${result.reason} (log stream ${context.logStreamName})` }
    : result;
  await sendResponse(event.ResponseURL, responseBody(event, withLogHint), {
    put: deps.put, sleep: deps.sleep, log, baseDelayMs: deps.timing?.responseRetryBaseDelayMs,
  });
  return result;
}
