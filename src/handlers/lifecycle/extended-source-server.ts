import { LifecycleOptions, ResourceOutcome, retrying } from './options';
import { removeSourceServer } from './removal';
import { ExtendedSourceServerAttributes, OWNER_TAG_KEYS, OwnerTags, Patterns } from '../../contract';
import { collectDescribePages } from '../drs/describe-pages';
import { drsFailure, ErrorContext, HandlerError, isDefaultEbsKeyError, isNotFound } from '../drs/errors';
import {
  CreateExtendedSourceServerCommand,
  DescribeSourceServersCommand,
  DrsClient,
  SourceServer,
  TagResourceCommand,
  UntagResourceCommand,
} from '../drs/sdk';
import { errorFields, Logger, silentLogger } from '../log';
import { ExtendedSourceServerInput } from '../properties';

/** The custom resource that owns a server: recorded in the server's owner tags. */
export interface Owner {
  readonly stackId: string;
  readonly logicalId: string;
}

export interface CreateRequest {
  readonly owner: Owner;
  readonly props: ExtendedSourceServerInput;
  /**
   * The resource's current physical id (Update only). A server with this id is already the
   * stack's resource: if it is adopted and then fails, it is not deleted here.
   */
  readonly currentPhysicalId?: string;
}

export interface UpdateRequest {
  readonly owner: Owner;
  readonly props: ExtendedSourceServerInput;
  /** Undefined when the old properties could not be parsed. */
  readonly oldProps?: ExtendedSourceServerInput;
  readonly physicalResourceId: string;
}

export interface DeleteRequest {
  readonly owner: Owner;
  readonly physicalResourceId: string;
  /** The resource's properties, when they parse: used to find a server a failed create left. */
  readonly props?: ExtendedSourceServerInput;
}

export function ownerTags(owner: Owner): Record<string, string> {
  return { [OwnerTags.STACK_ID]: owner.stackId, [OwnerTags.LOGICAL_ID]: owner.logicalId };
}

export function isOwnedBy(server: SourceServer, owner: Owner): boolean {
  const tags = server.tags ?? {};
  return tags[OwnerTags.STACK_ID] === owner.stackId && tags[OwnerTags.LOGICAL_ID] === owner.logicalId;
}

/** DRS calls with retries, logging and error context for one invocation. */
class Drs {
  readonly log: Logger;
  constructor(readonly client: DrsClient, readonly options: LifecycleOptions) {
    this.log = options.log ?? silentLogger;
  }

  ctx(operation: string, extra: Partial<ErrorContext> = {}): ErrorContext {
    return { operation, account: this.options.account, region: this.options.region, ...extra };
  }

  call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    return retrying(this.options, operation)(fn);
  }

  /** The server, or undefined when it does not exist (not listed, or ResourceNotFound). */
  async describeOne(sourceServerId: string): Promise<SourceServer | undefined> {
    try {
      const out = await this.call('DescribeSourceServers', () =>
        this.client.send(new DescribeSourceServersCommand({ filters: { sourceServerIDs: [sourceServerId] } })));
      return out.items?.find((s) => s.sourceServerID === sourceServerId);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw drsFailure(err, this.ctx('DescribeSourceServers', { sourceServerId }));
    }
  }

  /** The server in this account extended from `stagingSourceServerArn`, if any. */
  async findExtendedFrom(props: ExtendedSourceServerInput): Promise<SourceServer | undefined> {
    const stagingAccountIDs = [props.staging.account];
    try {
      const servers = await collectDescribePages((maxResults, nextToken) => this.call('DescribeSourceServers', () =>
        this.client.send(new DescribeSourceServersCommand({ filters: { stagingAccountIDs }, maxResults, nextToken }))), this.log);
      return servers.find((s) => s.stagingArea?.stagingSourceServerArn === props.stagingSourceServerArn);
    } catch (err) {
      throw drsFailure(err, this.ctx('DescribeSourceServers', { stagingSourceServerArn: props.stagingSourceServerArn }));
    }
  }

  /** Disconnects when needed and deletes a server (see removal.ts). */
  async remove(server: SourceServer): Promise<void> {
    const { account, region } = this.options;
    const result = await removeSourceServer(server, {
      client: this.client,
      call: (operation, fn) => this.call(operation, fn),
      failure: (operation, sourceServerId, err) => drsFailure(err, this.ctx(operation, { sourceServerId })),
      recoveryInstance: (sourceServerId, recoveryInstanceId) => new HandlerError(
        `server ${sourceServerId} in account ${account} region ${region} has recovery instance ${recoveryInstanceId}: ` +
        'terminate it (TerminateRecoveryInstances) or disconnect it, then retry the delete, or set removalPolicy RETAIN'),
      log: this.log,
    });
    if (result === 'deleted') this.log('deleted source server', { sourceServerId: server.sourceServerID });
  }
}

function attributesOf(server: SourceServer, props: ExtendedSourceServerInput, options: LifecycleOptions): Record<string, string> {
  const id = server.sourceServerID!;
  return {
    [ExtendedSourceServerAttributes.SOURCE_SERVER_ID]: id,
    [ExtendedSourceServerAttributes.SOURCE_SERVER_ARN]: server.arn ??
      `arn:${props.staging.partition}:drs:${options.region}:${options.account}:source-server/${id}`,
    [ExtendedSourceServerAttributes.STAGING_ACCOUNT_ID]: server.stagingArea?.stagingAccountID ?? props.staging.account,
    [ExtendedSourceServerAttributes.STAGING_SOURCE_SERVER_ARN]: props.stagingSourceServerArn,
  };
}

class AlreadyExtendedError extends HandlerError {}

/**
 * An existing extension of the same staging server: ours (a retried create) is adopted; anyone
 * else's is refused, because deleting it later would break whoever made it.
 */
async function adoptExisting(drs: Drs, props: ExtendedSourceServerInput, owner: Owner): Promise<SourceServer | undefined> {
  const existing = await drs.findExtendedFrom(props);
  if (!existing) return undefined;
  const sourceServerId = existing.sourceServerID;
  if (isOwnedBy(existing, owner)) {
    drs.log('adopting the server an earlier attempt of this resource created', { sourceServerId });
    return existing;
  }
  const tags = existing.tags ?? {};
  const ownedBy = tags[OwnerTags.STACK_ID]
    ? ` (owned by stack ${tags[OwnerTags.STACK_ID]}, resource ${tags[OwnerTags.LOGICAL_ID] ?? 'unknown'})`
    : '';
  throw new AlreadyExtendedError(
    `staging source server ${props.stagingSourceServerArn} is already extended into account ${drs.options.account} as ${sourceServerId}${ownedBy}: ` +
    'import it with ExtendedSourceServer.fromSourceServerId(...) or delete it first');
}

/** Errors after which CreateExtendedSourceServer certainly created nothing: no need to look. */
function certainlyNotCreated(err: unknown): boolean {
  const name = (err as { name?: string } | undefined)?.name;
  return isDefaultEbsKeyError(err) || ['AccessDeniedException', 'UninitializedAccountException',
    'ServiceQuotaExceededException', 'ResourceNotFoundException'].includes(name ?? '');
}

async function waitUntilExtended(drs: Drs, initial: SourceServer, props: ExtendedSourceServerInput): Promise<SourceServer> {
  const { now, sleep, pollIntervalMs, deadline, account, region } = drs.options;
  const sourceServerId = initial.sourceServerID!;
  const started = now();
  let current: SourceServer | undefined = initial;
  for (;;) {
    const status = current?.stagingArea?.status;
    if (status === 'EXTENDED') return current!;
    if (status === 'EXTENSION_ERROR') {
      throw new HandlerError(
        `extending ${props.stagingSourceServerArn} into account ${account} region ${region} as ${sourceServerId} failed: ` +
        `${current?.stagingArea?.errorMessage ?? 'DRS gave no error message'}. Check that staging account ${props.staging.account} ` +
        `trusts ${account} (StagingAccountTrust) and that the staging server still exists`);
    }
    if (now() + pollIntervalMs > deadline) {
      throw new HandlerError(
        `timed out after ${Math.round((now() - started) / 1000)}s waiting for ${sourceServerId} (extended from ${props.stagingSourceServerArn}) ` +
        `to reach status EXTENDED in account ${account} region ${region}; last status ${status ?? 'unknown'}`);
    }
    await sleep(pollIntervalMs);
    current = await drs.describeOne(sourceServerId);
    drs.log('waiting for EXTENDED', { sourceServerId, status: current?.stagingArea?.status ?? 'not visible yet' });
  }
}

/** Deletes a server this create made, and returns the error to report. */
async function cleanUpAfter(drs: Drs, sourceServerId: string, failure: HandlerError): Promise<HandlerError> {
  try {
    const server = await drs.describeOne(sourceServerId);
    if (server) await drs.remove(server);
    return new HandlerError(`${failure.message}. The new server ${sourceServerId} was deleted again`, undefined, { cause: failure });
  } catch (err) {
    drs.log('cleanup failed', { sourceServerId, ...errorFields(err) });
    // Returning its id as the physical id makes CloudFormation's rollback Delete remove it.
    return new HandlerError(
      `${failure.message}. Deleting the new server ${sourceServerId} also failed (${(err as Error).message}); the rollback will try again`,
      sourceServerId, { cause: failure });
  }
}

/**
 * Create: adopt our own earlier extension, refuse someone else's, otherwise extend the staging
 * server with user and owner tags and wait for EXTENDED. Any failure after the server exists
 * deletes it again.
 */
export async function createExtendedSourceServer(client: DrsClient, request: CreateRequest, options: LifecycleOptions): Promise<ResourceOutcome> {
  const drs = new Drs(client, options);
  const { props, owner } = request;
  const ctx = drs.ctx('CreateExtendedSourceServer', { stagingSourceServerArn: props.stagingSourceServerArn });
  let server = await adoptExisting(drs, props, owner);
  if (!server) {
    try {
      const out = await drs.call('CreateExtendedSourceServer', () => client.send(new CreateExtendedSourceServerCommand({
        sourceServerArn: props.stagingSourceServerArn,
        tags: { ...props.tags, ...ownerTags(owner) },
      })));
      server = out.sourceServer;
    } catch (err) {
      if (certainlyNotCreated(err)) throw drsFailure(err, ctx);
      // The answer to an earlier attempt may have been lost: look before reporting a conflict.
      drs.log('create failed; looking for a server an earlier attempt created', errorFields(err));
      try {
        server = await adoptExisting(drs, props, owner);
      } catch (lookupErr) {
        // Someone else's extension explains the failure; a failed lookup explains nothing.
        throw lookupErr instanceof AlreadyExtendedError ? lookupErr : drsFailure(err, ctx);
      }
      if (!server) throw drsFailure(err, ctx);
    }
    if (!server?.sourceServerID) {
      throw new HandlerError(`CreateExtendedSourceServer for ${props.stagingSourceServerArn} in account ${options.account} region ${options.region} returned no source server`);
    }
    drs.log('created extended source server', { sourceServerId: server.sourceServerID, status: server.stagingArea?.status });
  }

  const sourceServerId = server.sourceServerID!;
  try {
    server = await waitUntilExtended(drs, server, props);
  } catch (err) {
    const failure = err instanceof HandlerError ? err : new HandlerError(String((err as Error).message ?? err), undefined, { cause: err });
    if (sourceServerId === request.currentPhysicalId) throw failure;
    throw await cleanUpAfter(drs, sourceServerId, failure);
  }
  return { physicalResourceId: sourceServerId, data: attributesOf(server, props, options) };
}

/**
 * Update: a new staging server means a replacement (a new physical id; CloudFormation then
 * deletes the old one). Otherwise only user tags change; owner tags are never touched.
 */
export async function updateExtendedSourceServer(client: DrsClient, request: UpdateRequest, options: LifecycleOptions): Promise<ResourceOutcome> {
  const drs = new Drs(client, options);
  const { props, oldProps, owner, physicalResourceId } = request;
  const replace = (why: string) => {
    drs.log(`creating a new server: ${why}`, { oldSourceServerId: physicalResourceId });
    return createExtendedSourceServer(client, { owner, props, currentPhysicalId: physicalResourceId }, options);
  };
  if (!Patterns.SOURCE_SERVER_ID.test(physicalResourceId)) return replace('the resource has no server yet');
  if (oldProps && oldProps.stagingSourceServerArn !== props.stagingSourceServerArn) return replace('StagingSourceServerArn changed');

  const server = await drs.describeOne(physicalResourceId);
  if (!server) return replace(`server ${physicalResourceId} no longer exists`);
  const extendedFrom = server.stagingArea?.stagingSourceServerArn;
  if (extendedFrom && extendedFrom !== props.stagingSourceServerArn) return replace(`server ${physicalResourceId} is extended from ${extendedFrom}`);
  if (!isOwnedBy(server, owner)) {
    throw new HandlerError(
      `server ${physicalResourceId} in account ${options.account} region ${options.region} does not carry this resource's owner tags ` +
      `(${OWNER_TAG_KEYS.join(', ')}); refusing to change its tags`);
  }

  const current = server.tags ?? {};
  const has = (tags: Record<string, string>, key: string) => Object.prototype.hasOwnProperty.call(tags, key);
  const toSet = Object.fromEntries(Object.entries(props.tags).filter(([k, v]) => !OWNER_TAG_KEYS.includes(k) && current[k] !== v));
  const toRemove = Object.keys(oldProps?.tags ?? {}).filter((k) => !has(props.tags, k) && !OWNER_TAG_KEYS.includes(k));
  const resourceArn = attributesOf(server, props, options)[ExtendedSourceServerAttributes.SOURCE_SERVER_ARN];
  const ctx = (operation: string) => drs.ctx(operation, { sourceServerId: physicalResourceId });
  if (Object.keys(toSet).length > 0) {
    await drs.call('TagResource', () => client.send(new TagResourceCommand({ resourceArn, tags: toSet })))
      .catch((err) => { throw drsFailure(err, ctx('TagResource')); });
    drs.log('tagged source server', { sourceServerId: physicalResourceId, keys: Object.keys(toSet) });
  }
  if (toRemove.length > 0) {
    await drs.call('UntagResource', () => client.send(new UntagResourceCommand({ resourceArn, tagKeys: toRemove })))
      .catch((err) => { throw drsFailure(err, ctx('UntagResource')); });
    drs.log('untagged source server', { sourceServerId: physicalResourceId, keys: toRemove });
  }
  return { physicalResourceId, data: attributesOf(server, props, options) };
}

/**
 * Delete: only servers carrying this resource's owner tags are touched; a failed create's id,
 * a server that is gone, or someone else's server all succeed without a change.
 */
export async function deleteExtendedSourceServer(client: DrsClient, request: DeleteRequest, options: LifecycleOptions): Promise<ResourceOutcome> {
  const drs = new Drs(client, options);
  const { physicalResourceId, owner } = request;
  const done = { physicalResourceId };
  if (!Patterns.SOURCE_SERVER_ID.test(physicalResourceId)) {
    // The create never reported a server (it failed, or died before answering). A server it may
    // still have made carries this resource's owner tags: remove that one, and only that one.
    const leftover = request.props ? await drs.findExtendedFrom(request.props) : undefined;
    if (leftover && isOwnedBy(leftover, owner)) {
      drs.log('removing the server a failed create left behind', { sourceServerId: leftover.sourceServerID });
      await drs.remove(leftover);
    } else {
      drs.log('nothing to delete: the create did not make a server', { physicalResourceId });
    }
    return done;
  }
  const server = await drs.describeOne(physicalResourceId);
  if (!server) {
    drs.log('nothing to delete: the server is gone', { sourceServerId: physicalResourceId });
    return done;
  }
  if (!isOwnedBy(server, owner)) {
    drs.log('leaving the server alone: its owner tags are not this resource\'s', {
      sourceServerId: physicalResourceId,
      ownerStackId: server.tags?.[OwnerTags.STACK_ID] ?? null,
      ownerLogicalId: server.tags?.[OwnerTags.LOGICAL_ID] ?? null,
    });
    return done;
  }
  await drs.remove(server);
  return done;
}
