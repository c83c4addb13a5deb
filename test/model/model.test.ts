/**
 * Model-based lifecycle tests: random stack histories (generator.ts) run against the local DRS
 * with the bundled handler asset, invariants I1-I5 checked after every step (invariants.ts).
 * CI runs a fixed seed; `npx projen fuzz -- --seed N --runs M` runs any number.
 */
import * as fc from 'fast-check';
import { historyArbitrary } from './generator';
import { fixtures, runHistory } from './runner';

jest.setTimeout(900_000);

const RUNS = Number(process.env.MODEL_RUNS ?? 200);
const SEED = Number(process.env.MODEL_SEED ?? 20261201);

test(`${RUNS} random histories of 8-12 steps keep the invariants (seed ${SEED})`, async () => {
  const fx = fixtures();
  let steps = 0;
  await fc.assert(fc.asyncProperty(historyArbitrary({ minSteps: 8, maxSteps: 12 }), async (history) => {
    const result = await runHistory(history, {}, fx);
    steps += result.steps.length;
    if (result.violations.length > 0) {
      throw new Error(`${result.violations.map((v) => `${v.invariant} after step ${v.step}: ${v.message}`).join('\n')}\n` +
        `concrete steps:\n${JSON.stringify(result.steps, null, 1)}`);
    }
  }), { numRuns: RUNS, seed: SEED, endOnFailure: true });
  expect(steps).toBeGreaterThanOrEqual(RUNS * 8);
});
