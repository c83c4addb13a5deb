/**
 * Ownership of extended servers across retries, renames, moves and rollbacks: the tag protocol
 * both resource types follow (docs/ownership.md), and the one read of the handler's own stack
 * it needs (which logical ids the stack still has).
 *
 * A server carries `stack-id` (never changes), `logical-id` (the resource that owns it now) and,
 * while a handover within the stack is not confirmed yet, `previous-logical-id` (the resource
 * that owned it before). The resource that takes a server over writes both; the previous owner's
 * Delete (CloudFormation's cleanup after a successful update) confirms by removing
 * `previous-logical-id`; the new owner's Delete while it is still there (a rollback) hands the
 * server back.
 */
import type { CloudFormationClient } from '../../aws/cloudformation/sdk';
import { describeStackResource, describeStackStatus, listStackResources } from '../../aws/cloudformation/stack-resources';
import { HandlerError } from '../../aws/drs/errors';
import { DrsClient, SourceServer, TagResourceCommand, UntagResourceCommand } from '../../aws/drs/sdk';
import { errorFields, Logger, silentLogger } from '../../common/runtime/log';
import { DECLARED_TAGS_METADATA_KEY, OwnerTags, RESERVED_TAG_KEYS, ResourceTypes, stagingAccountExtensionId } from '../../contract';

/** The custom resource that owns a server: recorded in the server's owner tags. */
export interface Owner {
  readonly stackId: string;
  readonly logicalId: string;
}

/** How a server relates to one resource, by its tags. */
export type Claim =
  /** Owned by this resource; `previous` names the resource it took the server from (unconfirmed). */
  | { readonly kind: 'mine'; readonly previous?: string }
  /** This resource handed it to `to` (same stack) and has not confirmed the handover yet. */
  | { readonly kind: 'lent'; readonly to: string }
  /** Owned by another resource of the same stack. */
  | { readonly kind: 'sibling'; readonly logicalId: string }
  /** Owned by another stack (the stack id never changes, so it stays that stack's). */
  | { readonly kind: 'foreign'; readonly stackId: string; readonly logicalId?: string }
  /** No owner tag: made by hand or by something else. */
  | { readonly kind: 'unowned' };

export function ownerTags(owner: Owner): Record<string, string> {
  return { [OwnerTags.STACK_ID]: owner.stackId, [OwnerTags.LOGICAL_ID]: owner.logicalId };
}

export function claimOf(server: SourceServer, owner: Owner): Claim {
  const tags = server.tags ?? {};
  const stackId = tags[OwnerTags.STACK_ID];
  const logicalId = tags[OwnerTags.LOGICAL_ID];
  // A previous id equal to the current one is a hand-back whose untag did not happen: no handover.
  const previous = tags[OwnerTags.PREVIOUS_LOGICAL_ID] !== logicalId ? tags[OwnerTags.PREVIOUS_LOGICAL_ID] : undefined;
  if (!stackId) return { kind: 'unowned' };
  if (stackId !== owner.stackId) return { kind: 'foreign', stackId, logicalId };
  if (logicalId === owner.logicalId) return previous ? { kind: 'mine', previous } : { kind: 'mine' };
  if (previous === owner.logicalId && logicalId) return { kind: 'lent', to: logicalId };
  return { kind: 'sibling', logicalId: logicalId ?? '' };
}

/** Both owner tags name this resource (a handover to it may still be unconfirmed). */
export function isOwnedBy(server: SourceServer, owner: Owner): boolean {
  return claimOf(server, owner).kind === 'mine';
}

/** One resource of a stack, as CloudFormation's ListStackResources describes it. */
export interface StackResource {
  readonly logicalId: string;
  readonly type: string;
  readonly physicalId?: string;
  readonly status?: string;
}

/** Reads the resources of a stack (the handler's own; its role may read no other). */
export interface StackResources {
  list(stackId: string): Promise<readonly StackResource[]>;
  /**
   * The user tags a resource of the stack declares (its Metadata,
   * `DECLARED_TAGS_METADATA_KEY`); undefined when it declares none there (a template from an
   * older release) or the resource is gone.
   */
  declaredTags?(stackId: string, logicalId: string): Promise<Record<string, string> | undefined>;
  /** The stack's status (DescribeStacks), e.g. DELETE_IN_PROGRESS; undefined when it does not exist. */
  stackStatus?(stackId: string): Promise<string | undefined>;
}

/** The declared tags in a resource's parsed Metadata, if it holds a string-valued object there. */
export function declaredTagsIn(metadata: unknown): Record<string, string> | undefined {
  const tags = (metadata as Record<string, unknown> | undefined)?.[DECLARED_TAGS_METADATA_KEY];
  if (typeof tags !== 'object' || tags === null || Array.isArray(tags)) return undefined;
  return Object.values(tags).every((v) => typeof v === 'string') ? tags as Record<string, string> : undefined;
}

/** The stack reads of the handler deps: an injected reader, else one over the CloudFormation client. */
export function stackResourcesFrom(
  deps: { readonly stackResources?: StackResources; readonly cloudFormation?: CloudFormationClient },
): StackResources | undefined {
  if (deps.stackResources) return deps.stackResources;
  const cfn = deps.cloudFormation;
  return cfn ? {
    list: (stackId) => listStackResources(cfn, stackId),
    declaredTags: async (stackId, logicalId) => declaredTagsIn((await describeStackResource(cfn, stackId, logicalId)).metadata),
    stackStatus: (stackId) => describeStackStatus(cfn, stackId),
  } : undefined;
}

/** Gone for good: what CloudFormation still lists in these states owns nothing any more. */
const GONE = new Set(['DELETE_COMPLETE', 'DELETE_SKIPPED']);

/**
 * The handler's own stack as CloudFormation sees it, read at most once per invocation. Callers
 * decide what an unknown answer means (`undefined`): the safe side differs per rule.
 */
export class StackView {
  private cached?: Promise<Map<string, StackResource> | undefined>;
  private readonly reads = new Map<string, Promise<unknown>>();
  private readonly log: Logger;

  constructor(private readonly source: StackResources | undefined, readonly stackId: string, log?: Logger) {
    this.log = log ?? silentLogger;
  }

  /** The stack's resources by logical id, or undefined when CloudFormation could not be asked. */
  resources(): Promise<Map<string, StackResource> | undefined> {
    this.cached ??= this.read();
    return this.cached;
  }

  /** Whether the stack still has `logicalId`; undefined when that cannot be told. */
  async has(logicalId: string): Promise<boolean | undefined> {
    const all = await this.resources();
    if (!all) return undefined;
    const r = all.get(logicalId);
    return r !== undefined && !GONE.has(r.status ?? '');
  }

  async get(logicalId: string): Promise<StackResource | undefined> {
    return (await this.resources())?.get(logicalId);
  }

  /**
   * The stack's status (DescribeStacks), read once per view (a view serves one invocation, and a
   * Delete or a prune asks for each server it hands back); undefined when it cannot be told.
   */
  stackStatus(): Promise<string | undefined> {
    return this.readOnce('stack-status', () => this.source?.stackStatus?.(this.stackId), 'could not read the stack\'s status', {});
  }

  /** Whether the whole stack is being deleted; undefined when that cannot be told. */
  async stackDeleting(): Promise<boolean | undefined> {
    if (!this.source?.stackStatus) return undefined;
    return (await this.stackStatus()) === 'DELETE_IN_PROGRESS';
  }

  /**
   * The user tags `logicalId` declares, when CloudFormation tells (see StackResources.declaredTags),
   * read once per view and resource.
   */
  declaredTags(logicalId: string): Promise<Record<string, string> | undefined> {
    return this.readOnce(`declared-tags:${logicalId}`, () => this.source?.declaredTags?.(this.stackId, logicalId),
      'could not read the tags a resource of the stack declares', { logicalId });
  }

  /** A read of the stack that is asked once per view; a failed read is logged and unknown. */
  private readOnce<T>(
    key: string, read: () => Promise<T | undefined> | undefined, failure: string, fields: Record<string, string>,
  ): Promise<T | undefined> {
    let answer = this.reads.get(key) as Promise<T | undefined> | undefined;
    if (!answer) {
      answer = (async () => {
        try {
          return await read();
        } catch (err) {
          this.log(failure, { stackId: this.stackId, ...fields, ...errorFields(err) });
          return undefined;
        }
      })();
      this.reads.set(key, answer);
    }
    return answer;
  }

  /** Like `has`, but an unknown answer is an error that names the permission. */
  async mustKnow(logicalId: string, why: string): Promise<boolean> {
    const known = await this.has(logicalId);
    if (known === undefined) {
      throw new NothingCreatedError(
        `could not read the resources of stack ${this.stackId} from CloudFormation, which is needed ${why}: ` +
        'the handler role needs cloudformation:ListStackResources on its own stack (see docs/iam.md); deploy again when it has it');
    }
    return known;
  }

  private async read(): Promise<Map<string, StackResource> | undefined> {
    if (!this.source) {
      this.log('no CloudFormation client: the stack\'s resources are unknown', { stackId: this.stackId });
      return undefined;
    }
    try {
      const rows = await this.source.list(this.stackId);
      return new Map(rows.map((r) => [r.logicalId, r]));
    } catch (err) {
      this.log('could not list the stack\'s resources', { stackId: this.stackId, ...errorFields(err) });
      return undefined;
    }
  }
}

/**
 * A Create failure after which nothing exists that the rollback's Delete would have to remove:
 * answered with a physical id that says so (dispatch.ts), whose Delete makes no DRS call.
 */
export class NothingCreatedError extends HandlerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, undefined, options);
  }
}

/** Re-throws `err` as a NothingCreatedError (keeping its message), for failures before any change. */
export function nothingCreated(err: unknown): never {
  if (err instanceof NothingCreatedError) throw err;
  if (err instanceof HandlerError) throw new NothingCreatedError(err.message, { cause: err });
  throw err;
}

/** DRS calls with the lifecycle's retries. */
export type Caller = <T>(operation: string, fn: () => Promise<T>) => Promise<T>;

/** Sets then removes tags; tag first, so an interruption never leaves a server without a logical id. */
export async function retag(
  client: DrsClient, call: Caller, resourceArn: string, set: Record<string, string>, remove: readonly string[],
): Promise<void> {
  if (Object.keys(set).length > 0) {
    await call('TagResource', () => client.send(new TagResourceCommand({ resourceArn, tags: set })));
  }
  if (remove.length > 0) {
    await call('UntagResource', () => client.send(new UntagResourceCommand({ resourceArn, tagKeys: [...remove] })));
  }
}

/** The user tags of `current` that `declared` lacks: a retag to exactly `declared` removes them. */
export function undeclaredUserTags(current: Record<string, string>, declared: Record<string, string>): string[] {
  return Object.keys(current).filter((k) => !RESERVED_TAG_KEYS.includes(k) && !Object.prototype.hasOwnProperty.call(declared, k));
}

/** A server's tags after a retag. */
export function tagsAfter(tags: Record<string, string>, change: { set: Record<string, string>; remove: readonly string[] }): Record<string, string> {
  const next: Record<string, string> = { ...tags, ...change.set };
  for (const k of change.remove) delete next[k];
  return next;
}

/** The tag changes of each step of the protocol. */
export const Handover = {
  /**
   * `owner` takes the server over from `from` (same stack). The server's user tags become
   * exactly `userTags` (owner's): the previous owner's user tags that owner does not declare are
   * removed (`current` is the server's tags now).
   */
  takeOver(owner: Owner, from: string, userTags: Record<string, string> = {}, current: Record<string, string> = {}) {
    return {
      set: { ...userTags, [OwnerTags.LOGICAL_ID]: owner.logicalId, [OwnerTags.PREVIOUS_LOGICAL_ID]: from },
      remove: undeclaredUserTags(current, userTags),
    };
  },
  /**
   * `owner` takes back a server it had lent, once no resource declares it any more: exactly
   * `userTags` (owner's) as user tags, and no previous owner.
   */
  takeBack(owner: Owner, userTags: Record<string, string>, current: Record<string, string> = {}) {
    return {
      set: { ...userTags, [OwnerTags.LOGICAL_ID]: owner.logicalId },
      remove: [OwnerTags.PREVIOUS_LOGICAL_ID, ...undeclaredUserTags(current, userTags)],
    };
  },
  /**
   * A rollback: the server goes back to the resource it was taken from. With `declared` (the
   * user tags that resource declares) they become the server's user tags again; without, the
   * user tags stay as they are.
   */
  handBack(to: string, declared?: Record<string, string>, current: Record<string, string> = {}) {
    if (!declared) return { set: { [OwnerTags.LOGICAL_ID]: to } as Record<string, string>, remove: [OwnerTags.PREVIOUS_LOGICAL_ID] };
    return {
      set: { ...declared, [OwnerTags.LOGICAL_ID]: to },
      remove: [OwnerTags.PREVIOUS_LOGICAL_ID, ...undeclaredUserTags(current, declared)],
    };
  },
  /** The previous owner is deleted (or gone): the handover is final. */
  confirm() {
    return { set: {} as Record<string, string>, remove: [OwnerTags.PREVIOUS_LOGICAL_ID] };
  },
  /** A server of this stack that no resource of the stack claims any more, claimed by `owner`. */
  adopt(owner: Owner) {
    return { set: { [OwnerTags.LOGICAL_ID]: owner.logicalId }, remove: [OwnerTags.PREVIOUS_LOGICAL_ID] };
  },
} as const;

/**
 * Whether `resource` (a sibling of the stack, from ListStackResources) is what holds `server` by
 * CloudFormation's account: an ExtendedSourceServer whose physical id is the server, or a
 * StagingAccountExtension whose physical id names the server's staging account. A sibling that
 * only shares the logical id on the server's tags (an earlier resource of that name was removed
 * with RETAIN, and the name was declared again for another server) does not hand it over.
 */
export function holds(resource: StackResource, server: SourceServer): boolean {
  // No physical id yet (its Create is in progress): nothing tells against it.
  if (resource.physicalId === undefined) return true;
  if (resource.type === ResourceTypes.EXTENDED_SOURCE_SERVER) return resource.physicalId === server.sourceServerID;
  if (resource.type === ResourceTypes.STAGING_ACCOUNT_EXTENSION) {
    const account = server.stagingArea?.stagingAccountID;
    return account !== undefined && resource.physicalId === stagingAccountExtensionId(account);
  }
  return false;
}

/**
 * What a Delete (or a prune) does with a server the resource owns: give it back (rollback) or
 * remove it. It goes back to the previous owner only if the stack still has it and it holds the
 * server (a resource that reuses the logical id for another server would not know it).
 */
export async function deleteDecision(
  claim: Claim, stack: StackView, log: Logger, server: SourceServer,
): Promise<'remove' | { handBackTo: string; tags?: Record<string, string> }> {
  if (claim.kind !== 'mine' || !claim.previous) return 'remove';
  const sourceServerId = server.sourceServerID;
  // The whole stack goes: this resource declares the server, and its declaration wins over the
  // resource it took it from (which may be retained). Handing back is for rollbacks and cleanups.
  if (await stack.stackDeleting() === true) {
    log('the stack is being deleted: removing the server rather than handing it back', { sourceServerId, previous: claim.previous });
    return 'remove';
  }
  const present = await stack.has(claim.previous);
  if (present === false) return 'remove';
  const previous = present ? await stack.get(claim.previous) : undefined;
  if (previous && !holds(previous, server)) {
    log('the previous owner does not hold the server (its physical id is another): removing it', { sourceServerId, previous: claim.previous, physicalId: previous.physicalId });
    return 'remove';
  }
  // Present, or unknown: handing back deletes nothing, deleting cannot be undone.
  if (present === undefined) log('cannot tell whether the previous owner still exists; handing the server back', { sourceServerId, to: claim.previous });
  // The previous owner's declared tags come back with it (the resource that took it set its own).
  const tags = await stack.declaredTags(claim.previous);
  return { handBackTo: claim.previous, ...(tags ? { tags } : {}) };
}

/** Why an existing extension cannot be claimed, and what to do about it. */
export function refusalFor(claim: Claim, what: string, owner: Owner, where: string): string | undefined {
  switch (claim.kind) {
    case 'foreign':
      return `${what} is owned by stack ${claim.stackId} (resource ${claim.logicalId ?? 'unknown'}), not by this stack ${owner.stackId}: ` +
        'a server never changes stacks (IAM keeps its stack-id tag). To move it, remove it from the other stack ' +
        '(which deletes it there) and deploy this one, which extends it again (its launch settings start from the defaults); ' +
        `or keep it where it is and import it here with ExtendedSourceServer.fromSourceServerId(...). (${where})`;
    case 'unowned':
      return `${what} was not created by a cdk-drs-multi-account stack: import it with ExtendedSourceServer.fromSourceServerId(...) ` +
        `or delete it first (${where})`;
    default:
      return undefined;
  }
}
