/**
 * Model-based lifecycle tests: random stack histories (generator.ts) run against the local DRS
 * with the bundled handler asset, invariants I1-I5 checked after every step (invariants.ts).
 * CI runs a fixed seed; `npx projen fuzz -- --seed N --runs M` runs any number. Violations that
 * are known, still-open defects (known-defects.ts, each with its regression test) are counted,
 * not failed; any other violation fails and fast-check shrinks the history.
 */
import * as fc from 'fast-check';
import { historyArbitrary } from './generator';
import { KnownDefect, knownDefect } from './known-defects';
import { fixtures, runHistory } from './runner';

jest.setTimeout(900_000);

const RUNS = Number(process.env.MODEL_RUNS ?? 200);
const SEED = Number(process.env.MODEL_SEED ?? 20261201);

test(`${RUNS} random histories of 8-12 steps keep the invariants (seed ${SEED})`, async () => {
  const fx = fixtures();
  let histories = 0;
  let steps = 0;
  const known = new Map<KnownDefect, number>();
  const started = Date.now();
  await fc.assert(fc.asyncProperty(historyArbitrary({ minSteps: 8, maxSteps: 12 }), async (history) => {
    const result = await runHistory(history, {}, fx);
    histories++;
    steps += result.steps.length;
    const unknown = result.violations.filter((v) => {
      const defect = knownDefect(v, result.steps);
      if (defect) known.set(defect, (known.get(defect) ?? 0) + 1);
      return !defect;
    });
    if (unknown.length > 0) {
      throw new Error(`${unknown.map((v) => `${v.invariant} after step ${v.step}: ${v.message}`).join('\n')}\n` +
        `concrete steps (reading ${history.reading}):\n${JSON.stringify(result.steps, null, 1)}`);
    }
  }), { numRuns: RUNS, seed: SEED });
  const seconds = (Date.now() - started) / 1000;
  process.stderr.write(`model: ${histories} histories, ${steps} steps in ${seconds.toFixed(1)} s ` +
    `(${(histories / seconds).toFixed(1)} histories/s, ${(steps / seconds).toFixed(0)} steps/s); known open defects seen: ` +
    `${[...known].map(([d, n]) => `${n}× ${d.name}`).join('; ') || 'none'}\n`);
  expect(histories).toBeGreaterThanOrEqual(RUNS);
  expect(steps).toBeGreaterThanOrEqual(RUNS * 8);
});
