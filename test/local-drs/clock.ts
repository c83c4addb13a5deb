/**
 * The local DRS's clock. By default it follows real time (so behaviour without recovery jobs is
 * unchanged); `manual` freezes it at a start time. Either way `advance(ms)` moves it forward,
 * which is how tests (and the drill tests' Wait states) make recovery jobs progress without
 * waiting.
 */
export type ClockMode = 'real' | 'manual';

export class Clock {
  private offsetMs = 0;
  private readonly startMs: number;

  /**
   * @param mode `real`: `base()` plus the time advanced; `manual`: `start` plus the time advanced
   * @param base the real-time source (LocalDrsOptions.now)
   * @param start where a manual clock starts
   */
  constructor(readonly mode: ClockMode, private readonly base: () => Date, start?: Date) {
    this.startMs = (start ?? base()).getTime();
  }

  now(): Date {
    return new Date(this.nowMs());
  }

  nowMs(): number {
    return (this.mode === 'manual' ? this.startMs : this.base().getTime()) + this.offsetMs;
  }

  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new Error(`advanceTime needs a non-negative number of milliseconds, got ${ms}`);
    this.offsetMs += ms;
  }
}
