/**
 * Replays histories of a fuzz run by index (the report's `firstRun`), without shrinking, and
 * prints each one's violations and concrete steps (ready to shrink by hand into
 * regressions.test.ts): `npx ts-node --project test/tsconfig.json test/model/replay-index.ts
 * --seed 90210 22 289`. Uses fuzz.ts's default generator options (8-12 steps, nothing excluded).
 */
import * as fc from 'fast-check';
import { historyArbitrary, History } from './generator';
import { fixtures, runHistory } from './runner';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const s = args.indexOf('--seed');
  const seed = s >= 0 ? Number(args.splice(s, 2)[1]) : 42;
  const indices = args.map(Number).filter((n) => Number.isInteger(n) && n >= 0);
  if (indices.length === 0) throw new Error('usage: replay-index.ts [--seed N] INDEX...');
  const arbitrary = historyArbitrary({ minSteps: 8, maxSteps: 12, excludeFaults: [], excludeSteps: [], excludeChanges: [] });
  const histories = new Map<number, History>();
  let i = 0;
  // The same generation as fuzz.ts's run: history i is the i-th value for the seed.
  fc.check(fc.property(arbitrary, (h) => {
    if (indices.includes(i)) histories.set(i, h);
    i++;
    return true;
  }), { seed, numRuns: Math.max(...indices) + 1 });
  const fx = fixtures();
  for (const n of indices) {
    const h = histories.get(n)!;
    const r = await runHistory(h, { stopAtFirstViolation: true }, fx);
    process.stdout.write(`${JSON.stringify({ index: n, reading: h.reading, violations: r.violations, steps: r.steps }, null, 1)}\n`);
  }
}

main().then(() => process.exit(0), (err) => {
  process.stderr.write(`${err?.stack ?? err}\n`);
  process.exit(1);
});
