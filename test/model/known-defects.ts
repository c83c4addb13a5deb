/**
 * Defects the model-based tests found that are not fixed on this branch yet. The CI run
 * (model.test.ts) runs every kind of step and fault, and tolerates a violation only when it is
 * one of these; anything else fails the run and is shrunk. Each entry names its regression test
 * in regressions.test.ts (an `it.failing` there). Remove the entry when the fix lands and the
 * regression test is flipped to `it`.
 */
import { ConcreteStep, Violation } from './runner';

export interface KnownDefect {
  readonly name: string;
  /** The regression test in regressions.test.ts. */
  readonly regression: string;
  readonly expectedFix: string;
  matches(violation: Violation, step: ConcreteStep, history: readonly ConcreteStep[]): boolean;
}

export const KNOWN_DEFECTS: readonly KnownDefect[] = [];

/** The known defect a violation is, if any. */
export function knownDefect(violation: Violation, history: readonly ConcreteStep[]): KnownDefect | undefined {
  return KNOWN_DEFECTS.find((d) => d.matches(violation, history[violation.step], history));
}
