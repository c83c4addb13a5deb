import * as fs from 'fs';
import * as path from 'path';

/**
 * Every figure in the README's Performance section comes from a benchmark's results file
 * (benchmarks/RESULTS.md: `npx projen benchmark`; benchmarks/RESULTS-bundle.md:
 * benchmarks/bundle-size.ts), and the bundle figures still describe the bundles the build makes.
 */
const ROOT = path.join(__dirname, '..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');

function section(md: string, heading: string): string {
  const start = md.indexOf(`\n## ${heading}\n`);
  const end = md.indexOf('\n## ', start + 1);
  expect(start).toBeGreaterThanOrEqual(0);
  return md.slice(start, end < 0 ? undefined : end);
}

/** Figures: ratios (0.28×), numbers with thousands separators, numbers of 4 digits or more. */
const figures = (text: string) => [...text.matchAll(/\d[\d,]*(?:\.\d+)?×|\d{1,3}(?:,\d{3})+|\d{4,}/g)].map((m) => m[0]);

/** bundle path → bytes, gzip bytes, from RESULTS-bundle.md's table. */
function bundleResults(): Map<string, { bytes: number; gzip: number }> {
  const rows = new Map<string, { bytes: number; gzip: number }>();
  for (const [, file, bytes, gzip] of read('benchmarks/RESULTS-bundle.md').matchAll(/^\| (assets\/\S+) \| ([\d,]+) \| ([\d,]+) \|/gm)) {
    rows.set(file, { bytes: Number(bytes.replace(/,/g, '')), gzip: Number(gzip.replace(/,/g, '')) });
  }
  return rows;
}

describe('README figures', () => {
  test('every figure in the Performance section is in a benchmark results file', () => {
    const results = read('benchmarks/RESULTS.md') + read('benchmarks/RESULTS-bundle.md');
    const perf = section(read('README.md'), 'Performance');
    const found = figures(perf);
    expect(found.length).toBeGreaterThan(5);
    const missing = found.filter((f) => !results.includes(f) && !results.includes(f.replace(/,/g, '')));
    expect(missing).toEqual([]);
  });

  test('the README quotes the handler bundle as RESULTS-bundle.md has it', () => {
    const handler = bundleResults().get('assets/provider/drs-handler.lambda/index.js');
    expect(handler).toBeDefined();
    const perf = section(read('README.md'), 'Performance');
    expect(perf).toContain(`${handler!.bytes.toLocaleString('en-US')} bytes (${handler!.gzip.toLocaleString('en-US')} bytes`);
  });

  // The bundles change with the code: within 3% the figures still hold; beyond, rerun
  // `npx projen bundle && npx ts-node --project test/tsconfig.json benchmarks/bundle-size.ts`.
  const built = [...bundleResults()].filter(([file]) => fs.existsSync(path.join(ROOT, file)));
  test.each(built)('%s is still the size RESULTS-bundle.md says (within 3%%)', (file, { bytes }) => {
    const now = fs.statSync(path.join(ROOT, file)).size;
    expect(Math.abs(now - bytes) / bytes).toBeLessThanOrEqual(0.03);
  });

  test('every bundle the build makes is measured', () => {
    const assets = path.join(ROOT, 'assets');
    if (!fs.existsSync(assets)) return; // measured when built: `npx projen bundle`
    const onDisk = fs.readdirSync(assets).flatMap((c) => fs.readdirSync(path.join(assets, c)).map((n) => `assets/${c}/${n}/index.js`))
      .filter((f) => fs.existsSync(path.join(ROOT, f)));
    expect(onDisk.filter((f) => !bundleResults().has(f))).toEqual([]);
  });
});
