/**
 * IAM propagation: a role created a moment ago (the staging account's DRSStagingAccountRole_<target>,
 * deployed just before the target stack, or the handler's own policy) can be refused for a while
 * after it exists. During a Create only, AccessDenied is retried (on every DRS call, see
 * lifecycle/options.ts) for a bounded window before the actionable "not trusted / lacks
 * permission" message is given; an Update or a scheduled run has no new role to wait for, and
 * gets the message at once.
 */
import { errorName } from './errors';
import { errorFields, Logger, silentLogger } from '../../common/runtime/log';

export interface PropagationOptions {
  /** How long after the first AccessDenied to keep trying; 0 turns retrying off. */
  readonly windowMs: number;
  /** First delay; doubles up to `maxDelayMs`. */
  readonly baseDelayMs: number;
  /** @default 15 000 */
  readonly maxDelayMs?: number;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** No retry starts after it. */
  readonly deadline?: number;
  readonly log?: Logger;
  readonly operation: string;
}

/** Thrown AccessDenied after the window: `retriedMs` says for how long it was retried. */
export class StillDeniedError extends Error {
  constructor(readonly cause: unknown, readonly retriedMs: number) {
    super((cause as Error)?.message ?? String(cause), { cause });
    this.name = (cause as Error)?.name ?? 'AccessDeniedException';
  }
}

export async function retryWhilePropagating<T>(fn: () => Promise<T>, options: PropagationOptions): Promise<T> {
  const log = options.log ?? silentLogger;
  let first: number | undefined;
  let delay = Math.max(1, options.baseDelayMs);
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (errorName(err) !== 'AccessDeniedException' || options.windowMs <= 0) throw err;
      const now = options.now();
      first ??= now;
      if (now + delay > first + options.windowMs || (options.deadline !== undefined && now + delay > options.deadline)) {
        throw now > first ? new StillDeniedError(err, now - first) : err;
      }
      log('access denied; a role created moments ago may not have propagated yet: retrying', {
        operation: options.operation, delayMs: delay, ...errorFields(err),
      });
      await options.sleep(delay);
      delay = Math.min(delay * 2, options.maxDelayMs ?? 15_000);
    }
  }
}
