import { retryWhilePropagating } from '../../aws/drs/propagation';
import { RetryOptions, withRetry } from '../../aws/drs/retry';
import type { EC2Client } from '../../aws/ec2/sdk';
import { errorFields, Logger, silentLogger } from '../../common/runtime/log';

/** What every lifecycle needs besides the DRS client; injected so tests control time. */
export interface LifecycleOptions {
  /** The account the handler runs in (the target account). */
  readonly account: string;
  readonly region: string;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
  readonly pollIntervalMs: number;
  /** Epoch ms after which waiting stops (time is left for cleanup and the response). */
  readonly deadline: number;
  /**
   * Create only: how long AccessDenied is retried, on every DRS call, because a role or policy
   * created moments ago may not have propagated yet (see drs/propagation.ts). @default 0 (off)
   */
  readonly propagationWindowMs?: number;
  /** Longest pause between two of those retries. @default 15 000 */
  readonly propagationMaxDelayMs?: number;
  /** Backoff for DRS calls; its `deadline` should be later than `deadline` above, to allow cleanup. */
  readonly retry?: RetryOptions;
  readonly log?: Logger;
  /** EC2, for launch settings (the launch template DRS keeps per server). @default none */
  readonly ec2?: EC2Client;
}

/** The custom resource's answer when it succeeds. */
export interface ResourceOutcome {
  readonly physicalResourceId: string;
  readonly data?: Record<string, string>;
}

/**
 * Runs a DRS call with the lifecycle's retry policy, its clock and sleep, logging each retry. In a
 * Create (a propagation window is set) AccessDenied is retried too, on every call: the first
 * deploy of a stack creates the handler role and its policy moments before the first request,
 * and an update that adds a resource type adds its statements then, so any call may be the first
 * use of a grant IAM has not propagated yet. Updates, Deletes and scheduled runs use grants that
 * earlier requests used, and get a denial at once.
 */
export function retrying(options: LifecycleOptions, operation: string): <T>(fn: () => Promise<T>) => Promise<T> {
  const log = options.log ?? silentLogger;
  const once = <T>(fn: () => Promise<T>) => withRetry(fn, {
    ...options.retry,
    sleep: options.sleep,
    now: options.now,
    onRetry: ({ attempt, delayMs, error }) => log('retrying DRS call', { operation, attempt, delayMs, ...errorFields(error) }),
  });
  return (fn) => whilePropagating(options, operation, () => once(fn));
}

/** Runs `fn`, retrying AccessDenied within the Create's propagation window (nothing otherwise). */
function whilePropagating<T>(options: LifecycleOptions, operation: string, fn: () => Promise<T>): Promise<T> {
  return retryWhilePropagating(fn, {
    windowMs: options.propagationWindowMs ?? 0,
    baseDelayMs: 2 * (options.retry?.baseDelayMs ?? 500),
    maxDelayMs: options.propagationMaxDelayMs,
    now: options.now,
    sleep: options.sleep,
    deadline: options.deadline,
    log: options.log,
    operation,
  });
}
