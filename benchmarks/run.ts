/**
 * Benchmarks: (a) one ExtendedSourceServer per server, (b) one StagingAccountExtension per
 * staging account and (c) the baseline, one AwsCustomResource per server, side by side in one
 * run: synthesis, extending servers through the local DRS with and without throttling, and the
 * Lambda code. Writes the report to benchmarks/RESULTS.md (see benchmarks/README.md).
 *
 *   npx ts-node --project test/tsconfig.json benchmarks/run.ts [--quick] [--full] [--out FILE]
 *
 * --quick  a smoke run (small sizes, one synthesis each) written to .benchmark/RESULTS-quick.md
 * --full   also drive (a) and (c) through the local DRS at 300 and 1000 servers (about 27 minutes)
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { performance } from 'perf_hooks';
import { Variant, VARIANT_NAMES, VARIANTS, stagingSplit } from './apps';
import { CodeMetrics, measureBundles, rebuildHandlerBundle } from './bundle';
import { LocalMetrics, measureLocal, Throttling } from './local';
import { ratio } from './stats';
import { CFN_MAX_RESOURCES, measureSynth, SynthMetrics } from './synth';

const ROOT = path.join(__dirname, '..');
const COMMAND = 'npx ts-node --project test/tsconfig.json benchmarks/run.ts';

interface Plan {
  readonly synthSizes: number[];
  /** Timed syntheses per size (the median is reported): more where one is quick and noisy. */
  readonly synthRuns: (servers: number) => number;
  /** Sizes driven through the local DRS, per variant. */
  readonly localSizes: Record<Variant, number[]>;
  readonly throttling: Throttling;
  readonly requireRuns: number;
  readonly out: string;
  readonly flags: string[];
}

function plan(argv: readonly string[]): Plan {
  const flags = argv.filter((a) => a.startsWith('--') && a !== '--out');
  const known = ['--quick', '--full', '--no-bundle'];
  const unknown = flags.filter((f) => !known.includes(f));
  if (unknown.length > 0) throw new Error(`unknown option(s) ${unknown.join(', ')}; known: ${known.join(', ')}, --out FILE`);
  const outIndex = argv.indexOf('--out');
  const quick = flags.includes('--quick');
  const full = flags.includes('--full');
  const all = [10, 100, 300, 1000];
  // (a) and (c) run one handler process per server, one after another: 300 and 1000 servers
  // take minutes each, so they run only with --full. (b) runs one per staging account.
  const perServer = quick ? [10] : full ? all : [10, 100];
  return {
    synthSizes: quick ? [10, 100] : all,
    synthRuns: (servers) => (quick ? 1 : servers <= 100 ? 5 : 3),
    localSizes: { a: perServer, b: quick ? [10, 100] : all, c: perServer },
    // A tenth of all calls throttled, with the one-second Retry-After the DRS model allows for.
    throttling: { rate: 0.1, retryAfterSeconds: 1 },
    requireRuns: quick ? 3 : 9,
    out: outIndex >= 0 ? path.resolve(argv[outIndex + 1]) : path.join(ROOT, quick ? '.benchmark/RESULTS-quick.md' : 'benchmarks/RESULTS.md'),
    flags,
  };
}

const log = (line: string): void => console.error(line);

async function main(): Promise<void> {
  const p = plan(process.argv.slice(2));
  // Under ts-node, forked processes would inherit ts-node in their execArgv; the handler
  // processes must run plain node, as in Lambda.
  process.execArgv = [];
  const workdir = path.join(ROOT, '.benchmark', 'work');
  fs.rmSync(workdir, { recursive: true, force: true });
  fs.mkdirSync(workdir, { recursive: true });
  const started = performance.now();
  const loadBefore = os.loadavg()[0];

  if (!p.flags.includes('--no-bundle')) {
    log('bundling the handler (the bundle task\'s esbuild command)');
    rebuildHandlerBundle();
  }

  log('handler code');
  const bundles = measureBundles(p.requireRuns);

  // One throwaway synthesis loads and warms every module before anything is timed.
  for (const v of VARIANTS) measureSynth(v, 10, 1, workdir);
  const synth: SynthMetrics[] = [];
  for (const n of p.synthSizes) {
    for (const v of VARIANTS) {
      log(`synth ${v} ${n}`);
      synth.push(measureSynth(v, n, p.synthRuns(n), workdir));
    }
  }

  const local: LocalMetrics[] = [];
  const sizes = [...new Set(VARIANTS.flatMap((v) => p.localSizes[v]))].sort((x, y) => x - y);
  for (const n of sizes) {
    for (const v of VARIANTS.filter((x) => p.localSizes[x].includes(n))) {
      for (const throttling of [undefined, p.throttling]) {
        log(`local DRS ${v} ${n}${throttling ? ' throttled' : ''}`);
        local.push(await measureLocal(v, n, workdir, throttling));
      }
    }
  }
  fs.rmSync(workdir, { recursive: true, force: true });

  const totalS = (performance.now() - started) / 1000;
  fs.mkdirSync(path.dirname(p.out), { recursive: true });
  const load = `load average ${loadBefore.toFixed(1)} at the start, ${os.loadavg()[0].toFixed(1)} at the end`;
  fs.writeFileSync(p.out, report(p, synth, local, bundles, totalS, load));
  log(`wrote ${path.relative(ROOT, p.out)} (${totalS.toFixed(0)} s)`);

  // The library's variants must work; the baseline failing is a finding, not an error.
  const broken = local.filter((m) => m.variant !== 'c' && (!m.ok || m.extended !== m.servers));
  if (broken.length > 0) {
    for (const m of broken) log(`FAILED: ${m.variant} ${m.servers}: ${m.failure ?? `${m.extended} extended`}`);
    process.exitCode = 1;
  }
}

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const withRatio = (value: number, baseline: number | undefined, fmt: (n: number) => string = int): string =>
  `${fmt(value)} (${ratio(value, baseline)})`;

/** A Markdown table whose first `textColumns` columns are left-aligned, the numbers right-aligned. */
function table(header: string[], rows: string[][], textColumns: number): string {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map((_, i) => (i < textColumns ? '---' : '--:')).join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

function report(p: Plan, synth: SynthMetrics[], local: LocalMetrics[], bundles: CodeMetrics[], totalS: number, load: string): string {
  const cpus = os.cpus();
  const machine = `${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${os.platform()} ${os.release()}, Node ${process.version}`;
  const out = path.relative(ROOT, p.out);
  const defaultOut = p.flags.includes('--quick') ? '.benchmark/RESULTS-quick.md' : 'benchmarks/RESULTS.md';
  const command = [COMMAND, ...p.flags, ...(out === defaultOut ? [] : ['--out', out])].join(' ');

  const synthRows = synth.map((m) => {
    const c = synth.find((x) => x.servers === m.servers && x.variant === 'c');
    return [
      String(m.servers),
      VARIANT_NAMES[m.variant],
      withRatio(m.stacks, c?.stacks),
      withRatio(m.templateBytes, c?.templateBytes),
      withRatio(m.maxResourcesPerStack, c?.maxResourcesPerStack),
      withRatio(m.functionsPerStack, c?.functionsPerStack),
      withRatio(m.rolesPerStack, c?.rolesPerStack),
      withRatio(m.synthMs, c?.synthMs),
    ];
  });

  const localRows = local.map((m) => {
    const c = local.find((x) => x.servers === m.servers && x.variant === 'c' && (x.throttling === undefined) === (m.throttling === undefined));
    return [
      String(m.servers),
      VARIANT_NAMES[m.variant],
      m.throttling ? `${m.throttling.rate * 100}%` : 'none',
      m.ok ? 'CREATE_COMPLETE' : `failed: ${m.failure?.replace(/\|/g, '/') ?? ''}`,
      String(m.extended),
      withRatio(m.drsCalls, c?.drsCalls),
      String(m.throttledCalls),
      withRatio(m.invocations, c?.invocations),
      withRatio(m.wallMs / 1000, c ? c.wallMs / 1000 : undefined, (s) => s.toFixed(1)),
    ];
  });

  const ours = bundles[0];
  const base = bundles[1];
  const bundleRows = bundles.map((b) => [
    b.label,
    b.bytes === undefined ? 'not in the asset' : withRatio(b.bytes, base.bytes),
    b.gzipBytes === undefined ? '–' : withRatio(b.gzipBytes, base.gzipBytes),
    withRatio(b.coldRequireMs, base.coldRequireMs, (ms) => ms.toFixed(0)),
  ]);

  const skipped = VARIANTS.flatMap((v) => p.synthSizes.filter((n) => !p.localSizes[v].includes(n)).map((n) => `${v} ${n}`));
  const accounts = p.synthSizes.map((n) => `${n} → ${stagingSplit(n).length}`).join(', ');

  return `# Benchmark results

Produced by \`${command}\` on ${new Date().toISOString().slice(0, 10)} (${machine}; ${load}; ${totalS.toFixed(0)} s).
Every figure in parentheses is a ratio against (c), the \`AwsCustomResource\` baseline, measured
in the same run at the same size. How each figure is measured: [README.md](README.md).

Staging accounts per size (at most ${300} servers each): ${accounts}. Each staging account has
its own target stacks: one for (a) and (b), as many as (c) needs to stay within CloudFormation's
${CFN_MAX_RESOURCES} resources per stack.

## Synthesis (target stacks only; synth time is the median of ${p.synthSizes.map((n) => p.synthRuns(n)).join('/')} runs)

${table(['servers', 'variant', 'stacks', 'template bytes (all stacks)', 'resources (largest stack)', 'Lambda functions / stack', 'IAM roles / stack', 'synth ms'], synthRows, 2)}

## Extending the servers through the local DRS

Throttling: ${p.throttling.rate * 100}% of all DRS calls answered \`ThrottlingException\` with
\`Retry-After: ${p.throttling.retryAfterSeconds}\` (seeded, so every run throttles the same calls). DRS calls are
those of the target account, throttled ones included; handler runs are Lambda invocations
(retries and continuations included). The lifecycle driver runs one invocation at a time, so
wall times of (a) and (c) grow with one process per server (CloudFormation would run many at once).
${skipped.length > 0 ? `Not run here (one handler process per server; \`--full\` runs them): ${skipped.join(', ')}.\n` : ''}
${table(['servers', 'variant', 'throttling', 'result', 'extended', 'DRS calls', 'throttled', 'handler runs', 'wall s'], localRows, 4)}

## Lambda code

Cold \`require\` in a fresh \`node\` process, median of ${p.requireRuns}.

${table(['code', 'bytes', 'gzip -9 bytes', 'cold require ms'], bundleRows, 1)}

(a) and (b) deploy ${int(ours.bytes ?? 0)} bytes of handler code once per stack; (c) deploys
${int(base.bytes ?? 0)} bytes and relies on the DRS client of the Lambda runtime, whatever version it is.
`;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
