/**
 * Every defect the generated drill executions found, replayed from its counterexample
 * (known-defects.ts). While a defect is open its test asserts that the violation still happens:
 * when the engine fixes it, the test FAILS, saying to remove the entry (and keep the execution
 * as a passing regression below), so no known defect silently stops being checked.
 */
import { FIXED_DEFECTS, KNOWN_DEFECTS } from './known-defects';
import { runExecution } from './runner';
import { requireStepsBundle } from '../harness';

jest.setTimeout(120_000);
beforeAll(requireStepsBundle);

describe.each(KNOWN_DEFECTS.map((d) => [d.name, d] as const))('known defect %s', (_name, defect) => {
  (defect.nondeterministic ? test.skip : test)(`${defect.invariant}: ${defect.description} (issue 16 item ${defect.issueItem})`, async () => {
    // Two executions at once interleave in real time, so those counterexamples may need a few tries.
    let result = await runExecution(defect.counterexample);
    const matchingOf = () => result.violations.filter((v) => v.invariant === defect.invariant && defect.matches(v, defect.counterexample));
    for (let attempt = 1; attempt < 5 && matchingOf().length === 0 && defect.counterexample.faults.some((f) => f.kind === 'secondExecution'); attempt++) {
      result = await runExecution(defect.counterexample, { stopAtFirstViolation: true });
    }
    const matching = matchingOf();
    if (matching.length === 0) {
      throw new Error(`known defect ${defect.name} no longer reproduces (violations: ${JSON.stringify(result.violations)}): ` +
        'remove it from known-defects.ts and keep its execution as a passing regression');
    }
  });
});

describe.each(FIXED_DEFECTS.map((d) => [d.name, d] as const))('fixed defect %s', (_name, defect) => {
  test(`${defect.invariant} holds: ${defect.description} (issue 16 item ${defect.issueItem})`, async () => {
    const result = await runExecution(defect.counterexample);
    expect(result.violations.filter((v) => v.invariant === defect.invariant)).toEqual([]);
  });
});
