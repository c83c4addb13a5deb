/**
 * Fault injection for the local DRS: throttling, internal errors, latency, responses lost after
 * the effect, hooks after a success, and slow extension. Deterministic: random choices come
 * from a seeded generator, and everything is undone by `clear()`.
 */
import { CallRecord } from './types';

/** Park-Miller minimal standard generator: seeded, no bitwise operators, exact in doubles. */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    const s = Math.abs(Math.floor(seed)) % 2147483647;
    this.state = s === 0 ? 1 : s;
  }

  /** A number in [0, 1). */
  next(): number {
    this.state = (this.state * 48271) % 2147483647;
    return (this.state - 1) / 2147483646;
  }
}

export const DEFAULT_FAULT_SEED = 42;

/** Which calls a fault applies to: one operation name, or every operation when omitted. */
export interface FaultTarget {
  readonly operation?: string;
}

export interface ThrottleOptions extends FaultTarget {
  /** Throttle the next `count` matching calls. */
  readonly count?: number;
  /** Or throttle this fraction (0-1) of matching calls, drawn from the seeded generator. */
  readonly rate?: number;
  /** Sent as the `Retry-After` header. @default 1 */
  readonly retryAfterSeconds?: number;
}

export interface InternalErrorOptions extends FaultTarget {
  /** @default 1 */
  readonly count?: number;
  /** Sent as the `Retry-After` header. @default 1 */
  readonly retryAfterSeconds?: number;
}

export interface SlowExtensionOptions {
  /** How many DescribeSourceServers reads of each new extended server show it unfinished. */
  readonly describes: number;
  /**
   * How "unfinished" looks. The model's ExtensionStatus has no in-progress value, so the default
   * keeps `stagingArea.status: EXTENDED` and reports `dataReplicationInfo.dataReplicationState:
   * INITIATING`; `NOT_EXTENDED` instead reports that stagingArea status until done.
   * @default 'INITIATING'
   */
  readonly report?: 'INITIATING' | 'NOT_EXTENDED';
}

export type AfterSuccessHook = (call: CallRecord) => void;

/**
 * IAM propagation of a new staging role: once a staging account first trusts a target account
 * (its role "appears"), CreateExtendedSourceServer and ListExtensibleSourceServers from that
 * target still answer AccessDeniedException for the first `calls` such calls and/or the first
 * `ms` milliseconds. Both may be given; a call is denied while either applies.
 */
export interface RolePropagationOptions {
  readonly calls?: number;
  readonly ms?: number;
}

interface CountedRule extends FaultTarget {
  remaining: number;
  readonly rate?: number;
  readonly retryAfterSeconds: number;
}

const ANY = '*';

export class Faults {
  private random = new SeededRandom(DEFAULT_FAULT_SEED);
  private throttles: CountedRule[] = [];
  private internalErrors: CountedRule[] = [];
  private readonly latencies = new Map<string, number>();
  private readonly lostResponses = new Map<string, number>();
  private hooks: Array<{ readonly operation: string; readonly callback: AfterSuccessHook }> = [];
  private slow?: SlowExtensionOptions;
  private propagation?: RolePropagationOptions;
  private readonly trustSeen = new Map<string, { readonly at: number; calls: number }>();

  /** Restarts the generator behind rate-based faults. */
  seed(seed: number): this {
    this.random = new SeededRandom(seed);
    return this;
  }

  throttle(options: ThrottleOptions): this {
    if (options.count === undefined && options.rate === undefined) throw new Error('throttle needs count or rate');
    if (options.rate !== undefined && (options.rate < 0 || options.rate > 1)) throw new Error('throttle rate must be within 0-1');
    this.throttles.push({
      operation: options.operation,
      remaining: options.count ?? Infinity,
      rate: options.rate,
      retryAfterSeconds: options.retryAfterSeconds ?? 1,
    });
    return this;
  }

  internalError(options: InternalErrorOptions = {}): this {
    this.internalErrors.push({
      operation: options.operation,
      remaining: options.count ?? 1,
      retryAfterSeconds: options.retryAfterSeconds ?? 1,
    });
    return this;
  }

  /** Delays every matching call by `ms` before it is processed. */
  latency(ms: number, operation?: string): this {
    this.latencies.set(operation ?? ANY, ms);
    return this;
  }

  /**
   * The next `count` successful calls of `operation` take effect, then the connection is
   * destroyed without a response (the client sees a socket error and cannot know the outcome).
   */
  loseResponse(operation: string, count = 1): this {
    this.lostResponses.set(operation, (this.lostResponses.get(operation) ?? 0) + count);
    return this;
  }

  /**
   * Calls `callback` after each successful call of `operation` (or `*`) once its response has
   * been written. Returns a function that removes the hook.
   */
  afterSuccess(operation: string, callback: AfterSuccessHook): () => void {
    const hook = { operation, callback };
    this.hooks.push(hook);
    return () => { this.hooks = this.hooks.filter((h) => h !== hook); };
  }

  /** Extended servers created from now on look unfinished for their first reads. */
  slowExtension(options: SlowExtensionOptions): this {
    this.slow = options;
    return this;
  }

  /** New staging roles are refused for a while after they appear (see RolePropagationOptions). */
  rolePropagation(options: RolePropagationOptions): this {
    this.propagation = options;
    this.trustSeen.clear();
    return this;
  }

  /** Removes every fault and hook and restarts the generator with the default seed. */
  clear(): void {
    this.random = new SeededRandom(DEFAULT_FAULT_SEED);
    this.throttles = [];
    this.internalErrors = [];
    this.latencies.clear();
    this.lostResponses.clear();
    this.hooks = [];
    this.slow = undefined;
    this.propagation = undefined;
    this.trustSeen.clear();
  }

  /**
   * @internal For a trusted staging→target pair: true while the pair's role is still
   * "propagating" (the call is then denied). The first trusted check of a pair is its appearance.
   */
  takePropagationDenial(staging: string, target: string, now: number): boolean {
    const p = this.propagation;
    if (!p) return false;
    const key = `${staging}>${target}`;
    let seen = this.trustSeen.get(key);
    if (!seen) {
      seen = { at: now, calls: 0 };
      this.trustSeen.set(key, seen);
    }
    seen.calls += 1;
    return (p.calls !== undefined && seen.calls <= p.calls) || (p.ms !== undefined && now - seen.at < p.ms);
  }

  /** @internal Retry-After seconds when this call is to be throttled. */
  takeThrottle(operation: string): number | undefined {
    return this.take(this.throttles, operation);
  }

  /** @internal Retry-After seconds when this call is to fail with an internal error. */
  takeInternalError(operation: string): number | undefined {
    return this.take(this.internalErrors, operation);
  }

  /** @internal */
  latencyFor(operation: string): number {
    return this.latencies.get(operation) ?? this.latencies.get(ANY) ?? 0;
  }

  /** @internal True when this successful call's response is to be lost. */
  takeLostResponse(operation: string): boolean {
    const n = this.lostResponses.get(operation) ?? 0;
    if (n <= 0) return false;
    this.lostResponses.set(operation, n - 1);
    return true;
  }

  /** @internal */
  hooksFor(operation: string): AfterSuccessHook[] {
    return this.hooks.filter((h) => h.operation === operation || h.operation === ANY).map((h) => h.callback);
  }

  /** @internal */
  get slowExtensionSetting(): SlowExtensionOptions | undefined {
    return this.slow;
  }

  private take(rules: CountedRule[], operation: string): number | undefined {
    for (const rule of rules) {
      if (rule.operation !== undefined && rule.operation !== operation) continue;
      if (rule.remaining <= 0) continue;
      if (rule.rate !== undefined && this.random.next() >= rule.rate) continue;
      rule.remaining -= 1;
      return rule.retryAfterSeconds;
    }
    return undefined;
  }
}
