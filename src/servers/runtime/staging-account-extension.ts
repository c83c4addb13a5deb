/**
 * `Custom::DrsStagingAccountExtension`: one resource extends every matching server of one staging
 * account. Every request (Create, Update, the optional schedule's Reconcile) reconciles DRS with
 * the properties, reading the state afresh; Delete removes exactly the servers this resource owns.
 *
 * Long runs continue in a new asynchronous invocation of the same function, carrying the original
 * event and a few counters; only the last invocation answers CloudFormation. Nothing else is
 * carried: each invocation re-reads DRS (describe + list), so a lost or repeated invocation is
 * harmless.
 */
import { LifecycleOptions, ResourceOutcome } from './options';
import { Owner, stackResourcesFrom, StackView } from './ownership';
import { readScheduledRequest, requestGuard } from './request-guard';
import { parseStagingAccountExtensionProperties } from './staging-account-extension-properties';
import { reconcileStagingAccount, removeOwnedServers } from './staging-account-reconcile';
import { Continuation, DEFAULTS, ReconcileResult, ReconcileSettings } from './staging-account-session';
import { HandlerError } from '../../aws/drs/errors';
import { InvokeAsync, lambdaInvoker } from '../../aws/lambda/invoke';
import { silentLogger } from '../../common/runtime/log';
import {
  RECONCILE_METADATA_KEY,
  RECONCILE_REQUEST_TYPE,
  STAGING_ACCOUNT_EXTENSION_ID_PREFIX,
  stagingAccountExtensionId,
  validateAccountId,
} from '../../contract';
import type { HandlerDeps, LambdaContextLike } from '../../provider/runtime/handler-deps';
import { CloudFormationEvent } from '../../provider/runtime/response';

export type { Continuation, ReconcileSettings } from './staging-account-session';
export { reconcileStagingAccount, removeOwnedServers } from './staging-account-reconcile';

/** An outcome that was not final: a new invocation carries on and answers. */
export interface ContinuedOutcome extends ResourceOutcome {
  readonly continued: true;
}

export function isContinued(outcome: ResourceOutcome): outcome is ContinuedOutcome {
  return (outcome as Partial<ContinuedOutcome>).continued === true;
}

/** A scheduled reconciliation (no CloudFormation request, nobody to answer). */
export function isReconcileRequest(event: { readonly RequestType?: string }): boolean {
  return event.RequestType === RECONCILE_REQUEST_TYPE;
}

function readContinuation(event: CloudFormationEvent, now: () => number): Continuation {
  const c = (event as { Continuation?: Partial<Continuation> }).Continuation;
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined);
  if (c && num(c.invocation) && num(c.startedAt) !== undefined) {
    return { invocation: c.invocation!, startedAt: c.startedAt!, extended: num(c.extended) ?? 0, pruned: num(c.pruned) ?? 0 };
  }
  return { invocation: 1, startedAt: now(), extended: 0, pruned: 0 };
}

/** The staging account of a Delete: from our physical id, else from the properties (a failed create). */
function stagingAccountForDelete(event: CloudFormationEvent): string | undefined {
  const id = event.PhysicalResourceId ?? '';
  const fromId = id.startsWith(STAGING_ACCOUNT_EXTENSION_ID_PREFIX) ? id.slice(STAGING_ACCOUNT_EXTENSION_ID_PREFIX.length) : undefined;
  const fromProps = (event.ResourceProperties ?? {}).StagingAccountId;
  const candidate = fromId ?? (typeof fromProps === 'string' ? fromProps : undefined);
  return candidate !== undefined && validateAccountId('StagingAccountId', candidate).length === 0 ? candidate : undefined;
}

/** Hands the rest to a new invocation, or gives up when the request has run out of time or invocations. */
async function continueElsewhere(
  event: CloudFormationEvent, context: LambdaContextLike, deps: HandlerDeps & { readonly invoke?: InvokeAsync },
  options: LifecycleOptions, result: Extract<ReconcileResult, { kind: 'continue' }>, physicalResourceId: string, settings: ReconcileSettings,
): Promise<ContinuedOutcome> {
  const s = { ...DEFAULTS, ...settings };
  const { progress } = result;
  const elapsedMin = Math.round((options.now() - progress.startedAt) / 60_000);
  if (progress.invocation >= s.maxInvocations || options.now() >= progress.startedAt + s.totalBudgetMs) {
    throw new HandlerError(
      `reconciling staging account servers did not finish after ${progress.invocation} invocation(s) and ${elapsedMin} minute(s) ` +
      `(${result.why}; ${progress.extended} extended, ${progress.pruned} removed so far): DRS may be throttling heavily; deploy again later`,
      physicalResourceId);
  }
  const functionName = context.invokedFunctionArn || deps.env.AWS_LAMBDA_FUNCTION_NAME;
  if (!functionName) throw new HandlerError('cannot continue in a new invocation: the function does not know its own name', physicalResourceId);
  const next: Continuation = { ...progress, invocation: progress.invocation + 1 };
  const invoke = deps.invoke ?? lambdaInvoker(deps.env);
  try {
    await invoke(functionName, { ...event, Continuation: next });
  } catch (err) {
    throw new HandlerError(`could not continue in a new invocation of ${functionName} (${(err as Error).message}): ` +
      'the handler role needs lambda:InvokeFunction on its own function', physicalResourceId, { cause: err });
  }
  (options.log ?? silentLogger)('continuing in a new invocation', { why: result.why, invocation: next.invocation, extended: next.extended, pruned: next.pruned });
  return { physicalResourceId, continued: true };
}

/**
 * The dispatch entry: Create, Update and Reconcile reconcile; Delete removes the owned servers.
 * The physical id names the staging account, so changing StagingAccountId replaces the resource
 * (and CloudFormation's Delete of the old one removes the old staging account's servers).
 */
export async function stagingAccountExtension(
  event: CloudFormationEvent, deps: HandlerDeps & { readonly invoke?: InvokeAsync }, options: LifecycleOptions,
  context: LambdaContextLike = {}, settings: ReconcileSettings = {},
): Promise<ResourceOutcome> {
  const owner: Owner = { stackId: event.StackId, logicalId: event.LogicalResourceId };
  const progress = readContinuation(event, options.now);
  const requestType = event.RequestType as string;

  const stack = new StackView(stackResourcesFrom(deps), event.StackId, options.log);
  const log = options.log ?? silentLogger;

  if (requestType === 'Delete') {
    const physicalResourceId = event.PhysicalResourceId ?? '';
    const stagingAccountId = stagingAccountForDelete(event);
    // Only the physical id's staging account: a Delete cannot tell the resource's own end from the
    // cleanup (or the rollback) of a replaced physical id, whose servers are the only ones to go.
    // Servers left in other accounts by a failed update are removed by the next Create or Update.
    if (!stagingAccountId) {
      log('nothing to delete: no staging account in the physical id or properties', { physicalResourceId });
      return { physicalResourceId };
    }
    const result = await removeOwnedServers(deps.client, { owner, stagingAccountId, progress, stack }, options, settings);
    if (result.kind === 'stopped') return { physicalResourceId };
    if (result.kind === 'continue') return continueElsewhere(event, context, deps, options, result, physicalResourceId, settings);
    return { physicalResourceId };
  }

  const guard = requestGuard(deps.cloudFormation, event, log);
  const stopped = (why: string): ContinuedOutcome => {
    log('stopping without acting', { why, invocation: progress.invocation });
    return { physicalResourceId: event.PhysicalResourceId ?? '', continued: true };
  };
  let rawProperties: unknown = event.ResourceProperties;
  let scheduledPhysicalId: string | undefined;
  if (isReconcileRequest(event)) {
    const scheduled = await readScheduledRequest(deps.cloudFormation, event, RECONCILE_METADATA_KEY);
    if (scheduled.stop !== undefined) return stopped(scheduled.stop);
    rawProperties = scheduled.properties;
    scheduledPhysicalId = scheduled.physicalResourceId;
  } else if (progress.invocation > 1) {
    // A continuation: the request may have been answered meanwhile (a duplicate chain) or given up.
    const why = await guard();
    if (why) return stopped(why);
  }
  const props = parseStagingAccountExtensionProperties(rawProperties);
  let oldTags: Record<string, string> | undefined;
  if (requestType === 'Update') {
    try {
      oldTags = parseStagingAccountExtensionProperties(event.OldResourceProperties).tags;
    } catch (err) {
      log('old properties do not parse; no tags are removed', { error: (err as Error).message });
    }
  }
  const physicalResourceId = stagingAccountExtensionId(props.stagingAccountId);
  if (scheduledPhysicalId !== undefined && scheduledPhysicalId !== physicalResourceId) {
    log('the scheduled run\'s properties name another staging account than the resource\'s physical id', { scheduledPhysicalId, physicalResourceId });
  }
  // Servers of a staging account the resource no longer declares are removed on Create and
  // Update, except those of the account CloudFormation still holds as its physical id (their
  // Delete comes, or the rollback keeps them). A scheduled run may overlap a deployment: it
  // leaves other accounts alone.
  const current = stagingAccountForDelete({ ...event, ResourceProperties: {} } as CloudFormationEvent);
  const otherAccounts = requestType === 'Reconcile'
    ? undefined
    : { keep: [props.stagingAccountId, ...(requestType === 'Update' && current ? [current] : [])] };
  // The stack is rolling an update back: UPDATE_ROLLBACK_IN_PROGRESS, the status of "the return of
  // one or more stacks to the previous working state after failed stack update". Not when that
  // cannot be told (no client, or DescribeStacks failed: logged by the view).
  const rollingBack = requestType === 'Update' ? async () => (await stack.stackStatus()) === 'UPDATE_ROLLBACK_IN_PROGRESS' : undefined;
  const result = await reconcileStagingAccount(deps.client, {
    owner,
    props,
    oldTags,
    progress,
    physicalResourceId,
    stack,
    takeOver: requestType === 'Create',
    otherAccounts,
    guard,
    rollingBack,
    settlePerServer: requestType === 'Create' || requestType === 'Update',
  }, options, settings);
  if (result.kind === 'stopped') return stopped(result.why);
  if (result.kind === 'continue') return continueElsewhere(event, context, deps, options, result, physicalResourceId, settings);
  return { physicalResourceId, data: result.data };
}
