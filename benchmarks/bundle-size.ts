/**
 * The Lambda handler bundles as deployed: bytes, gzip -9 bytes and cold `require` time (median of
 * 9 fresh processes) of every bundle in assets/, written to benchmarks/RESULTS-bundle.md. The
 * README's handler figures come from this file, and test/docs/readme-figures.test.ts fails when
 * the README, this file and the bundles in assets/ no longer agree.
 *
 *   npx projen bundle && npx ts-node --project test/tsconfig.json benchmarks/bundle-size.ts
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { coldRequireMs, sizes } from './bundle';

const ROOT = path.join(__dirname, '..');
const RUNS = 9;

function bundles(): string[] {
  const assets = path.join(ROOT, 'assets');
  return fs.readdirSync(assets).flatMap((concept) => fs.readdirSync(path.join(assets, concept))
    .map((name) => path.join('assets', concept, name, 'index.js'))
    .filter((file) => fs.existsSync(path.join(ROOT, file)))).sort();
}

function main(): void {
  const load = () => os.loadavg()[0].toFixed(1);
  const loadBefore = load();
  const rows = bundles().map((file) => {
    const { bytes, gzipBytes } = sizes(path.join(ROOT, file));
    const ms = coldRequireMs([path.join(ROOT, file)], RUNS).median;
    return `| ${file} | ${bytes.toLocaleString('en-US')} | ${gzipBytes.toLocaleString('en-US')} | ${Math.round(ms)} |`;
  });
  const out = path.join(ROOT, 'benchmarks', 'RESULTS-bundle.md');
  fs.writeFileSync(out, `# Handler bundles

Produced by \`npx ts-node --project test/tsconfig.json benchmarks/bundle-size.ts\` after \`npx projen bundle\`
on ${new Date().toISOString().slice(0, 10)} (${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, Node ${process.version};
load average ${loadBefore} at the start, ${load()} at the end). Cold \`require\` in a fresh \`node\` process, median of ${RUNS};
it grows with the machine's load.

| bundle | bytes | gzip -9 bytes | cold require ms |
|---|--:|--:|--:|
${rows.join('\n')}
`);
  console.log(`wrote ${path.relative(ROOT, out)}`);
}

main();
