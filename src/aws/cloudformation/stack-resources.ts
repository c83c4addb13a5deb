/**
 * Reads of the handler's own stack: whether a resource still exists, its status, physical id
 * and Metadata (which CloudFormation returns with intrinsic functions resolved), the list of
 * the stack's resources, and the stack's status. The handler role may call these on its own stack only.
 */
import { CloudFormationClient, DescribeStackResourceCommand, DescribeStacksCommand, ListStackResourcesCommand } from './sdk';
import { collectPages } from '../drs/paginate';

/** One resource of a stack as DescribeStackResource describes it. */
export interface StackResourceState {
  /** False when CloudFormation says the stack or the resource does not exist. */
  readonly exists: boolean;
  /** E.g. CREATE_COMPLETE, UPDATE_IN_PROGRESS, DELETE_IN_PROGRESS. */
  readonly status?: string;
  readonly physicalId?: string;
  readonly type?: string;
  /** The resource's resolved Metadata attribute, parsed; undefined when it has none. */
  readonly metadata?: unknown;
}

/** One row of ListStackResources. */
export interface StackResourceSummary {
  readonly logicalId: string;
  readonly physicalId?: string;
  readonly type: string;
  readonly status: string;
}

/** The Metadata did not parse as JSON (CloudFormation always returns a JSON document). */
export class MetadataError extends Error {}

interface ErrorLike { readonly name?: string; readonly Code?: string; readonly message?: string }

/**
 * CloudFormation answers `ValidationError` "Stack with id X does not exist" for a missing stack
 * and "Resource X does not exist for stack Y" for a missing resource.
 */
export function isDoesNotExist(err: unknown): boolean {
  const e = (typeof err === 'object' && err !== null ? err : {}) as ErrorLike;
  const name = e.name ?? e.Code;
  return name === 'ValidationError' && /does not exist/i.test(e.message ?? '');
}

/** Statuses in which a resource is going away: no new work may start for it. */
export function isBeingDeleted(status: string | undefined): boolean {
  return status === 'DELETE_IN_PROGRESS' || status === 'DELETE_COMPLETE' || status === 'DELETE_FAILED' ||
    status === 'DELETE_SKIPPED';
}

export async function describeStackResource(client: CloudFormationClient, stackId: string, logicalId: string): Promise<StackResourceState> {
  let detail;
  try {
    const out = await client.send(new DescribeStackResourceCommand({ StackName: stackId, LogicalResourceId: logicalId }));
    detail = out.StackResourceDetail;
  } catch (err) {
    if (isDoesNotExist(err)) return { exists: false };
    throw err;
  }
  if (!detail) return { exists: false };
  let metadata: unknown;
  if (detail.Metadata !== undefined && detail.Metadata !== '') {
    try {
      metadata = JSON.parse(detail.Metadata);
    } catch (err) {
      throw new MetadataError(`the Metadata of ${logicalId} in stack ${stackId} is not JSON: ${(err as Error).message}`);
    }
  }
  return {
    exists: true,
    status: detail.ResourceStatus,
    physicalId: detail.PhysicalResourceId,
    type: detail.ResourceType,
    metadata,
  };
}

/** Every resource of the stack (all pages); an empty list when the stack does not exist. */
export async function listStackResources(client: CloudFormationClient, stackId: string): Promise<StackResourceSummary[]> {
  try {
    const rows = await collectPages(async (nextToken) => {
      const out = await client.send(new ListStackResourcesCommand({ StackName: stackId, NextToken: nextToken }));
      return { items: out.StackResourceSummaries, nextToken: out.NextToken };
    });
    return rows.map((r) => ({
      logicalId: r.LogicalResourceId ?? '',
      physicalId: r.PhysicalResourceId,
      type: r.ResourceType ?? '',
      status: r.ResourceStatus ?? '',
    }));
  } catch (err) {
    if (isDoesNotExist(err)) return [];
    throw err;
  }
}

/**
 * The stack's status (DescribeStacks), e.g. UPDATE_IN_PROGRESS or UPDATE_ROLLBACK_IN_PROGRESS;
 * undefined when the stack does not exist.
 */
export async function describeStackStatus(client: CloudFormationClient, stackId: string): Promise<string | undefined> {
  try {
    const out = await client.send(new DescribeStacksCommand({ StackName: stackId }));
    return out.Stacks?.[0]?.StackStatus;
  } catch (err) {
    if (isDoesNotExist(err)) return undefined;
    throw err;
  }
}
