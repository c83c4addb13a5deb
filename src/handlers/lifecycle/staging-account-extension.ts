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
import {
  OwnerTags,
  RECONCILE_REQUEST_TYPE,
  STAGING_ACCOUNT_EXTENSION_ID_PREFIX,
  StagingAccountExtensionAttributes as Attr,
  stagingAccountExtensionId,
  stagingAccountRoleName,
  validateAccountId,
} from '../../contract';
import type { HandlerDeps, LambdaContextLike } from '../dispatch';
import { collectDescribePages } from '../drs/describe-pages';
import { drsFailure, errorName, explainDrsError, HandlerError, isDefaultEbsKeyError } from '../drs/errors';
import { collectPages } from '../drs/paginate';
import { isRetryable, RetriesExhaustedError } from '../drs/retry';
import {
  CreateExtendedSourceServerCommand,
  DescribeSourceServersCommand,
  DrsClient,
  ListExtensibleSourceServersCommand,
  SourceServer,
  StagingSourceServer,
  TagResourceCommand,
  UntagResourceCommand,
} from '../drs/sdk';
import { InvokeAsync, lambdaInvoker } from '../lambda/invoke';
import { errorFields, Logger, silentLogger } from '../log';
import { runPool } from '../pool';
import { CloudFormationEvent } from '../response';
import { evaluateSelector, Verdict } from '../selector';
import { parseStagingAccountExtensionProperties, StagingAccountExtensionInput } from '../staging-account-extension-properties';
import { isOwnedBy, Owner, ownerTags } from './extended-source-server';
import { LifecycleOptions, ResourceOutcome, retrying } from './options';
import { RemovalMemo, removeSourceServer } from './removal';

/** Knobs with production defaults; tests make them small. */
export interface ReconcileSettings {
  /** DRS calls in flight at once. @default 5 */
  readonly concurrency?: number;
  /**
   * Time from the first invocation after which no new invocation is started and the request
   * fails: CloudFormation waits at most an hour for a custom resource. @default 50 minutes
   */
  readonly totalBudgetMs?: number;
  /** Invocations per request, against a runaway chain. @default 25 */
  readonly maxInvocations?: number;
  /** Times one task is put back after its retries ran out (throttling) before the invocation hands it on. @default 3 */
  readonly maxTaskAttempts?: number;
}

const DEFAULTS: Required<ReconcileSettings> = {
  concurrency: 5,
  totalBudgetMs: 50 * 60_000,
  maxInvocations: 25,
  maxTaskAttempts: 3,
};

/** Servers named in a message (Reason, log): enough to start looking, short enough for 4 KB. */
const EXAMPLES_IN_MESSAGE = 5;
const EXAMPLES_IN_LOG = 50;

/** Progress carried from one invocation to the next in the event's `Continuation` member. */
export interface Continuation {
  /** 1 for the invocation CloudFormation (or the schedule) started. */
  readonly invocation: number;
  /** Epoch ms when the first invocation started. */
  readonly startedAt: number;
  /** Servers extended and pruned by earlier invocations of this request. */
  readonly extended: number;
  readonly pruned: number;
}

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

export interface ReconcileRequest {
  readonly owner: Owner;
  readonly props: StagingAccountExtensionInput;
  /** Update only: tags in the old properties that the new ones drop are removed. */
  readonly oldTags?: Record<string, string>;
  readonly progress: Continuation;
  /** CloudFormation Create: per-server failures are reported with the id whose Delete cleans up. */
  readonly physicalResourceId: string;
}

export type ReconcileResult =
  | { readonly kind: 'done'; readonly data: Record<string, string>; readonly progress: Continuation }
  | { readonly kind: 'continue'; readonly progress: Continuation; readonly why: string };

interface Failure {
  readonly task: Task['kind'];
  /** The staging server ARN (extend) or the server id (prune, retag, remove). */
  readonly subject: string;
  readonly reason: string;
}

type Task =
  | { readonly kind: 'extend'; readonly item: StagingSourceServer; attempts: number }
  | { readonly kind: 'prune'; readonly server: SourceServer; attempts: number }
  | { readonly kind: 'retag'; readonly server: SourceServer; readonly set: Record<string, string>; readonly remove: string[]; attempts: number };

/** Errors after which going on with other servers is pointless: every server would fail the same way. */
const SYSTEMIC = new Set(['AccessDeniedException', 'UninitializedAccountException', 'ServiceQuotaExceededException', 'UnrecognizedClientException']);

const statusOf = (s: SourceServer) => s.stagingArea?.status;
const hostnameOf = (s: SourceServer) => s.sourceProperties?.identificationHints?.hostname;

/** A read that could not finish in this invocation: the next one reads again. */
class OutOfTime extends Error {}

/** DRS calls of one invocation: retries end at the invocation's work deadline. */
class Session {
  readonly log: Logger;
  readonly settings: Required<ReconcileSettings>;
  /** Epoch ms after which no new work starts in this invocation. */
  readonly workDeadline: number;
  /** What removals learned from DRS in this invocation (see removal.ts). */
  readonly removals: RemovalMemo = { disconnectFirst: false };
  private readonly callOptions: LifecycleOptions;

  constructor(
    readonly client: DrsClient,
    readonly options: LifecycleOptions,
    readonly stagingAccountId: string,
    progress: Continuation,
    settings: ReconcileSettings,
  ) {
    this.log = options.log ?? silentLogger;
    this.settings = { ...DEFAULTS, ...settings };
    this.workDeadline = Math.min(options.deadline, progress.startedAt + this.settings.totalBudgetMs);
    const retryDeadline = Math.min(options.retry?.deadline ?? Infinity, this.workDeadline);
    this.callOptions = { ...options, retry: { ...options.retry, deadline: retryDeadline } };
  }

  timeIsUp(): boolean {
    return this.options.now() >= this.workDeadline;
  }

  call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    return retrying(this.callOptions, operation)(fn);
  }

  /**
   * A read, retried until the invocation's hard deadline (past the work deadline: the counts at
   * the end need it). Retries cut short by that deadline hand over to the next invocation.
   */
  private async read<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await retrying(this.options, operation)(fn);
    } catch (err) {
      if (err instanceof RetriesExhaustedError && isRetryable(err.cause) && /no time left before the deadline\)$/.test(err.message)) {
        throw new OutOfTime(`${operation} ran out of time (${err.message})`);
      }
      throw err;
    }
  }

  where(): string {
    return `account ${this.options.account} region ${this.options.region}`;
  }

  /** Every server in this account extended from the staging account (all pages). */
  async describeExtended(): Promise<SourceServer[]> {
    try {
      return await collectDescribePages((maxResults, nextToken) => this.read('DescribeSourceServers', () => this.client.send(
        new DescribeSourceServersCommand({ filters: { stagingAccountIDs: [this.stagingAccountId] }, maxResults, nextToken }))), this.log);
    } catch (err) {
      if (err instanceof OutOfTime) throw err;
      throw drsFailure(err, { operation: 'DescribeSourceServers', account: this.options.account, region: this.options.region });
    }
  }

  /** The staging account's servers that can still be extended into this account (all pages). */
  async listExtensible(): Promise<StagingSourceServer[]> {
    try {
      return await collectPages((nextToken) => this.read('ListExtensibleSourceServers', () => this.client.send(
        new ListExtensibleSourceServersCommand({ stagingAccountID: this.stagingAccountId, maxResults: 300, nextToken }))));
    } catch (err) {
      if (err instanceof OutOfTime) throw err;
      const name = errorName(err);
      const said = (err as Error)?.message ? ` (DRS said: ${(err as Error).message})` : '';
      if (name === 'AccessDeniedException') {
        throw new HandlerError(
          `listing the servers of staging account ${this.stagingAccountId} was denied in ${this.where()}: the staging account must trust ` +
          `${this.options.account} (deploy StagingAccountTrust there, which creates role service-role/${stagingAccountRoleName(this.options.account)}) ` +
          `and the handler role needs drs:ListExtensibleSourceServers${said}`, undefined, { cause: err });
      }
      if (name === 'ValidationException') {
        throw new HandlerError(`DRS refused to list the servers of staging account ${this.stagingAccountId} in ${this.where()}${said}: ` +
          'StagingAccountId must be another account than the one the stack deploys to', undefined, { cause: err });
      }
      throw drsFailure(err, { operation: 'ListExtensibleSourceServers', account: this.options.account, region: this.options.region });
    }
  }
}

/** How a task's error is handled: retried later, recorded for this server, or the end of the request. */
function classify(err: unknown): 'again' | 'server' | 'systemic' {
  if (err instanceof RetriesExhaustedError) return isRetryable(err.cause) ? 'again' : 'server';
  if (isDefaultEbsKeyError(err)) return 'server';
  if (SYSTEMIC.has(errorName(err) ?? '')) return 'systemic';
  return isRetryable(err) ? 'again' : 'server';
}

/** User tags to set on an owned server, and old user tags to remove (never owner tags). */
function tagChanges(server: SourceServer, tags: Record<string, string>, oldTags: Record<string, string> | undefined) {
  const current = server.tags ?? {};
  const ownerKeys: string[] = [OwnerTags.STACK_ID, OwnerTags.LOGICAL_ID];
  const set = Object.fromEntries(Object.entries(tags).filter(([k, v]) => !ownerKeys.includes(k) && current[k] !== v));
  const remove = Object.keys(oldTags ?? {})
    .filter((k) => !(k in tags) && !ownerKeys.includes(k) && Object.prototype.hasOwnProperty.call(current, k));
  return { set, remove };
}

/** Whether an owned server still matches: only its mirrored hostname is known (see selector.ts). */
function ownedVerdict(props: StagingAccountExtensionInput, server: SourceServer): Verdict {
  return evaluateSelector(props.selector, { hostname: hostnameOf(server), tags: undefined });
}

function examples(failures: readonly Failure[], limit: number): string {
  const shown = failures.slice(0, limit).map((f) => `${f.subject}: ${f.reason}`).join('; ');
  return failures.length > limit ? `${shown}; and ${failures.length - limit} more` : shown;
}

function errorExamples(servers: readonly SourceServer[], limit: number): Failure[] {
  return servers.slice(0, limit).map((s): Failure => ({
    task: 'extend',
    subject: s.sourceServerID ?? 'unknown',
    reason: s.stagingArea?.errorMessage ?? 'DRS gave no error message',
  }));
}

/** Disconnects when needed and deletes an owned server (see removal.ts); per-server errors become HandlerErrors. */
async function removeServer(session: Session, server: SourceServer): Promise<void> {
  const { account, region } = session.options;
  await removeSourceServer(server, {
    client: session.client,
    call: (operation, fn) => session.call(operation, fn),
    failure: (operation, sourceServerId, err) => (classify(err) === 'server'
      ? new HandlerError(explainDrsError(err, { operation, account, region, sourceServerId }), undefined, { cause: err })
      : err),
    recoveryInstance: (_id, recoveryInstanceId) =>
      new HandlerError(`it has recovery instance ${recoveryInstanceId}: terminate it (TerminateRecoveryInstances), then deploy again`),
    log: session.log,
    learned: session.removals,
  });
}

/**
 * Runs tasks in the pool. Per-server failures are collected; throttling that outlasts the retries
 * puts the task back (a few times); a systemic error ends the request with its explanation.
 */
async function runTasks(
  session: Session, tasks: Task[], perform: (task: Task) => Promise<void>,
): Promise<{ failures: Failure[]; notDone: number }> {
  const failures: Failure[] = [];
  let deferred = 0;
  const { options, log, settings } = session;
  const subjectOf = (t: Task) => (t.kind === 'extend' ? t.item.arn! : t.server.sourceServerID!);
  const { notDone } = await runPool(tasks, settings.concurrency, async (task) => {
    try {
      task.attempts += 1;
      await perform(task);
      return 'done';
    } catch (err) {
      const kind = err instanceof HandlerError ? 'server' : classify(err);
      if (kind === 'again' && task.attempts < settings.maxTaskAttempts) {
        log('putting the task back after its retries ran out', { task: task.kind, subject: subjectOf(task), ...errorFields(err) });
        return 'again';
      }
      if (kind === 'again') {
        // Handed to the next invocation, which re-reads DRS and plans afresh.
        log('leaving the task to the next invocation', { task: task.kind, subject: subjectOf(task), ...errorFields(err) });
        deferred += 1;
        return 'done';
      }
      if (kind === 'systemic') {
        const operation = task.kind === 'extend' ? 'CreateExtendedSourceServer' : task.kind === 'retag' ? 'TagResource' : 'DeleteSourceServer';
        throw drsFailure(err, {
          operation,
          account: options.account,
          region: options.region,
          ...(task.kind === 'extend' ? { stagingSourceServerArn: task.item.arn } : { sourceServerId: task.server.sourceServerID }),
        });
      }
      const reason = err instanceof HandlerError ? err.message : explainDrsError(err, {
        operation: task.kind === 'extend' ? 'CreateExtendedSourceServer' : 'TagResource',
        account: options.account,
        region: options.region,
        ...(task.kind === 'extend' ? { stagingSourceServerArn: task.item.arn } : { sourceServerId: task.server.sourceServerID }),
      });
      log(`could not ${task.kind} a server`, { subject: subjectOf(task), reason });
      failures.push({ task: task.kind, subject: subjectOf(task), reason });
      return 'done';
    }
  }, () => session.timeIsUp());
  return { failures, notDone: notDone.length + deferred };
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
        await removeServer(session, task.server);
        counts.pruned += 1;
        log('pruned: no longer matches the selector', { sourceServerId: task.server.sourceServerID, hostname: hostnameOf(task.server) ?? null });
        return;
      case 'retag': {
        const resourceArn = task.server.arn!;
        if (Object.keys(task.set).length > 0) {
          await session.call('TagResource', () => client.send(new TagResourceCommand({ resourceArn, tags: task.set })));
        }
        if (task.remove.length > 0) {
          await session.call('UntagResource', () => client.send(new UntagResourceCommand({ resourceArn, tagKeys: task.remove })));
        }
        log('retagged', { sourceServerId: task.server.sourceServerID, set: Object.keys(task.set), removed: task.remove });
        return;
      }
    }
  };
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

  const extended = await session.describeExtended();
  const listed = await session.listExtensible();
  const owned = extended.filter((s) => isOwnedBy(s, owner));
  const ownedElsewhere = extended.length - owned.length;
  // ListExtensibleSourceServers leaves out servers already extended into this account; the
  // check below keeps that true whatever the listing does.
  const extendedArns = new Set(extended.map((s) => s.stagingArea?.stagingSourceServerArn).filter((a): a is string => !!a));
  const candidates = listed.filter((item) => item.arn && !extendedArns.has(item.arn));
  const toExtend = candidates.filter((item) => evaluateSelector(props.selector, { hostname: item.hostname ?? '', tags: item.tags ?? {} }) === true);
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
    ...toPrune.map((server): Task => ({ kind: 'prune', server, attempts: 0 })),
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
  });

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
  readonly stagingAccountId: string;
  readonly progress: Continuation;
}

/**
 * Delete: removes every server of the staging account that carries this resource's owner tags,
 * and nothing else. Reads again after removing, so a server created meanwhile (a scheduled run
 * still in flight) is removed too.
 */
export async function removeOwnedServers(
  client: DrsClient, request: RemoveRequest, options: LifecycleOptions, settings: ReconcileSettings = {},
): Promise<ReconcileResult> {
  try {
    return await removeOnce(client, request, options, settings);
  } catch (err) {
    if (!(err instanceof OutOfTime)) throw err;
    return { kind: 'continue', progress: request.progress, why: err.message };
  }
}

async function removeOnce(
  client: DrsClient, request: RemoveRequest, options: LifecycleOptions, settings: ReconcileSettings,
): Promise<ReconcileResult> {
  const session = new Session(client, options, request.stagingAccountId, request.progress, settings);
  const counts = { extended: request.progress.extended, pruned: request.progress.pruned };
  let removed = 0;
  for (let round = 1; ; round++) {
    const owned = (await session.describeExtended()).filter((s) => isOwnedBy(s, request.owner));
    if (owned.length === 0) {
      session.log('removed every owned server', { stagingAccountId: request.stagingAccountId, removed });
      return { kind: 'done', data: {}, progress: { ...request.progress, ...counts } };
    }
    const tasks = owned.map((server): Task => ({ kind: 'prune', server, attempts: 0 }));
    session.log('removing owned servers', { round, count: owned.length });
    const { failures, notDone } = await runTasks(session, tasks, async (task) => {
      if (task.kind !== 'prune') return;
      await removeServer(session, task.server);
      removed += 1;
      session.log('deleted source server', { sourceServerId: task.server.sourceServerID });
    });
    if (failures.length > 0) {
      throw new HandlerError(
        `${failures.length} server(s) extended from staging account ${request.stagingAccountId} could not be removed from ${session.where()} ` +
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

  if (requestType === 'Delete') {
    const physicalResourceId = event.PhysicalResourceId ?? '';
    const stagingAccountId = stagingAccountForDelete(event);
    if (!stagingAccountId) {
      (options.log ?? silentLogger)('nothing to delete: no staging account in the physical id or properties', { physicalResourceId });
      return { physicalResourceId };
    }
    const result = await removeOwnedServers(deps.client, { owner, stagingAccountId, progress }, options, settings);
    if (result.kind === 'continue') return continueElsewhere(event, context, deps, options, result, physicalResourceId, settings);
    return { physicalResourceId };
  }

  const props = parseStagingAccountExtensionProperties(event.ResourceProperties);
  let oldTags: Record<string, string> | undefined;
  if (requestType === 'Update') {
    try {
      oldTags = parseStagingAccountExtensionProperties(event.OldResourceProperties).tags;
    } catch (err) {
      (options.log ?? silentLogger)('old properties do not parse; no tags are removed', { error: (err as Error).message });
    }
  }
  const physicalResourceId = stagingAccountExtensionId(props.stagingAccountId);
  const result = await reconcileStagingAccount(deps.client, { owner, props, oldTags, progress, physicalResourceId }, options, settings);
  if (result.kind === 'continue') return continueElsewhere(event, context, deps, options, result, physicalResourceId, settings);
  return { physicalResourceId, data: result.data };
}
