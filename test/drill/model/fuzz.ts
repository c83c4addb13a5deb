/**
 * The long run of the generated drill executions (not in CI):
 * `npx projen fuzz:drill -- --seed 42 --runs 2000 --out report.json`. Runs that many executions
 * with the seed, groups the violations by kind (invariant and message with ids taken out), and
 * shrinks one execution of each kind, printed as JSON ready for known-defects.ts or
 * regressions.test.ts. Options: --seed N, --runs N, --max-servers N, --max-faults N,
 * --max-minutes N (stop early), --no-shrink, --exclude-faults a,b, --out file.json,
 * --shard i/n (run only the executions whose index is i modulo n: n processes with one seed).
 */
import * as fs from 'fs';
import * as fc from 'fast-check';
import { DrillExecution, executionArbitrary, FaultKind } from './generator';
import { knownDefect } from './known-defects';
import { runExecution, Violation } from './runner';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** A violation with ids and numbers taken out: violations of one kind share it. */
export function signature(v: Violation): string {
  return `${v.invariant}: ${v.message
    .replace(/s-[0-9a-f]{17}/g, '<server>')
    .replace(/i-[0-9a-f]{17}/g, '<instance>')
    .replace(/[0-9a-f]{8}-?[0-9a-f]{0,}/g, 'X')
    .replace(/\d+/g, 'N')
    .slice(0, 200)}`;
}

interface Kind { count: number; firstRun: number; known?: string; example: DrillExecution }

async function main(): Promise<void> {
  const [shard, shards] = (arg('shard') ?? '0/1').split('/').map(Number);
  const seed = Number(arg('seed') ?? 42);
  const runs = Number(arg('runs') ?? 1000);
  const maxMs = Number(arg('max-minutes') ?? Infinity) * 60_000;
  const arbitrary = executionArbitrary({
    maxServers: Number(arg('max-servers') ?? 6),
    maxFaults: Number(arg('max-faults') ?? 3),
    excludeFaults: (arg('exclude-faults') ?? '').split(',').filter((x) => x) as FaultKind[],
  });
  const started = Date.now();
  const kinds = new Map<string, Kind>();
  let generated = 0;
  let executions = 0;
  let failing = 0;
  await fc.check(fc.asyncProperty(arbitrary, async (x) => {
    const index = generated++;
    if (index % shards !== shard || Date.now() - started > maxMs) return true;
    executions++;
    const r = await runExecution(x, { stopAtFirstViolation: true });
    if (r.violations.length > 0) failing++;
    for (const v of r.violations.slice(0, 1)) {
      const key = signature(v);
      const kind = kinds.get(key);
      if (kind) kind.count++;
      else kinds.set(key, { count: 1, firstRun: index, known: knownDefect(v, x)?.name, example: x });
    }
    if (executions % 100 === 0) process.stderr.write(`${executions} executions, ${((Date.now() - started) / 1000).toFixed(0)} s, ${kinds.size} kinds of violation\n`);
    return true;
  }), { seed, numRuns: runs });
  const runMs = Date.now() - started;
  const report: Record<string, unknown> = {
    seed,
    shard: `${shard}/${shards}`,
    requestedRuns: runs,
    executions,
    runSeconds: runMs / 1000,
    executionsPerSecond: executions / (runMs / 1000),
    failingExecutions: failing,
    violations: [] as unknown[],
  };
  for (const [key, kind] of kinds) {
    let shrunk: unknown;
    if (!process.argv.includes('--no-shrink')) {
      const check = await fc.check(fc.asyncProperty(arbitrary, async (x) => {
        const r = await runExecution(x);
        return !r.violations.some((v) => signature(v) === key);
      }), { seed, path: String(kind.firstRun), numRuns: runs, endOnFailure: false, interruptAfterTimeLimit: 120_000 });
      if (check.counterexample) {
        const r = await runExecution(check.counterexample[0]);
        shrunk = { execution: check.counterexample[0], violations: r.violations };
      }
    }
    (report.violations as unknown[]).push({ kind: key, knownDefect: kind.known ?? null, executions: kind.count, firstRun: kind.firstRun, shrunk });
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
