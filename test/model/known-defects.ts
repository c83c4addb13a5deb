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

const after = (history: readonly ConcreteStep[], index: number, kind: ConcreteStep['kind']) => history.slice(0, index + 1).some((s) => s.kind === kind);

export const KNOWN_DEFECTS: readonly KnownDefect[] = [
  {
    name: 'a server moved by stack refactoring keeps the old stack\'s owner tags: its new stack cannot update or delete it',
    regression: 'a server moved by stack refactoring is managed by its new stack',
    expectedFix: 'issue9-handler (defect 4)',
    matches: (v, _s, h) => after(h, v.step, 'refactor')
      && (/owner tags/.test(v.message) || /still has server|remains/.test(v.message) || /moved there by stack refactoring/.test(v.message)),
  },
  {
    name: 'AccessDenied while the role policy propagates is not retried (fails the operation, its rollback, or a cleanup delete)',
    regression: 'a create survives IAM propagation',
    expectedFix: 'issue9-robust (IAM-propagation retry)',
    matches: (_v, s) => 'fault' in s && s.fault?.kind === 'iamPropagation',
  },
  {
    name: 'an extension updated while its staging trust is revoked fails, and so does the rollback: UPDATE_ROLLBACK_FAILED',
    regression: 'an extension updated while the staging trust is revoked rolls back cleanly',
    expectedFix: 'unassigned',
    matches: (v) => /ROLLBACK_FAILED.*listing the servers of staging account \d+ was denied/.test(v.message),
  },

  {
    name: 'a retried DeleteSourceServer after a lost response is denied (the server is gone, so its owner tags are too): DELETE_FAILED',
    regression: 'an extension\'s destroy survives a lost DeleteSourceServer response',
    expectedFix: 'unassigned (issue9-robust area: lost responses)',
    matches: (v, s) => 'fault' in s && s.fault?.kind === 'responseLost' && s.fault.operation === 'DeleteSourceServer'
      && /DeleteSourceServer on source server s-\w+ was denied/.test(v.message),
  },

];

/** The known defect a violation is, if any. */
export function knownDefect(violation: Violation, history: readonly ConcreteStep[]): KnownDefect | undefined {
  return KNOWN_DEFECTS.find((d) => d.matches(violation, history[violation.step], history));
}
