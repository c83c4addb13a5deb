/**
 * Generated drill executions (generator.ts) run by the States Language interpreter against the
 * local DRS with the bundled Lambda steps, invariants D1-D5 checked before every Task and after
 * every execution ends (invariants.ts). CI runs a fixed seed; `npx projen fuzz:drill -- --seed N
 * --runs M` runs any number. A violation that is a known, open defect (known-defects.ts, each
 * replayed by regressions.test.ts) is counted; any other fails and fast-check shrinks it.
 * Needs `npx projen bundle`.
 */
import * as fc from 'fast-check';
import { executionArbitrary } from './generator';
import { KnownDefect, knownDefect } from './known-defects';
import { runExecution } from './runner';
import { requireStepsBundle } from '../harness';

jest.setTimeout(900_000);
beforeAll(requireStepsBundle);

const RUNS = Number(process.env.DRILL_MODEL_RUNS ?? 200);
const SEED = Number(process.env.DRILL_MODEL_SEED ?? 20261206);

test(`${RUNS} generated drill executions keep D1-D5 but for known defects (seed ${SEED})`, async () => {
  let executions = 0;
  const known = new Map<KnownDefect, number>();
  const started = Date.now();
  await fc.assert(fc.asyncProperty(executionArbitrary({ maxServers: 4, maxFaults: 2 }), async (x) => {
    const result = await runExecution(x);
    executions++;
    const unknown = result.violations.filter((v) => {
      const defect = knownDefect(v, x);
      if (defect) known.set(defect, (known.get(defect) ?? 0) + 1);
      return !defect;
    });
    if (unknown.length > 0) {
      throw new Error(`${unknown.map((v) => `${v.invariant} before task ${v.step}: ${v.message}`).join('\n')}\nexecution: ${JSON.stringify(x)}`);
    }
  }), { numRuns: RUNS, seed: SEED });
  const seconds = (Date.now() - started) / 1000;
  process.stderr.write(`drill model: ${executions} executions in ${seconds.toFixed(1)} s; known open defects seen: ` +
    `${[...known].map(([d, n]) => `${n}× ${d.name}`).join('; ') || 'none'}\n`);
  expect(executions).toBeGreaterThanOrEqual(RUNS);
});
