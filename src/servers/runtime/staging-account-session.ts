/**
 * The DRS side of one invocation of a staging-account reconciliation: reads with their deadline,
 * the worker pool of per-server tasks, and removing a server. Used by staging-account-reconcile.ts.
 */
import { LifecycleOptions, retrying } from './options';
import { RemovalMemo, removeSourceServer } from './removal';
import { collectDescribePages } from '../../aws/drs/describe-pages';
import { drsFailure, errorName, explainDrsError, HandlerError, isDefaultEbsKeyError } from '../../aws/drs/errors';
import { collectPages } from '../../aws/drs/paginate';
import { isRetryable, RetriesExhaustedError } from '../../aws/drs/retry';
import {
  DescribeSourceServersCommand,
  DrsClient,
  ListExtensibleSourceServersCommand,
  SourceServer,
  StagingSourceServer,
} from '../../aws/drs/sdk';
import { errorFields, Logger, silentLogger } from '../../common/runtime/log';
import { runPool } from '../../common/runtime/pool';
import { stagingAccountRoleName } from '../../contract';

/** Knobs with production defaults; tests make them small. */
export interface ReconcileSettings {
  /** DRS calls in flight at once. @default 5 */
  readonly concurrency?: number;
  /**
   * Time from the first invocation after which no new invocation is started and the request
   * fails: CloudFormation waits at most an hour for a custom resource. @default 50 minutes
   */
  readonly totalBudgetMs?: number;
  /**
   * Invocations per request, against a runaway chain. Below 16: Lambda's recursive loop detection
   * stops a chain of invocations caused by the same event after 16 (the on-failure destination
   * then answers). Twelve invocations of up to 15 minutes each exceed the 50-minute budget
   * anyway. @default 12
   */
  readonly maxInvocations?: number;
  /** Times one task is put back after its retries ran out (throttling) before the invocation hands it on. @default 3 */
  readonly maxTaskAttempts?: number;
}

export const DEFAULTS: Required<ReconcileSettings> = {
  concurrency: 5,
  totalBudgetMs: 50 * 60_000,
  maxInvocations: 12,
  maxTaskAttempts: 3,
};

/** Servers named in a message (Reason, log): enough to start looking, short enough for 4 KB. */
export const EXAMPLES_IN_MESSAGE = 5;
export const EXAMPLES_IN_LOG = 50;

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


export type ReconcileResult =
  | { readonly kind: 'done'; readonly data: Record<string, string>; readonly progress: Continuation }
  | { readonly kind: 'continue'; readonly progress: Continuation; readonly why: string }
  /** The request may no longer act (see request-guard.ts): nothing more is done, nobody is answered. */
  | { readonly kind: 'stopped'; readonly progress: Continuation; readonly why: string };

export interface Failure {
  readonly task: Task['kind'] | 'launch-settings';
  /** The staging server ARN (extend) or the server id (prune, retag, remove). */
  readonly subject: string;
  readonly reason: string;
}

export type Task =
  | { readonly kind: 'extend'; readonly item: StagingSourceServer; attempts: number }
  /** Remove the server, or hand it back when it was taken over in an update now rolled back (ownership.ts). */
  | { readonly kind: 'prune'; readonly server: SourceServer; readonly why: string; attempts: number }
  | { readonly kind: 'retag'; readonly server: SourceServer; readonly set: Record<string, string>; readonly remove: string[]; attempts: number };

/** Errors after which going on with other servers is pointless: every server would fail the same way. */
export const SYSTEMIC = new Set(['AccessDeniedException', 'UninitializedAccountException', 'ServiceQuotaExceededException', 'UnrecognizedClientException']);

export const statusOf = (s: SourceServer) => s.stagingArea?.status;
export const hostnameOf = (s: SourceServer) => s.sourceProperties?.identificationHints?.hostname;

/** A read that could not finish in this invocation: the next one reads again. */
export class OutOfTime extends Error {}

/** DRS calls of one invocation: retries end at the invocation's work deadline. */
export class Session {
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
    return this.describe({ stagingAccountIDs: [this.stagingAccountId] });
  }

  /** Every extended server in this account, from any staging account (all pages). */
  async describeAllExtended(): Promise<SourceServer[]> {
    return (await this.describe({})).filter((s) => !!s.stagingArea?.stagingAccountID);
  }

  private async describe(filters: { stagingAccountIDs?: string[] }): Promise<SourceServer[]> {
    try {
      return await collectDescribePages((maxResults, nextToken) => this.read('DescribeSourceServers', () => this.client.send(
        new DescribeSourceServersCommand({ filters, maxResults, nextToken }))), this.log);
    } catch (err) {
      if (err instanceof OutOfTime) throw err;
      throw drsFailure(err, { operation: 'DescribeSourceServers', account: this.options.account, region: this.options.region });
    }
  }

  /** The staging account's servers that can still be extended into this account (all pages). */
  async listExtensible(): Promise<StagingSourceServer[]> {
    try {
      // A Create may meet the staging role before IAM propagated it: its reads retry AccessDenied a while.
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
export function classify(err: unknown): 'again' | 'server' | 'systemic' {
  if (err instanceof RetriesExhaustedError) return isRetryable(err.cause) ? 'again' : 'server';
  if (isDefaultEbsKeyError(err)) return 'server';
  if (SYSTEMIC.has(errorName(err) ?? '')) return 'systemic';
  return isRetryable(err) ? 'again' : 'server';
}


export function examples(failures: readonly Failure[], limit: number): string {
  const shown = failures.slice(0, limit).map((f) => `${f.subject}: ${f.reason}`).join('; ');
  return failures.length > limit ? `${shown}; and ${failures.length - limit} more` : shown;
}


/** Disconnects when needed and deletes an owned server (see removal.ts); per-server errors become HandlerErrors. */
export async function removeServer(session: Session, server: SourceServer): Promise<void> {
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
export async function runTasks(
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

