/**
 * Per-server faults of the recovery side: launches that fail, launches that take longer, and
 * terminations that conflict. `DrsFaults` adds them to the transport-level `Faults`, and
 * `clear()` removes them with the rest.
 */
import { Faults } from './faults';

export interface FailLaunchOptions {
  /** The `rawError` DRS logs with LAUNCH_FAILED. @default 'Launch failed (injected by the local DRS)' */
  readonly message?: string;
  /** How many launches of the server fail. @default every launch until `faults.clear()` */
  readonly count?: number;
}

interface Counted {
  remaining: number;
  readonly message?: string;
}

export class DrsFaults extends Faults {
  private launchFailures = new Map<string, Counted>();
  private slowLaunches = new Map<string, number>();
  private terminateConflicts = new Map<string, Counted>();
  private terminateFailures = new Map<string, Counted>();

  /** Launches of source server `sourceServerID` fail (the job still completes; the server is FAILED). */
  failLaunch(sourceServerID: string, options: FailLaunchOptions = {}): this {
    this.launchFailures.set(sourceServerID, { remaining: options.count ?? Infinity, message: options.message });
    return this;
  }

  /** Launches of `sourceServerID` take `seconds` longer than `recovery.configure`'s `launchSeconds`. */
  slowLaunch(sourceServerID: string, seconds: number): this {
    if (!Number.isFinite(seconds) || seconds < 0) throw new Error(`slowLaunch needs a non-negative number of seconds, got ${seconds}`);
    this.slowLaunches.set(sourceServerID, seconds);
    return this;
  }

  /**
   * The next `count` TerminateRecoveryInstances calls that include the recovery instance `id` (or
   * the recovery instance of source server `id`) answer ConflictException.
   */
  conflictOnTerminate(id: string, count = 1): this {
    this.terminateConflicts.set(id, { remaining: count });
    return this;
  }

  /**
   * The next `count` terminate jobs that include the recovery instance `id` (or the recovery
   * instance of source server `id`) end with that server `FAILED` and the instance still running.
   */
  failTerminate(id: string, options: FailLaunchOptions = {}): this {
    this.terminateFailures.set(id, { remaining: options.count ?? 1, message: options.message });
    return this;
  }

  /** @internal The rawError when terminating this instance is to fail in its job. */
  takeTerminateFailure(recoveryInstanceID: string, sourceServerID: string): string | undefined {
    for (const key of [recoveryInstanceID, sourceServerID]) {
      const rule = this.terminateFailures.get(key);
      if (rule && rule.remaining > 0) {
        rule.remaining -= 1;
        return rule.message ?? 'Terminate failed (injected by the local DRS)';
      }
    }
    return undefined;
  }

  override clear(): void {
    super.clear();
    this.terminateFailures = new Map();
    this.launchFailures = new Map();
    this.slowLaunches = new Map();
    this.terminateConflicts = new Map();
  }

  /** @internal The rawError when this launch of the server is to fail. */
  takeLaunchFailure(sourceServerID: string): string | undefined {
    const rule = this.launchFailures.get(sourceServerID);
    if (!rule || rule.remaining <= 0) return undefined;
    rule.remaining -= 1;
    return rule.message ?? 'Launch failed (injected by the local DRS)';
  }

  /** @internal Extra launch seconds for the server. */
  extraLaunchSeconds(sourceServerID: string): number {
    return this.slowLaunches.get(sourceServerID) ?? 0;
  }

  /** @internal True when terminating this instance (of this server) is to conflict. */
  takeTerminateConflict(recoveryInstanceID: string, sourceServerID: string): boolean {
    for (const key of [recoveryInstanceID, sourceServerID]) {
      const rule = this.terminateConflicts.get(key);
      if (rule && rule.remaining > 0) {
        rule.remaining -= 1;
        return true;
      }
    }
    return false;
  }
}
