/**
 * Coverage report benchmark: the bundled coverage-report function (run as Lambda runs it, its
 * own process) against the local DRS with S staging accounts of N servers each, every server
 * extended into the target account (a third owned by stack A, a third by stack B, a third
 * unmanaged) plus 10 unextended servers per staging account. Reports per size: the DRS calls of
 * the run by operation, the run's wall time (process start to exit; local loopback, so this is
 * CPU and call count, not AWS latency), the EMF lines, and the event's size against
 * EventBridge's 256 KB limit. Writes benchmarks/RESULTS-coverage.md.
 *
 *   npx ts-node --project test/tsconfig.json benchmarks/coverage.ts [accounts x servers ...]   e.g. 1x30 1x300 10x300
 */
import * as fs from 'fs';
import * as path from 'path';
import { performance } from 'perf_hooks';
import { CreateExtendedSourceServerCommand, DrsClient } from '@aws-sdk/client-drs';
import { CoverageEnv, OwnerTags } from '../src/contract';
import { LocalDrs } from '../test/local-drs';
import { startLocalEvents } from '../test/support/local-events';
import { runBundle } from '../test/support/run-bundle';

const ASSET_DIR = path.join(__dirname, '..', 'assets', 'observability', 'coverage-report.lambda');
const REGION = 'us-east-1';
const TARGET = '222222222222';
const STACKS = ['arn:aws:cloudformation:us-east-1:222222222222:stack/A/1', 'arn:aws:cloudformation:us-east-1:222222222222:stack/B/2'];

interface Row {
  readonly accounts: number;
  readonly perAccount: number;
  readonly calls: Record<string, number>;
  readonly seconds: number;
  readonly emfLines: number;
  readonly eventBytes: number;
  readonly listsDropped: boolean;
}

async function measure(accounts: number, perAccount: number): Promise<Row> {
  // 10 unextended servers on top of the extended ones: above DRS's 300 at 300 per account.
  const drs = await LocalDrs.start({ quotas: { replicatingServersPerRegion: perAccount + 10 } });
  drs.addAccount(TARGET);
  const events = await startLocalEvents();
  const target = new DrsClient({ ...drs.clientConfig(TARGET, REGION), maxAttempts: 1 });
  try {
    drs.setTrustEvaluator(() => ({ trusted: true }));
    for (let a = 0; a < accounts; a++) {
      const staging = String(100000000000 + a * 1111);
      drs.addAccount(staging);
      for (let n = 0; n < perAccount; n++) {
        const s = drs.addReplicatingServer(staging, REGION, { hostname: `h-${a}-${n}` });
        const third = n % 3;
        const tags: Record<string, string> = third === 2 ? {} : { [OwnerTags.STACK_ID]: STACKS[third], [OwnerTags.LOGICAL_ID]: `R${n}` };
        await target.send(new CreateExtendedSourceServerCommand({ sourceServerArn: s.arn, tags }));
      }
      for (let n = 0; n < 10; n++) drs.addReplicatingServer(staging, REGION, { hostname: `new-${a}-${n}` });
    }
    const before = drs.calls.length;
    const started = performance.now();
    const run = await runBundle(ASSET_DIR, {
      PATH: process.env.PATH ?? '',
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: drs.credentialsFor(TARGET).accessKeyId,
      AWS_SECRET_ACCESS_KEY: drs.credentialsFor(TARGET).secretAccessKey,
      AWS_ENDPOINT_URL_DRS: drs.endpoint,
      AWS_ENDPOINT_URL_EVENTBRIDGE: events.url,
      [CoverageEnv.MAX_DAYS_SINCE_DRILL]: '30',
      [CoverageEnv.EVENT_BUS]: 'bench',
    }, {}, 600_000);
    const seconds = (performance.now() - started) / 1000;
    if (run.code !== 0) throw new Error(`the coverage run failed: ${run.stderr}`);
    const calls: Record<string, number> = {};
    for (const c of drs.calls.slice(before)) calls[c.operation] = (calls[c.operation] ?? 0) + 1;
    const detail = events.requests[0].body.Entries[0].Detail as string;
    return {
      accounts,
      perAccount,
      calls,
      seconds,
      emfLines: run.stdout.filter((l) => l.includes('"_aws"')).length,
      eventBytes: Buffer.byteLength(detail),
      listsDropped: JSON.parse(detail).stagingAccounts.every((a: any) => a.unmanaged.length === 0),
    };
  } finally {
    target.destroy();
    await events.close();
    await drs.stop();
  }
}

async function main(): Promise<void> {
  if (!fs.existsSync(path.join(ASSET_DIR, 'index.js'))) throw new Error(`${ASSET_DIR} is missing: run 'npx projen bundle' first`);
  const sizes = (process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['1x30', '1x300', '10x300']).map((s) => s.split('x').map(Number));
  const rows: Row[] = [];
  for (const [accounts, perAccount] of sizes) {
    rows.push(await measure(accounts, perAccount));
    console.log(JSON.stringify(rows[rows.length - 1]));
  }
  const lines = [
    '# Coverage report benchmark',
    '',
    'The bundled coverage-report function against the local DRS (`benchmarks/coverage.ts`): every staging server extended, a third',
    'owned by each of two stacks and a third unmanaged, plus 10 unextended servers per staging account. Wall time is the whole',
    'process on loopback (start, require, run), so it reflects call count and CPU, not AWS latency.',
    '',
    '| staging accounts × servers | extended | DRS calls (by operation) | wall time | EMF lines | event detail | lists |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.accounts} × ${r.perAccount} | ${r.accounts * r.perAccount} | ${Object.entries(r.calls).map(([k, v]) => `${k} ${v}`).join(', ')} `
      + `| ${r.seconds.toFixed(2)} s | ${r.emfLines} | ${(r.eventBytes / 1024).toFixed(1)} KB | ${r.listsDropped ? 'dropped (too large)' : 'kept (50 per list)'} |`),
    '',
  ];
  fs.writeFileSync(path.join(__dirname, 'RESULTS-coverage.md'), lines.join('\n'));
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
