/**
 * The long run of the model-based tests (not in CI): `npx projen fuzz -- --seed 42 --runs 10000`.
 * Runs that many random histories with the seed, groups the violations by kind, shrinks one
 * history of each kind (fast-check) and prints it as concrete steps, ready to paste into
 * regressions.test.ts. Options: --seed N, --runs N, --min-steps N, --max-steps N,
 * --max-minutes N (stop early), --no-shrink, --exclude-faults a,b, --exclude-steps a,b,
 * --exclude-changes a,b, --out file.json (the report), --shard i/n (run only the histories whose
 * index is i modulo n: n processes with the same seed and i = 0..n-1 run one long run on n cores),
 * --merge a.json,b.json (add up shard reports into one, with --out).
 */
import * as fs from 'fs';
import * as fc from 'fast-check';
import { Change, Fault, historyArbitrary, History, Step } from './generator';
import { knownDefect } from './known-defects';
import { fixtures, runHistory, Violation } from './runner';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const list = (name: string) => (arg(name) ?? '').split(',').filter((x) => x);

/** A violation with ids and numbers taken out: violations of one kind share it. */
export function signature(v: Violation): string {
  return `${v.invariant}: ${v.message
    .replace(/arn:aws:[a-z]+:[^ ,)'"]+/g, '<arn>')
    .replace(/s-[0-9a-f]{17}/g, '<server>')
    .replace(/\{[^}]*\}/g, '{..}')
    .replace(/\d+/g, 'N')
    .slice(0, 160)}`;
}

interface Kind { count: number; firstRun: number; known?: string }

/** One report from the reports of the shards of one run (same seed and runs). */
function merge(files: string[]): Record<string, unknown> {
  const reports = files.map((f) => JSON.parse(fs.readFileSync(f, 'utf8')));
  const sum = (key: string) => reports.reduce((n, r) => n + r[key], 0);
  const kinds = new Map<string, { kind: string; knownDefect: string | null; histories: number; firstRun: number; shrunk?: unknown }>();
  for (const v of reports.flatMap((r) => r.violations)) {
    const k = kinds.get(v.kind);
    if (!k) {kinds.set(v.kind, { ...v });} else {
      k.histories += v.histories;
      if (v.firstRun < k.firstRun) Object.assign(k, { firstRun: v.firstRun, shrunk: v.shrunk ?? k.shrunk });
    }
  }
  const wallSeconds = Math.max(...reports.map((r) => r.setupSeconds + r.runSeconds));
  return {
    seed: reports[0].seed,
    requestedRuns: reports[0].requestedRuns,
    shards: reports.length,
    histories: sum('histories'),
    steps: sum('steps'),
    wallSeconds,
    cpuSeconds: sum('runSeconds'),
    historiesPerSecond: sum('histories') / wallSeconds,
    failingHistories: sum('failingHistories'),
    violations: [...kinds.values()],
  };
}

async function main(): Promise<void> {
  if (arg('merge')) {
    const text = JSON.stringify(merge(list('merge')), null, 1);
    if (arg('out')) fs.writeFileSync(arg('out')!, text);
    process.stdout.write(`${text}\n`);
    return;
  }
  const [shard, shards] = (arg('shard') ?? '0/1').split('/').map(Number);
  if (!(shards >= 1 && shard >= 0 && shard < shards)) throw new Error(`--shard must be i/n with 0 <= i < n, got ${arg('shard')}`);
  const seed = Number(arg('seed') ?? 42);
  const runs = Number(arg('runs') ?? 1000);
  const maxMs = Number(arg('max-minutes') ?? Infinity) * 60_000;
  const options = {
    minSteps: Number(arg('min-steps') ?? 8),
    maxSteps: Number(arg('max-steps') ?? 12),
    excludeFaults: list('exclude-faults') as Fault['kind'][],
    excludeSteps: list('exclude-steps') as Step['kind'][],
    excludeChanges: list('exclude-changes') as Change['op'][],
  };
  const arbitrary = historyArbitrary(options);
  const started = Date.now();
  const fx = fixtures();
  const setupMs = Date.now() - started;
  const kinds = new Map<string, Kind>();
  let generated = 0;
  let histories = 0;
  let steps = 0;
  const runStarted = Date.now();
  // Every run passes (so all of them run); failing runs are recorded by index, which with the
  // seed is fast-check's replay path for shrinking below.
  await fc.check(fc.asyncProperty(arbitrary, async (history: History) => {
    const index = generated++;
    if (index % shards !== shard || Date.now() - started > maxMs) return true;
    histories++;
    const result = await runHistory(history, { stopAtFirstViolation: true }, fx);
    steps += result.steps.length;
    for (const v of result.violations.slice(0, 1)) {
      const key = signature(v);
      const kind = kinds.get(key);
      if (kind) kind.count++;
      else kinds.set(key, { count: 1, firstRun: index, known: knownDefect(v, result.steps)?.name });
    }
    if (histories % 500 === 0) process.stderr.write(`${histories} histories, ${steps} steps, ${((Date.now() - runStarted) / 1000).toFixed(0)} s, ${kinds.size} kinds of violation\n`);
    return true;
  }), { seed, numRuns: runs });
  const runMs = Date.now() - runStarted;
  const report: Record<string, unknown> = {
    seed,
    shard: `${shard}/${shards}`,
    requestedRuns: runs,
    histories,
    steps,
    setupSeconds: setupMs / 1000,
    runSeconds: runMs / 1000,
    historiesPerSecond: histories / (runMs / 1000),
    stepsPerSecond: steps / (runMs / 1000),
    failingHistories: [...kinds.values()].reduce((n, k) => n + k.count, 0),
    violations: [] as unknown[],
  };
  for (const [key, kind] of kinds) {
    let shrunk: unknown;
    if (!process.argv.includes('--no-shrink')) {
      const check = await fc.check(fc.asyncProperty(arbitrary, async (h: History) => {
        const r = await runHistory(h, {}, fx);
        return !r.violations.some((v) => signature(v) === key);
      }), { seed, path: String(kind.firstRun), numRuns: runs, endOnFailure: false, interruptAfterTimeLimit: 180_000 });
      if (check.counterexample) {
        const r = await runHistory(check.counterexample[0], {}, fx);
        shrunk = { reading: check.counterexample[0].reading, steps: r.steps, violations: r.violations };
      }
    }
    (report.violations as unknown[]).push({ kind: key, knownDefect: kind.known ?? null, histories: kind.count, firstRun: kind.firstRun, shrunk });
    process.stderr.write(`shrunk: ${key}\n`);
  }
  const text = JSON.stringify(report, null, 1);
  if (arg('out')) fs.writeFileSync(arg('out')!, text);
  process.stdout.write(`${text}\n`);
}

main().then(() => process.exit(0), (err) => {
  process.stderr.write(`${err?.stack ?? err}\n`);
  process.exit(1);
});
