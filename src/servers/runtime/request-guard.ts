/**
 * Whether a chain of invocations may still act for its request, from the resource's state in
 * CloudFormation (DescribeStackResource on the handler's own stack). A scheduled run stops when
 * the resource is gone, being deleted, or in the middle of a CloudFormation request (which
 * reconciles by itself); a continuation of a Create or Update stops once the resource is no longer
 * in that request's `*_IN_PROGRESS` status (the request was answered, by this chain or a duplicate
 * of it, or the stack moved on to a rollback or a delete). Deletes never stop: removing owned
 * servers twice is harmless. Without a CloudFormation client (or when the read fails) nothing stops:
 * the guard only ever prevents work.
 */
import type { CloudFormationClient } from '../../aws/cloudformation/sdk';
import { describeStackResource, isBeingDeleted, StackResourceState } from '../../aws/cloudformation/stack-resources';
import { HandlerError } from '../../aws/drs/errors';
import { errorFields, Logger, silentLogger } from '../../common/runtime/log';
import { RECONCILE_REQUEST_TYPE } from '../../contract';

/** Resolves to a reason to stop, or undefined to go on. */
export type RequestGuard = () => Promise<string | undefined>;

export interface GuardedRequest {
  readonly RequestType: string;
  readonly StackId: string;
  readonly LogicalResourceId: string;
}

/** Why a run for `requestType` must not act on a resource in `state`, or undefined. */
export function stopReason(requestType: string, state: StackResourceState): string | undefined {
  if (requestType === 'Delete') return undefined;
  if (!state.exists) return 'the resource no longer exists in its stack';
  const status = state.status ?? 'unknown';
  if (isBeingDeleted(status)) return `the resource is being deleted (${status})`;
  if (requestType === RECONCILE_REQUEST_TYPE) {
    return status.endsWith('_IN_PROGRESS') ? `a CloudFormation request for the resource is in progress (${status}); it reconciles by itself` : undefined;
  }
  const expected = `${requestType.toUpperCase()}_IN_PROGRESS`;
  return status === expected ? undefined : `the ${requestType} request is no longer in progress (status ${status}): it was answered or the stack moved on`;
}

export function requestGuard(cloudFormation: CloudFormationClient | undefined, event: GuardedRequest, log: Logger = silentLogger): RequestGuard {
  return async () => {
    if (!cloudFormation || event.RequestType === 'Delete') return undefined;
    try {
      return stopReason(event.RequestType, await describeStackResource(cloudFormation, event.StackId, event.LogicalResourceId));
    } catch (err) {
      log('could not read the resource\'s state in CloudFormation; going on', errorFields(err));
      return undefined;
    }
  };
}

/** What a scheduled run works from: the resource's properties and physical id as CloudFormation holds them. */
export type ScheduledRequest =
  | { readonly stop: string }
  | { readonly stop?: undefined; readonly properties: unknown; readonly physicalResourceId: string };

/**
 * Reads a scheduled run's resource: its reconcile properties from the resolved Metadata (an Input
 * of an earlier version may still carry ResourceProperties: used when the Metadata has none).
 */
export async function readScheduledRequest(
  cloudFormation: CloudFormationClient | undefined,
  event: GuardedRequest & { readonly PhysicalResourceId?: string; readonly ResourceProperties?: unknown },
  metadataKey: string,
): Promise<ScheduledRequest> {
  if (!cloudFormation) {
    if (event.ResourceProperties !== undefined) return { properties: event.ResourceProperties, physicalResourceId: event.PhysicalResourceId ?? '' };
    throw new HandlerError('a scheduled run needs the CloudFormation client to read the resource\'s properties');
  }
  let state: StackResourceState;
  try {
    state = await describeStackResource(cloudFormation, event.StackId, event.LogicalResourceId);
  } catch (err) {
    throw new HandlerError(`could not read resource ${event.LogicalResourceId} of stack ${event.StackId} (${(err as Error).message}): ` +
      'the handler role needs cloudformation:DescribeStackResource on its own stack', undefined, { cause: err });
  }
  const stop = stopReason(RECONCILE_REQUEST_TYPE, state);
  if (stop) return { stop };
  const fromMetadata = (state.metadata as Record<string, unknown> | undefined)?.[metadataKey];
  const properties = fromMetadata ?? event.ResourceProperties;
  if (properties === undefined) return { stop: `the resource has no ${metadataKey} metadata (was its reconcileSchedule removed?)` };
  return { properties, physicalResourceId: state.physicalId ?? event.PhysicalResourceId ?? '' };
}
