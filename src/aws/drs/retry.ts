export interface RetryOptions {
  /** Attempts in total, including the first. @default 8 */
  readonly maxAttempts?: number;
  /** First backoff cap in ms; doubles per attempt (full jitter below it). @default 500 */
  readonly baseDelayMs?: number;
  /** Largest backoff cap in ms. @default 20000 */
  readonly maxDelayMs?: number;
  /** Epoch ms after which no retry starts: the caller still needs time to answer CloudFormation. */
  readonly deadline?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
  /** In [0, 1). Injected for deterministic tests. */
  readonly random?: () => number;
  /** Called before each backoff sleep (for logging). */
  readonly onRetry?: (info: { readonly attempt: number; readonly delayMs: number; readonly error: unknown }) => void;
}

/** A retryable error that kept failing; `cause` is the last error. */
export class RetriesExhaustedError extends Error {
  constructor(readonly cause: unknown, readonly attempts: number, why: string) {
    super(`${errorLabel(cause)} after ${attempts} attempt(s) (${why})`, { cause });
    this.name = 'RetriesExhaustedError';
  }
}

// EC2 (launch settings) names its throttling RequestLimitExceeded and its 5xx InternalError / Unavailable.
const RETRYABLE_NAMES = new Set(['ThrottlingException', 'InternalServerException', 'TimeoutError', 'RequestTimeout', 'RequestTimeoutException',
  'RequestLimitExceeded', 'InternalError', 'Unavailable']);
const RETRYABLE_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ECONNABORTED', 'ENETUNREACH', 'EHOSTUNREACH']);
const RETRYABLE_STATUS = new Set([500, 502, 503, 504]);

interface ErrorLike {
  readonly name?: string;
  readonly code?: string;
  readonly message?: string;
  readonly retryAfterSeconds?: string | number;
  readonly $metadata?: { readonly httpStatusCode?: number };
}

function asErrorLike(err: unknown): ErrorLike {
  return typeof err === 'object' && err !== null ? err as ErrorLike : {};
}

function errorLabel(err: unknown): string {
  const e = asErrorLike(err);
  return [e.name, e.code, e.message].filter(Boolean).join(': ') || String(err);
}

/** Throttling, internal errors, and transient network/timeout failures. Everything else is final. */
export function isRetryable(err: unknown): boolean {
  const e = asErrorLike(err);
  if (e.name && RETRYABLE_NAMES.has(e.name)) return true;
  if (e.code && RETRYABLE_CODES.has(e.code)) return true;
  // The SDK wraps thrown values that are not `instanceof Error` (e.g. from another realm) as
  // "AWS SDK error wrapper for <name>: <message>", dropping name and code.
  const wrapped = /^AWS SDK error wrapper for (\w+)/.exec(e.message ?? '');
  if (wrapped && (RETRYABLE_NAMES.has(wrapped[1]) || RETRYABLE_CODES.has(wrapped[1]))) return true;
  // An unmodelled 5xx (e.g. a 503 from a load balancer) carries no error type we know.
  const status = e.$metadata?.httpStatusCode;
  return status !== undefined && RETRYABLE_STATUS.has(status);
}

/** The service's Retry-After, in ms, when it sent one. */
export function retryAfterMs(err: unknown): number | undefined {
  const raw = asErrorLike(err).retryAfterSeconds;
  if (raw === undefined || raw === null || raw === '') return undefined;
  const seconds = Number(raw);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `fn`, retrying retryable errors with exponential backoff and full jitter, or exactly the
 * service's Retry-After when it sent one. Stops at `maxAttempts` or when the next attempt would
 * start after `deadline`, throwing RetriesExhaustedError; non-retryable errors pass through as is.
 */
export async function withRetry<T>(fn: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const maxAttempts = Math.max(1, options.maxAttempts ?? 8);
  const base = options.baseDelayMs ?? 500;
  const maxDelay = options.maxDelayMs ?? 20_000;
  const sleep = options.sleep ?? realSleep;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isRetryable(err)) throw err;
      if (attempt >= maxAttempts) throw new RetriesExhaustedError(err, attempt, 'attempt limit reached');
      const delayMs = retryAfterMs(err) ?? Math.floor(random() * Math.min(maxDelay, base * 2 ** (attempt - 1)));
      if (options.deadline !== undefined && now() + delayMs > options.deadline) {
        throw new RetriesExhaustedError(err, attempt, 'no time left before the deadline');
      }
      options.onRetry?.({ attempt, delayMs, error: err });
      await sleep(delayMs);
    }
  }
}
