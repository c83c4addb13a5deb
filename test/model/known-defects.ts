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

export const KNOWN_DEFECTS: readonly KnownDefect[] = [
  {
    name: 'a takeover by a new RETAIN resource is not undone by the rollback: the server stays with the retained resource',
    regression: 'a rolled-back takeover by a retained server gives the server back to the extension',
    expectedFix: 'issue9-handler (defect 3, ownership across rollbacks)',
    matches: (v, s) => s.kind === 'deploy' && /ROLLBACK_COMPLETE\) still has server .*previous-logical-id/.test(v.message),
  },

  {
    name: 'a server handed back from a per-server resource to the stack\'s extension keeps the per-server resource\'s tags',
    regression: 'a server handed back to the extension gets the extension\'s tags',
    expectedFix: 'unassigned (issue9-handler area)',
    matches: (v) => /'s Ext\w+ declares tags .* has others/.test(v.message),
  },
  {
    name: 'an extension with prune keeps servers its new selector does not match',
    regression: 'an extension with prune drops the servers its new selector no longer matches',
    expectedFix: 'unassigned',
    matches: (v) => /prunes, yet owns/.test(v.message),
  },
];

/** The known defect a violation is, if any. */
export function knownDefect(violation: Violation, history: readonly ConcreteStep[]): KnownDefect | undefined {
  return KNOWN_DEFECTS.find((d) => d.matches(violation, history[violation.step], history));
}
