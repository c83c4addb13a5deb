import { applyLaunchSettings, LaunchSettingsInput, sameLaunchSettings } from './launch-settings';
import { LifecycleOptions, ResourceOutcome, retrying } from './options';
import {
  claimOf, deleteDecision, Handover, holds, isOwnedBy, NothingCreatedError, nothingCreated, Owner, ownerTags, refusalFor, retag, StackView,
  tagsAfter, undeclaredUserTags,
} from './ownership';
import { ExtendedSourceServerInput } from './properties';
import { removeSourceServer } from './removal';
import { collectDescribePages } from '../../aws/drs/describe-pages';
import { drsFailure, ErrorContext, errorName, HandlerError, isDefaultEbsKeyError, isNotFound } from '../../aws/drs/errors';
import { StillDeniedError } from '../../aws/drs/propagation';
import {
  CreateExtendedSourceServerCommand,
  DescribeSourceServersCommand,
  DrsClient,
  SourceServer,
} from '../../aws/drs/sdk';
import { errorFields, Logger, silentLogger } from '../../common/runtime/log';
import { ExtendedSourceServerAttributes, OWNER_TAG_KEYS, OwnerTags, Patterns, RESERVED_TAG_KEYS } from '../../contract';

export { isOwnedBy, ownerTags } from './ownership';
export type { Owner } from './ownership';

export interface CreateRequest {
  readonly owner: Owner;
  readonly props: ExtendedSourceServerInput;
  /**
   * The resource's current physical id (Update only). A server with this id is already the
   * stack's resource: if it is adopted and then fails, it is not deleted here.
   */
  readonly currentPhysicalId?: string;
  /** The handler's own stack: which logical ids it still has. @default unknown */
  readonly stack?: StackView;
}

export interface UpdateRequest {
  readonly owner: Owner;
  readonly stack?: StackView;
  readonly props: ExtendedSourceServerInput;
  /** Undefined when the old properties could not be parsed. */
  readonly oldProps?: ExtendedSourceServerInput;
  readonly physicalResourceId: string;
}

export interface DeleteRequest {
  readonly owner: Owner;
  readonly stack?: StackView;
  readonly physicalResourceId: string;
  /** The resource's properties, when they parse: used to find a server a failed create left. */
  readonly props?: ExtendedSourceServerInput;
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

  /** Servers in this account extended from any of `stagingAccounts` that carry `owner`'s owner tags. */
  async findOwnedFrom(stagingAccounts: readonly string[], owner: Owner): Promise<SourceServer[]> {
    const stagingAccountIDs = [...new Set(stagingAccounts)];
    try {
      const servers = await collectDescribePages((maxResults, nextToken) => this.call('DescribeSourceServers', () =>
        this.client.send(new DescribeSourceServersCommand({ filters: { stagingAccountIDs }, maxResults, nextToken }))), this.log);
      return servers.filter((s) => isOwnedBy(s, owner));
    } catch (err) {
      throw drsFailure(err, this.ctx('DescribeSourceServers'));
    }
  }

  /** One step of the ownership protocol (ownership.ts) on one server. */
  async retag(server: SourceServer, change: { set: Record<string, string>; remove: readonly string[] }, what: string): Promise<void> {
    const sourceServerId = server.sourceServerID!;
    const arn = server.arn ?? `arn:aws:drs:${this.options.region}:${this.options.account}:source-server/${sourceServerId}`;
    try {
      await retag(this.client, (op, fn) => this.call(op, fn), arn, change.set, change.remove);
    } catch (err) {
      throw drsFailure(err, this.ctx(Object.keys(change.set).length > 0 ? 'TagResource' : 'UntagResource', { sourceServerId }));
    }
    this.log(what, { sourceServerId, set: change.set, removed: change.remove });
  }

  /** Applies launch settings to a server this resource owns (launch-settings.ts). */
  async applyLaunchSettings(sourceServerId: string, settings: LaunchSettingsInput): Promise<void> {
    const outcome = await applyLaunchSettings({
      drs: this.client,
      ec2: this.options.ec2,
      call: (operation, fn) => this.call(operation, fn),
      failure: (operation, err) => drsFailure(err, this.ctx(operation, { sourceServerId })),
      log: this.log,
    }, sourceServerId, settings);
    this.log('launch settings applied', { sourceServerId, calls: outcome.calls });
  }

  /** Removes an owned server, or hands it back to the resource it was taken from (a rollback). */
  async removeOrHandBack(server: SourceServer, owner: Owner, stack: StackView): Promise<void> {
    const decision = await deleteDecision(claimOf(server, owner), stack, this.log, server);
    if (decision === 'remove') return this.remove(server);
    await this.retag(server, Handover.handBack(decision.handBackTo, decision.tags, server.tags), 'handed the server back to the resource it was taken from');
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

/** An existing extension that this resource may not claim: nothing was created or changed. */
class AlreadyExtendedError extends NothingCreatedError {}

/** DRS answers UninitializedAccountException (possibly wrapped): the account has no servers at all. */
function isUninitialized(err: unknown): boolean {
  return errorName(err) === 'UninitializedAccountException' || errorName((err as { cause?: unknown })?.cause) === 'UninitializedAccountException';
}

/**
 * An existing extension of the same staging server: ours (a retried create) is adopted; one of
 * another resource of this stack that the stack still has (a rename or move: CloudFormation
 * creates the new resource before it deletes the old one) is taken over, keeping the server and
 * its settings; anyone else's is refused, because deleting it later would break whoever made it.
 */
async function adoptExisting(
  drs: Drs, props: ExtendedSourceServerInput, owner: Owner, stack: StackView,
): Promise<{ server: SourceServer; takenOver: boolean } | undefined> {
  const existing = await drs.findExtendedFrom(props).catch(nothingCreated);
  if (!existing) return undefined;
  const sourceServerId = existing.sourceServerID;
  const claim = claimOf(existing, owner);
  const what = `staging source server ${props.stagingSourceServerArn} is already extended into account ${drs.options.account} as ${sourceServerId}`;
  if (claim.kind === 'mine' && claim.previous) {
    // An earlier attempt of this Create took the server over and died before answering (Lambda
    // retries it): it is still the previous owner's server, handed over. Never waited for nor
    // deleted here (its staging side may be unreadable by now); the rollback hands it back.
    drs.log(`an earlier attempt took the server over from resource ${claim.previous}`, { sourceServerId });
    const change = Handover.takeOver(owner, claim.previous, props.tags, existing.tags ?? {});
    const due = {
      set: Object.fromEntries(Object.entries(change.set).filter(([k, v]) => existing.tags?.[k] !== v)),
      remove: change.remove,
    };
    if (Object.keys(due.set).length > 0 || due.remove.length > 0) await drs.retag(existing, due, 'applied the declared tags to the server taken over');
    return { server: { ...existing, tags: tagsAfter(existing.tags ?? {}, due) }, takenOver: true };
  }
  if (claim.kind === 'mine') {
    // A retried create, or this resource declared again after a removal with RETAIN: the server's
    // user tags become the ones declared now (those of the earlier declaration go).
    drs.log('adopting the server an earlier attempt of this resource created', { sourceServerId });
    const current = existing.tags ?? {};
    const set = Object.fromEntries(Object.entries(props.tags).filter(([k, v]) => !RESERVED_TAG_KEYS.includes(k) && current[k] !== v));
    const remove = undeclaredUserTags(current, props.tags);
    if (Object.keys(set).length === 0 && remove.length === 0) return { server: existing, takenOver: false };
    await drs.retag(existing, { set, remove }, 'applied the declared tags to the adopted server');
    return { server: { ...existing, tags: tagsAfter(current, { set, remove }) }, takenOver: false };
  }
  if (claim.kind === 'sibling' || claim.kind === 'lent') {
    const from = claim.kind === 'sibling' ? claim.logicalId : claim.to;
    if (!await stack.mustKnow(from, `to take ${sourceServerId} over from resource ${from}`)) {
      throw new AlreadyExtendedError(
        `${what}, by resource ${from} of this stack, which the stack no longer has (it was removed with removalPolicy RETAIN, or its delete ` +
        'failed): the handler does not take over a server no resource hands over. Import it with ExtendedSourceServer.fromSourceServerId(...), ' +
        'or delete it in DRS (DisconnectSourceServer, DeleteSourceServer) and deploy again');
    }
    const sibling = await stack.get(from);
    if (sibling && !holds(sibling, existing)) {
      throw new AlreadyExtendedError(
        `${what}, tagged for resource ${from} of this stack, which does not hold it (its physical id is ${sibling.physicalId ?? 'unknown'}): ` +
        `the server was left by an earlier resource named ${from} (removed with removalPolicy RETAIN). The handler does not take over a ` +
        'server no resource hands over. Import it with ExtendedSourceServer.fromSourceServerId(...), or delete it in DRS ' +
        '(DisconnectSourceServer, DeleteSourceServer) and deploy again');
    }
    const change = Handover.takeOver(owner, from, props.tags, existing.tags ?? {});
    await drs.retag(existing, change, `took the server over from resource ${from} of this stack (rename or move)`);
    return { server: { ...existing, tags: tagsAfter(existing.tags ?? {}, change) }, takenOver: true };
  }
  throw new AlreadyExtendedError(refusalFor(claim, what, owner, `account ${drs.options.account} region ${drs.options.region}`)!);
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
 * Create: adopt our own earlier extension, take over a sibling's (rename or move within the
 * stack), refuse anyone else's, otherwise extend the staging server with user and owner tags and
 * wait for EXTENDED. Any failure after a new server exists deletes it again. Failures before
 * anything was created are NothingCreatedErrors.
 */
export async function createExtendedSourceServer(client: DrsClient, request: CreateRequest, options: LifecycleOptions): Promise<ResourceOutcome> {
  const drs = new Drs(client, options);
  const { props, owner } = request;
  const stack = request.stack ?? new StackView(undefined, owner.stackId, drs.log);
  const ctx = drs.ctx('CreateExtendedSourceServer', { stagingSourceServerArn: props.stagingSourceServerArn });
  const found = await adoptExisting(drs, props, owner, stack);
  // A server taken over is the old resource's, as it is: no waiting, and never deleted here. So
  // is the server CloudFormation holds for this resource, found again when an Update rolls a
  // staging ARN change back: waiting for it (its staging side may be unreadable by now) could only
  // fail the rollback.
  if (found && (found.takenOver || found.server.sourceServerID === request.currentPhysicalId)) {
    if (props.launchSettings) await drs.applyLaunchSettings(found.server.sourceServerID!, props.launchSettings);
    return { physicalResourceId: found.server.sourceServerID!, data: attributesOf(found.server, props, options) };
  }
  let server = found?.server;
  if (!server) {
    try {
      // In a Create, drs.call retries AccessDenied while a new role may be propagating.
      const out = await drs.call('CreateExtendedSourceServer', () =>
        client.send(new CreateExtendedSourceServerCommand({
          sourceServerArn: props.stagingSourceServerArn,
          tags: { ...props.tags, ...ownerTags(owner) },
        })));
      server = out.sourceServer;
    } catch (err) {
      if (err instanceof StillDeniedError) {
        throw new NothingCreatedError(`${drsFailure(err, ctx).message}. Retried for ${Math.round(err.retriedMs / 1000)}s in case a role created ` +
          'moments ago had not propagated yet', { cause: err });
      }
      if (certainlyNotCreated(err)) throw new NothingCreatedError(drsFailure(err, ctx).message, { cause: err });
      // The answer to an earlier attempt may have been lost: look before reporting a conflict.
      drs.log('create failed; looking for a server an earlier attempt created', errorFields(err));
      let again;
      try {
        again = await adoptExisting(drs, props, owner, stack);
      } catch (lookupErr) {
        // Someone else's extension explains the failure; a failed lookup explains nothing.
        throw lookupErr instanceof AlreadyExtendedError ? lookupErr : drsFailure(err, ctx);
      }
      if (!again) throw drsFailure(err, ctx);
      if (again.takenOver) {
        if (props.launchSettings) await drs.applyLaunchSettings(again.server.sourceServerID!, props.launchSettings);
        return { physicalResourceId: again.server.sourceServerID!, data: attributesOf(again.server, props, options) };
      }
      server = again.server;
    }
    if (!server?.sourceServerID) {
      throw new HandlerError(`CreateExtendedSourceServer for ${props.stagingSourceServerArn} in account ${options.account} region ${options.region} returned no source server`);
    }
    drs.log('created extended source server', { sourceServerId: server.sourceServerID, status: server.stagingArea?.status });
  }

  const sourceServerId = server.sourceServerID!;
  try {
    server = await waitUntilExtended(drs, server, props);
    // Launch settings once the server is EXTENDED; a failure deletes the new server like any other.
    if (props.launchSettings) await drs.applyLaunchSettings(sourceServerId, props.launchSettings);
  } catch (err) {
    const failure = err instanceof HandlerError ? err : new HandlerError(String((err as Error).message ?? err), undefined, { cause: err });
    if (sourceServerId === request.currentPhysicalId) throw failure;
    throw await cleanUpAfter(drs, sourceServerId, failure);
  }
  return { physicalResourceId: sourceServerId, data: attributesOf(server, props, options) };
}

/**
 * A replacement (new staging ARN, or no server yet): the server for the new properties, then
 * every other server carrying this resource's owner tags in the staging accounts involved that
 * CloudFormation does not know (neither the result nor the current physical id, whose Delete
 * CloudFormation sends itself) is removed: what a failed earlier attempt left behind, e.g. the
 * new server of a replacement whose update failed and was rolled back.
 */
async function replace(drs: Drs, request: UpdateRequest, stack: StackView, why: string): Promise<ResourceOutcome> {
  const { props, oldProps, owner, physicalResourceId } = request;
  drs.log(`creating a new server: ${why}`, { oldSourceServerId: physicalResourceId });
  const outcome = await createExtendedSourceServer(drs.client, { owner, props, currentPhysicalId: physicalResourceId, stack }, drs.options);
  const accounts = [props.staging.account, ...(oldProps ? [oldProps.staging.account] : [])];
  const known = new Set([outcome.physicalResourceId, physicalResourceId]);
  for (const leftover of (await drs.findOwnedFrom(accounts, owner)).filter((s) => !known.has(s.sourceServerID!))) {
    drs.log('removing a server of this resource that CloudFormation does not know (left by a failed update)', {
      sourceServerId: leftover.sourceServerID, stagingSourceServerArn: leftover.stagingArea?.stagingSourceServerArn,
    });
    await drs.removeOrHandBack(leftover, owner, stack);
  }
  return outcome;
}

/**
 * Update: a new staging server means a replacement (a new physical id; CloudFormation then
 * deletes the old one). Otherwise user tags change in place, and ownership steps that are due
 * happen on the way: a server this resource lent to another (a per-server declaration wins over
 * a whole-account one) is taken back; a handover whose previous owner is gone is confirmed; the
 * resource's own server tagged with a logical id the stack no longer has (stack refactoring) is
 * adopted. The stack id is never touched.
 */
export async function updateExtendedSourceServer(client: DrsClient, request: UpdateRequest, options: LifecycleOptions): Promise<ResourceOutcome> {
  const drs = new Drs(client, options);
  const { props, oldProps, owner, physicalResourceId } = request;
  const stack = request.stack ?? new StackView(undefined, owner.stackId, drs.log);
  if (!Patterns.SOURCE_SERVER_ID.test(physicalResourceId)) return replace(drs, request, stack, 'the resource has no server yet');
  if (oldProps && oldProps.stagingSourceServerArn !== props.stagingSourceServerArn) return replace(drs, request, stack, 'StagingSourceServerArn changed');

  const server = await drs.describeOne(physicalResourceId);
  if (!server) return replace(drs, request, stack, `server ${physicalResourceId} no longer exists`);
  const extendedFrom = server.stagingArea?.stagingSourceServerArn;
  if (extendedFrom && extendedFrom !== props.stagingSourceServerArn) return replace(drs, request, stack, `server ${physicalResourceId} is extended from ${extendedFrom}`);

  const claim = claimOf(server, owner);
  let ownership: { set: Record<string, string>; remove: readonly string[] } = { set: {}, remove: [] };
  if (claim.kind === 'lent') {
    ownership = Handover.adopt(owner);
    drs.log(`taking the server back from resource ${claim.to}: this resource still declares it`, { sourceServerId: physicalResourceId });
  } else if (claim.kind === 'mine' && claim.previous && await stack.has(claim.previous) === false) {
    ownership = Handover.confirm();
  } else if (claim.kind === 'sibling' && await stack.has(claim.logicalId) === false) {
    ownership = Handover.adopt(owner);
    drs.log(`adopting this resource's server from resource ${claim.logicalId}, which the stack no longer has (stack refactoring)`, { sourceServerId: physicalResourceId });
  } else if (claim.kind !== 'mine') {
    throw new HandlerError(
      `server ${physicalResourceId} in account ${options.account} region ${options.region} does not carry this resource's owner tags ` +
      `(${OWNER_TAG_KEYS.join(', ')}); refusing to change its tags`);
  }

  const current = server.tags ?? {};
  const has = (tags: Record<string, string>, key: string) => Object.prototype.hasOwnProperty.call(tags, key);
  const toSet = {
    ...Object.fromEntries(Object.entries(props.tags).filter(([k, v]) => !RESERVED_TAG_KEYS.includes(k) && current[k] !== v)),
    ...ownership.set,
  };
  const toRemove = [
    ...Object.keys(oldProps?.tags ?? {}).filter((k) => !has(props.tags, k) && !RESERVED_TAG_KEYS.includes(k)),
    ...ownership.remove.filter((k) => has(current, k)),
  ];
  if (Object.keys(toSet).length > 0 || toRemove.length > 0) {
    await drs.retag(server, { set: toSet, remove: toRemove }, 'retagged source server');
  }
  // Declared launch settings are applied when they changed (or the old ones are unknown). Settings
  // that are no longer declared are left as they are on the server.
  if (props.launchSettings && (!oldProps || !sameLaunchSettings(oldProps.launchSettings, props.launchSettings))) {
    await drs.applyLaunchSettings(physicalResourceId, props.launchSettings);
  }
  return { physicalResourceId, data: attributesOf(server, props, options) };
}

/**
 * Delete: only servers carrying this resource's owner tags are removed, and a server taken over
 * in an update that is now rolled back is handed back instead. A server this resource handed to
 * another is released (the handover is confirmed). A failed create's id, a server that is gone,
 * an account where DRS is not initialized, or someone else's server all succeed without a change.
 */
export async function deleteExtendedSourceServer(client: DrsClient, request: DeleteRequest, options: LifecycleOptions): Promise<ResourceOutcome> {
  const drs = new Drs(client, options);
  const { physicalResourceId, owner } = request;
  const stack = request.stack ?? new StackView(undefined, owner.stackId, drs.log);
  const done = { physicalResourceId };
  try {
    return await deleteOnce(drs, request, stack);
  } catch (err) {
    if (!isUninitialized(err)) throw err;
    drs.log('nothing to delete: DRS is not initialized in this account and Region, so it has no servers', { physicalResourceId });
    return done;
  }
}

async function deleteOnce(drs: Drs, request: DeleteRequest, stack: StackView): Promise<ResourceOutcome> {
  const { physicalResourceId, owner } = request;
  const done = { physicalResourceId };
  if (!Patterns.SOURCE_SERVER_ID.test(physicalResourceId)) {
    // The create never reported a server (it failed, or died before answering). A server it may
    // still have made (or taken over) carries this resource's owner tags: only that one counts.
    const leftover = request.props ? await drs.findExtendedFrom(request.props) : undefined;
    if (leftover && isOwnedBy(leftover, owner)) {
      drs.log('removing the server a failed create left behind', { sourceServerId: leftover.sourceServerID });
      await drs.removeOrHandBack(leftover, owner, stack);
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
  const claim = claimOf(server, owner);
  if (claim.kind === 'mine') {
    await drs.removeOrHandBack(server, owner, stack);
    return done;
  }
  if (claim.kind === 'lent' && await stack.has(claim.to) === false) {
    // Handed to a resource the stack no longer has: a rename to a RETAIN resource whose update
    // rolled back (CloudFormation keeps the new resource and sends it no Delete). Nobody else
    // holds the server, so it goes with this resource.
    drs.log(`removing the server: it was handed to resource ${claim.to}, which the stack no longer has`, { sourceServerId: physicalResourceId });
    await drs.remove(server);
    return done;
  }
  if (claim.kind === 'lent') {
    // CloudFormation's cleanup after a rename: the new resource keeps the server.
    await drs.retag(server, Handover.confirm(), `handover to resource ${claim.to} confirmed; the server stays`);
    return done;
  }
  if (claim.kind === 'sibling' && await stack.has(claim.logicalId) === false) {
    // This resource's physical id, tagged with a logical id the stack no longer has: moved here
    // by stack refactoring, so it is this resource's.
    drs.log(`removing this resource's server, tagged for resource ${claim.logicalId}, which the stack no longer has`, { sourceServerId: physicalResourceId });
    await drs.remove(server);
    return done;
  }
  drs.log('leaving the server alone: its owner tags are not this resource\'s', {
    sourceServerId: physicalResourceId,
    ownerStackId: server.tags?.[OwnerTags.STACK_ID] ?? null,
    ownerLogicalId: server.tags?.[OwnerTags.LOGICAL_ID] ?? null,
  });
  return done;
}
