/**
 * One invocation's share of a staging-account reconciliation (Create, Update, Reconcile) and of
 * its Delete: read DRS, plan per-server tasks, run them. Ownership follows ownership.ts.
 */
import { applyLaunchSettings, LaunchSettingsInput } from './launch-settings';
import { LifecycleOptions } from './options';
import { claimOf, deleteDecision, Handover, holds, isOwnedBy, nothingCreated, Owner, ownerTags, retag, StackView, tagsAfter } from './ownership';
import { RequestGuard } from './request-guard';
import { evaluateSelector, Verdict } from './selector';
import { StagingAccountExtensionInput } from './staging-account-extension-properties';
import {
  Continuation, EXAMPLES_IN_LOG, EXAMPLES_IN_MESSAGE, examples, Failure, hostnameOf, OutOfTime, ReconcileResult, ReconcileSettings,
  removeServer, runTasks, Session, statusOf, Task,
} from './staging-account-session';
import { drsFailure, errorName, HandlerError } from '../../aws/drs/errors';
import { CreateExtendedSourceServerCommand, DrsClient, SourceServer, StagingSourceServer } from '../../aws/drs/sdk';
import {
  RESERVED_TAG_KEYS,
  ResourceTypes,
  StagingAccountExtensionAttributes as Attr,
} from '../../contract';

export interface ReconcileRequest {
  readonly owner: Owner;
  readonly props: StagingAccountExtensionInput;
  /** Update only: tags in the old properties that the new ones drop are removed. */
  readonly oldTags?: Record<string, string>;
  readonly progress: Continuation;
  /** CloudFormation Create: per-server failures are reported with the id whose Delete cleans up. */
  readonly physicalResourceId: string;
  /** The handler's own stack: which resources it still has. @default unknown */
  readonly stack?: StackView;
  /**
   * Create: servers of the staging account that another resource of this stack holds and hands
   * over (a renamed or moved StagingAccountExtension, or an ExtendedSourceServer the selector
   * matches when switching to whole-account) are taken over, keeping their ids and settings.
   */
  readonly takeOver?: boolean;
  /** Create and Update: owned servers of staging accounts not in `keep` are removed. */
  readonly otherAccounts?: { readonly keep: readonly string[] };
  /** Asked before servers are extended: a reason to stop ends the request without acting. */
  readonly guard?: RequestGuard;
  /**
   * Update only: whether the stack is rolling the update back (this Update returns to the old
   * properties). Asked only when the staging account cannot be listed. @default never
   */
  readonly rollingBack?: () => Promise<boolean>;
  /**
   * Create and Update: settle the per-server declarations (`PerServerDeclarations`): a server
   * this resource lent that no per-server resource declares any more is taken back; an owned
   * server that one declares is handed to the per-server resource holding it (docs/ownership.md).
   */
  readonly settlePerServer?: boolean;
}


/** User tags to set on an owned server, and old user tags to remove (never owner tags). */
function tagChanges(server: SourceServer, tags: Record<string, string>, oldTags: Record<string, string> | undefined) {
  const current = server.tags ?? {};
  const ownerKeys = RESERVED_TAG_KEYS;
  const set = Object.fromEntries(Object.entries(tags).filter(([k, v]) => !ownerKeys.includes(k) && current[k] !== v));
  const remove = Object.keys(oldTags ?? {})
    .filter((k) => !(k in tags) && !ownerKeys.includes(k) && Object.prototype.hasOwnProperty.call(current, k));
  return { set, remove };
}

/** Whether an owned server still matches: only its mirrored hostname is known (see selector.ts). */
function ownedVerdict(props: StagingAccountExtensionInput, server: SourceServer): Verdict {
  return evaluateSelector(props.selector, { hostname: hostnameOf(server), tags: undefined });
}

function errorExamples(servers: readonly SourceServer[], limit: number): Failure[] {
  return servers.slice(0, limit).map((s): Failure => ({
    task: 'extend',
    subject: s.sourceServerID ?? 'unknown',
    reason: s.stagingArea?.errorMessage ?? 'DRS gave no error message',
  }));
}

function performer(session: Session, request: ReconcileRequest, counts: { extended: number; pruned: number }) {
  const { client, log } = session;
  const tags = { ...request.props.tags, ...ownerTags(request.owner) };
  return async (task: Task): Promise<void> => {
    switch (task.kind) {
      case 'extend': {
        const out = await session.call('CreateExtendedSourceServer', () => client.send(
          new CreateExtendedSourceServerCommand({ sourceServerArn: task.item.arn!, tags })));
        counts.extended += 1;
        log('extended', { stagingSourceServerArn: task.item.arn, sourceServerId: out.sourceServer?.sourceServerID, status: out.sourceServer?.stagingArea?.status });
        return;
      }
      case 'prune':
        if (await removeOrHandBack(session, task.server, request.owner, request.stack)) counts.pruned += 1;
        log(`pruned: ${task.why}`, { sourceServerId: task.server.sourceServerID, hostname: hostnameOf(task.server) ?? null });
        return;
      case 'retag':
        return retagTask(session, task);
    }
  };
}

async function retagTask(session: Session, task: Extract<Task, { kind: 'retag' }>): Promise<void> {
  await retag(session.client, (op, fn) => session.call(op, fn), task.server.arn!, task.set, task.remove);
  session.log('retagged', { sourceServerId: task.server.sourceServerID, set: task.set, removed: task.remove });
}

/** Removes an owned server, or hands it back (a rollback). Returns true when it was removed. */
async function removeOrHandBack(session: Session, server: SourceServer, owner: Owner, stack: StackView | undefined): Promise<boolean> {
  const view = stack ?? new StackView(undefined, owner.stackId, session.log);
  const decision = await deleteDecision(claimOf(server, owner), view, session.log, server);
  if (decision === 'remove') {
    await removeServer(session, server);
    return true;
  }
  const { set, remove } = Handover.handBack(decision.handBackTo, decision.tags, server.tags);
  await retagTask(session, { kind: 'retag', server, set, remove, attempts: 0 });
  session.log('handed the server back to the resource it was taken from', { sourceServerId: server.sourceServerID, to: decision.handBackTo });
  return false;
}

/**
 * Applies launch settings to each owned EXTENDED server (launch-settings.ts), until the
 * invocation's work deadline; the rest is left for the next invocation (idempotent).
 */
async function applyToOwned(
  session: Session, servers: readonly SourceServer[], settings: LaunchSettingsInput,
): Promise<{ failures: Failure[]; notDone: number }> {
  const failures: Failure[] = [];
  const ready = servers.filter((s) => statusOf(s) === 'EXTENDED');
  for (let i = 0; i < ready.length; i++) {
    if (session.timeIsUp()) return { failures, notDone: ready.length - i };
    const sourceServerId = ready[i].sourceServerID!;
    try {
      const outcome = await applyLaunchSettings({
        drs: session.client,
        ec2: session.options.ec2,
        call: (operation, fn) => session.call(operation, fn),
        failure: (operation, err) => drsFailure(err, {
          operation, account: session.options.account, region: session.options.region, sourceServerId,
        }),
        log: session.log,
      }, sourceServerId, settings);
      if (outcome.drsUpdated || outcome.templateVersion !== undefined) session.log('launch settings applied', { sourceServerId, calls: outcome.calls });
    } catch (err) {
      failures.push({ task: 'launch-settings', subject: sourceServerId, reason: (err as Error).message });
    }
  }
  return { failures, notDone: 0 };
}

/** DRS errors of the first reads after which a Create certainly made nothing. */
const NOTHING_EXISTS = new Set(['UninitializedAccountException', 'AccessDeniedException', 'ValidationException']);

function causeName(err: unknown): string | undefined {
  return errorName((err as { cause?: unknown })?.cause) ?? errorName(err);
}

/**
 * Create: takes over the servers of this staging account that another resource of the stack
 * holds and is handing over. A StagingAccountExtension sibling (the synth check allows one per
 * staging account and stack) is this resource's old name or old place; an ExtendedSourceServer
 * sibling whose server the selector matches is a switch to whole-account. Every takeover must
 * succeed: a failed one would leave the server with a resource CloudFormation is about to delete.
 */
async function takeOverSiblings(session: Session, request: ReconcileRequest, extended: SourceServer[]): Promise<Map<string, Record<string, string>>> {
  const { owner, props } = request;
  const taken = new Map<string, Record<string, string>>();
  const candidates = extended.flatMap((server) => {
    const claim = claimOf(server, owner);
    const from = claim.kind === 'sibling' ? claim.logicalId : claim.kind === 'lent' ? claim.to : undefined;
    return from ? [{ server, from }] : [];
  });
  if (candidates.length === 0) return taken;
  const stack = request.stack ?? new StackView(undefined, owner.stackId, session.log);
  try {
    await stack.mustKnow(candidates[0].from, `to take servers of staging account ${props.stagingAccountId} over from other resources of this stack`);
  } catch (err) {
    // Nothing was created only if nothing of this resource exists yet (an earlier invocation may have extended).
    if (extended.some((s) => isOwnedBy(s, owner))) throw new HandlerError((err as Error).message, request.physicalResourceId, { cause: err });
    throw err;
  }
  const tasks: Task[] = [];
  for (const { server, from } of candidates) {
    const sibling = await stack.get(from);
    if (!sibling || !(await stack.has(from)) || !holds(sibling, server)) continue;
    const handsOver = sibling.type === ResourceTypes.STAGING_ACCOUNT_EXTENSION ||
      (sibling.type === ResourceTypes.EXTENDED_SOURCE_SERVER &&
        // The template still declares it per server: the per-server declaration wins.
        !props.perServer.has(server.stagingArea?.stagingSourceServerArn ?? '') &&
        evaluateSelector(props.selector, { hostname: hostnameOf(server), tags: undefined }) !== false);
    if (!handsOver) continue;
    const { set, remove } = Handover.takeOver(owner, from, props.tags, server.tags ?? {});
    tasks.push({ kind: 'retag', server, set, remove, attempts: 0 });
    taken.set(server.sourceServerID!, tagsAfter(server.tags ?? {}, { set, remove }));
  }
  if (tasks.length === 0) return taken;
  session.log('taking servers over from other resources of this stack (rename, move, or switch to whole-account)', { count: tasks.length });
  const { failures, notDone } = await runTasks(session, tasks, (task) => retagTask(session, task as Extract<Task, { kind: 'retag' }>));
  if (failures.length > 0 || notDone > 0) {
    throw new HandlerError(
      `${failures.length + notDone} of ${tasks.length} server(s) of staging account ${props.stagingAccountId} could not be taken over from the resources ` +
      `of this stack that held them (${examples(failures, EXAMPLES_IN_MESSAGE)}); the rollback hands back those that were. Deploy again later`,
      request.physicalResourceId);
  }
  return taken;
}

/**
 * The staging account's extensible servers. When the listing is denied (the staging account no
 * longer trusts this one), an Update fails, saying so, unless it is the rollback of an update:
 * that Update goes back to properties that worked, and failing it would leave the stack
 * UPDATE_ROLLBACK_FAILED. So the rollback extends nothing (it cannot see what to extend) and does
 * the rest, which needs only this account: the servers this resource owns get the old tags and
 * the old selector's pruning, and nothing else is touched. The next update or scheduled run, once
 * the trust is back, extends what is missing.
 */
async function listOrSkip(
  session: Session, request: ReconcileRequest, reading: <T>(p: Promise<T>) => Promise<T>,
): Promise<StagingSourceServer[]> {
  try {
    return await reading(session.listExtensible());
  } catch (err) {
    if (!(err instanceof HandlerError) || causeName(err) !== 'AccessDeniedException' || !request.rollingBack) throw err;
    if (!(await request.rollingBack())) {
      throw new HandlerError(`${err.message}. Restore that trust, then deploy again; meanwhile the rollback of this update ` +
        'keeps the servers this resource owns and extends none', undefined, { cause: err });
    }
    session.log('rolling back while the staging account cannot be listed: extending nothing, keeping owned servers consistent', {
      stagingAccountId: request.props.stagingAccountId, reason: err.message,
    });
    return [];
  }
}

/**
 * Create and Update: the per-server declaration wins, and only while the template declares it.
 * A server this resource lent to a per-server resource (a switch to per-server, or an overlap)
 * that no ExtendedSourceServer of the template declares any more is taken back with this
 * resource's tags: after the per-server resource is removed (its cleanup Delete then leaves it
 * alone), and in the rollback of an update that added one (which may be kept by RETAIN and never
 * get a Delete). A server this resource owns that an ExtendedSourceServer of the template
 * declares, and that CloudFormation holds as that resource's physical id, is handed to it with
 * its declared tags: the rollback of an update that removed the per-server resource. Returns the
 * servers' tags after the changes.
 */
async function settlePerServer(session: Session, request: ReconcileRequest, extended: SourceServer[]): Promise<Map<string, Record<string, string>>> {
  const { owner, props } = request;
  const changed = new Map<string, Record<string, string>>();
  const tasks: Extract<Task, { kind: 'retag' }>[] = [];
  const stack = request.stack ?? new StackView(undefined, owner.stackId, session.log);
  let holders: Map<string, string> | undefined;
  for (const server of extended) {
    const arn = server.stagingArea?.stagingSourceServerArn;
    if (!arn || !server.arn) continue;
    const claim = claimOf(server, owner);
    const declared = props.perServer.get(arn);
    let change: { set: Record<string, string>; remove: string[] } | undefined;
    if (claim.kind === 'lent' && declared === undefined) {
      change = Handover.takeBack(owner, props.tags, server.tags ?? {});
      session.log(`taking the server back from resource ${claim.to}: no per-server resource declares it any more`, { sourceServerId: server.sourceServerID });
    } else if (claim.kind === 'mine' && !claim.previous && declared !== undefined) {
      if (!holders) {
        const all = await stack.resources();
        holders = new Map([...(all?.values() ?? [])]
          .filter((r) => r.type === ResourceTypes.EXTENDED_SOURCE_SERVER && r.physicalId && r.logicalId !== owner.logicalId)
          .map((r) => [r.physicalId!, r.logicalId]));
      }
      const holder = holders.get(server.sourceServerID!);
      if (!holder) continue;
      change = Handover.takeOver({ stackId: owner.stackId, logicalId: holder }, owner.logicalId, declared, server.tags ?? {});
      session.log(`handing the server to resource ${holder}, which declares it and holds it`, { sourceServerId: server.sourceServerID });
    }
    if (!change) continue;
    tasks.push({ kind: 'retag', server, set: change.set, remove: change.remove, attempts: 0 });
    changed.set(server.sourceServerID!, tagsAfter(server.tags ?? {}, change));
  }
  if (tasks.length === 0) return changed;
  const { failures, notDone } = await runTasks(session, tasks, (task) => retagTask(session, task as Extract<Task, { kind: 'retag' }>));
  if (failures.length > 0 || notDone > 0) {
    throw new HandlerError(
      `${failures.length + notDone} of ${tasks.length} server(s) of staging account ${props.stagingAccountId} could not be handed between this ` +
      `resource and the per-server resources of this stack (${examples(failures, EXAMPLES_IN_MESSAGE)}); deploy again later`,
      request.physicalResourceId);
  }
  return changed;
}

/**
 * One invocation's share of a reconciliation: read, plan, act until the work deadline, then
 * read again to count. Returns 'continue' when work or waiting is left and time is up.
 */
export async function reconcileStagingAccount(
  client: DrsClient, request: ReconcileRequest, options: LifecycleOptions, settings: ReconcileSettings = {},
): Promise<ReconcileResult> {
  const counts = { extended: request.progress.extended, pruned: request.progress.pruned };
  try {
    return await reconcileOnce(client, request, options, settings, counts);
  } catch (err) {
    if (!(err instanceof OutOfTime)) throw err;
    return { kind: 'continue', progress: { ...request.progress, ...counts }, why: err.message };
  }
}

async function reconcileOnce(
  client: DrsClient, request: ReconcileRequest, options: LifecycleOptions, settings: ReconcileSettings, counts: { extended: number; pruned: number },
): Promise<ReconcileResult> {
  const { props, owner } = request;
  const session = new Session(client, options, props.stagingAccountId, request.progress, settings);
  const { log } = session;
  const progress = (): Continuation => ({ ...request.progress, ...counts });

  // The first reads of a Create's first invocation change nothing: what fails them (DRS not
  // initialized, access denied) means nothing exists for the rollback to remove.
  const firstOfCreate = request.takeOver === true && request.progress.invocation === 1;
  const reading = <T>(p: Promise<T>): Promise<T> => (firstOfCreate
    ? p.catch((err) => (NOTHING_EXISTS.has(causeName(err) ?? '') ? nothingCreated(err) : Promise.reject(err)))
    : p);
  // Create and Update read every extended server at once (the same one call as reading this
  // staging account's, while the target account has few staging accounts): servers this resource
  // owns in staging accounts it no longer declares (a failed update that changed StagingAccountId
  // extended them, and no resource claims them otherwise) are removed.
  const everywhere = request.otherAccounts ? await reading(session.describeAllExtended()) : undefined;
  let extended = everywhere
    ? everywhere.filter((s) => s.stagingArea?.stagingAccountID === props.stagingAccountId)
    : await reading(session.describeExtended());
  const strays = (everywhere ?? [])
    .filter((s) => isOwnedBy(s, owner) && !request.otherAccounts!.keep.includes(s.stagingArea!.stagingAccountID!));
  const listed = await listOrSkip(session, request, reading);
  if (request.takeOver) {
    const taken = await takeOverSiblings(session, request, extended);
    extended = extended.map((s) => (taken.has(s.sourceServerID!) ? { ...s, tags: taken.get(s.sourceServerID!) } : s));
  }
  if (request.settlePerServer) {
    const settled = await settlePerServer(session, request, extended);
    extended = extended.map((s) => (settled.has(s.sourceServerID!) ? { ...s, tags: settled.get(s.sourceServerID!) } : s));
  }
  const owned = extended.filter((s) => isOwnedBy(s, owner));
  const ownedElsewhere = extended.length - owned.length;
  // ListExtensibleSourceServers leaves out servers already extended into this account; the
  // check below keeps that true whatever the listing does.
  const extendedArns = new Set(extended.map((s) => s.stagingArea?.stagingSourceServerArn).filter((a): a is string => !!a));
  const candidates = listed.filter((item) => item.arn && !extendedArns.has(item.arn));
  // A staging server an ExtendedSourceServer of the template declares is that resource's to
  // extend (CloudFormation may run its Create after this request): not extended here.
  const toExtend = candidates.filter((item) => !props.perServer.has(item.arn!) &&
    evaluateSelector(props.selector, { hostname: item.hostname ?? '', tags: item.tags ?? {} }) === true);
  const skippedNotMatching = candidates.length - toExtend.length;
  // Servers in EXTENSION_ERROR are only reported: their staging side is unreadable, so whether
  // they match cannot be told, and removing them would hide the problem.
  const healthy = owned.filter((s) => statusOf(s) !== 'EXTENSION_ERROR');
  const toPrune = props.pruneNotMatching ? healthy.filter((s) => ownedVerdict(props, s) === false) : [];
  const pruning = new Set(toPrune);
  const tasks: Task[] = [
    ...toExtend.map((item): Task => ({ kind: 'extend', item, attempts: 0 })),
    ...owned.filter((s) => !pruning.has(s)).flatMap((server): Task[] => {
      const { set, remove } = tagChanges(server, props.tags, request.oldTags);
      return Object.keys(set).length > 0 || remove.length > 0 ? [{ kind: 'retag', server, set, remove, attempts: 0 }] : [];
    }),
    ...toPrune.map((server): Task => ({ kind: 'prune', server, why: 'no longer matches the selector', attempts: 0 })),
    ...strays.map((server): Task => ({ kind: 'prune', server, why: `staging account ${server.stagingArea?.stagingAccountID} is no longer declared`, attempts: 0 })),
  ];
  log('reconciling', {
    invocation: request.progress.invocation,
    stagingAccountId: props.stagingAccountId,
    owned: owned.length,
    ownedElsewhere,
    extensible: listed.length,
    toExtend: toExtend.length,
    toRetag: tasks.filter((t) => t.kind === 'retag').length,
    toPrune: toPrune.length,
    strays: strays.length,
  });

  if (toExtend.length > 0 && request.guard) {
    const why = await request.guard();
    if (why) return { kind: 'stopped', progress: progress(), why };
  }
  const { failures, notDone } = await runTasks(session, tasks, performer(session, request, counts));
  if (notDone > 0) return { kind: 'continue', progress: progress(), why: `${notDone} of ${tasks.length} server tasks left` };

  // Count from what DRS shows now; wait (within this invocation) for new servers to settle.
  let final = (await session.describeExtended()).filter((s) => isOwnedBy(s, owner));
  const pendingOf = (servers: SourceServer[]) => servers.filter((s) => statusOf(s) !== 'EXTENDED' && statusOf(s) !== 'EXTENSION_ERROR');
  while (pendingOf(final).length > 0) {
    if (options.now() + options.pollIntervalMs > session.workDeadline) {
      if (options.now() < request.progress.startedAt + session.settings.totalBudgetMs) {
        return { kind: 'continue', progress: progress(), why: `${pendingOf(final).length} servers not yet EXTENDED` };
      }
      break;
    }
    log('waiting for new servers to become EXTENDED', { pending: pendingOf(final).length });
    await options.sleep(options.pollIntervalMs);
    final = (await session.describeExtended()).filter((s) => isOwnedBy(s, owner));
  }

  // Launch settings on every owned EXTENDED server, on every request (schedule included): a
  // server as declared costs one or two reads; one that drifted is put back.
  if (props.launchSettings) {
    const launch = await applyToOwned(session, final, props.launchSettings);
    if (launch.notDone > 0) return { kind: 'continue', progress: progress(), why: `launch settings of ${launch.notDone} servers not yet applied` };
    if (launch.failures.length > 0) {
      log('launch settings could not be applied', { failures: launch.failures.slice(0, EXAMPLES_IN_LOG) });
      // A CloudFormation request fails: the stack would otherwise claim settings the servers lack.
      // A scheduled run only logs: nobody would read its answer.
      if (request.settlePerServer) {
        throw new HandlerError(`staging account ${props.stagingAccountId} into ${session.where()}: launch settings could not be applied to ` +
          `${launch.failures.length} server(s) (${examples(launch.failures, EXAMPLES_IN_MESSAGE)})`, request.physicalResourceId);
      }
    }
  }

  // A create whose answer was lost, or that raced another reconciliation of this resource,
  // shows up as an owned server: not a failure.
  const ownedFrom = new Set(final.map((s) => s.stagingArea?.stagingSourceServerArn));
  const realFailures = failures.filter((f) => f.task !== 'extend' || !ownedFrom.has(f.subject));
  const errored = final.filter((s) => statusOf(s) === 'EXTENSION_ERROR');
  const notMatching = final.filter((s) => statusOf(s) !== 'EXTENSION_ERROR' && ownedVerdict(props, s) === false);
  const data: Record<string, string> = {
    [Attr.STAGING_ACCOUNT_ID]: props.stagingAccountId,
    [Attr.SERVER_COUNT]: String(final.length),
    [Attr.EXTENDED_COUNT]: String(counts.extended),
    [Attr.ALREADY_OWNED_COUNT]: String(Math.max(0, final.length - counts.extended)),
    [Attr.PRUNED_COUNT]: String(counts.pruned),
    [Attr.NOT_MATCHING_COUNT]: String(notMatching.length),
    [Attr.EXTENSION_ERROR_COUNT]: String(errored.length),
    [Attr.FAILED_COUNT]: String(realFailures.length),
    [Attr.SKIPPED_NOT_MATCHING_COUNT]: String(skippedNotMatching),
    [Attr.OWNED_ELSEWHERE_COUNT]: String(ownedElsewhere),
    [Attr.PENDING_COUNT]: String(pendingOf(final).length),
  };
  if (errored.length > 0 || realFailures.length > 0) {
    log('servers need attention', {
      extensionErrors: errorExamples(errored, EXAMPLES_IN_LOG),
      failures: realFailures.slice(0, EXAMPLES_IN_LOG),
    });
  }
  if (props.failOnExtensionError && (errored.length > 0 || realFailures.length > 0)) {
    const parts = [
      ...(errored.length > 0 ? [`${errored.length} owned server(s) in EXTENSION_ERROR (${examples(errorExamples(errored, EXAMPLES_IN_MESSAGE), EXAMPLES_IN_MESSAGE)})`] : []),
      ...(realFailures.length > 0 ? [`${realFailures.length} server(s) could not be extended or removed (${examples(realFailures, EXAMPLES_IN_MESSAGE)})`] : []),
    ];
    throw new HandlerError(
      `staging account ${props.stagingAccountId} into ${session.where()}: ${parts.join('; ')}. ` +
      `Check that ${props.stagingAccountId} still trusts ${options.account} (StagingAccountTrust) and that the staging servers exist; ` +
      'failOnExtensionError is set, so this fails the deployment', request.physicalResourceId);
  }
  return { kind: 'done', data, progress: progress() };
}

export interface RemoveRequest {
  readonly owner: Owner;
  /** The staging account of the physical id (or of the properties, after a failed create). */
  readonly stagingAccountId: string;
  readonly progress: Continuation;
  readonly stack?: StackView;
}

/**
 * Delete: removes the servers of the staging account that carry this resource's owner tags, and
 * nothing else; a server taken over in an update now rolled back is handed
 * back, and a server this resource handed to another is released (the handover confirmed).
 * Reads again after removing, so a server created meanwhile (a scheduled run still in flight)
 * is removed too. An account where DRS is not initialized has no servers: nothing to do.
 */
export async function removeOwnedServers(
  client: DrsClient, request: RemoveRequest, options: LifecycleOptions, settings: ReconcileSettings = {},
): Promise<ReconcileResult> {
  try {
    return await removeOnce(client, request, options, settings);
  } catch (err) {
    if (err instanceof OutOfTime) return { kind: 'continue', progress: request.progress, why: err.message };
    if (causeName(err) === 'UninitializedAccountException') {
      (options.log ?? (() => undefined))('nothing to delete: DRS is not initialized in this account and Region, so it has no servers', {});
      return { kind: 'done', data: {}, progress: request.progress };
    }
    throw err;
  }
}

async function removeOnce(
  client: DrsClient, request: RemoveRequest, options: LifecycleOptions, settings: ReconcileSettings,
): Promise<ReconcileResult> {
  const session = new Session(client, options, request.stagingAccountId, request.progress, settings);
  const counts = { extended: request.progress.extended, pruned: request.progress.pruned };
  const scope = `staging account ${request.stagingAccountId}`;
  let removed = 0;
  for (let round = 1; ; round++) {
    const servers = await session.describeExtended();
    const owned = servers.filter((s) => isOwnedBy(s, request.owner));
    const lent = servers.filter((s) => claimOf(s, request.owner).kind === 'lent');
    if (owned.length === 0 && lent.length === 0) {
      session.log('removed every owned server', { scope, removed });
      return { kind: 'done', data: {}, progress: { ...request.progress, ...counts } };
    }
    const tasks = [
      ...owned.map((server): Task => ({ kind: 'prune', server, why: 'the resource is deleted', attempts: 0 })),
      ...lent.map((server): Task => ({ kind: 'retag', server, ...Handover.confirm(), attempts: 0 })),
    ];
    session.log('removing owned servers', { round, count: owned.length, handoversToConfirm: lent.length });
    const { failures, notDone } = await runTasks(session, tasks, async (task) => {
      if (task.kind === 'retag') return retagTask(session, task);
      if (task.kind !== 'prune') return;
      if (await removeOrHandBack(session, task.server, request.owner, request.stack)) {
        removed += 1;
        session.log('deleted source server', { sourceServerId: task.server.sourceServerID });
      }
    });
    if (failures.length > 0) {
      throw new HandlerError(
        `${failures.length} server(s) extended from ${scope} could not be removed or handed back in ${session.where()} ` +
        `(${examples(failures, EXAMPLES_IN_MESSAGE)}); fix that and delete again, or set removalPolicy RETAIN`);
    }
    if (notDone > 0 || session.timeIsUp()) {
      return { kind: 'continue', progress: { ...request.progress, ...counts }, why: `${notDone} servers left to remove` };
    }
    if (round >= 3) {
      throw new HandlerError(`servers owned by this resource keep appearing in ${session.where()} while it is deleted; ` +
        'disable its reconcile schedule and delete again');
    }
  }
}
