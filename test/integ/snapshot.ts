/**
 * The snapshot step of integ-runner, without AWS: synthesize each `integ.*.ts` app with its
 * default (placeholder) settings and compare its templates with the committed
 * `<file>.snapshot/` cloud assembly. integ-runner 2.197 (the newest) cannot read the
 * cloud-assembly schema that this project's aws-cdk-lib writes (54), so this stands in for it;
 * the snapshot layout is integ-runner's own, so it can take over again.
 *
 * `npx projen integ:snapshot` runs this file to rewrite the snapshots.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export const INTEG_DIR = __dirname;

/** The integ apps in test/integ, as absolute paths. */
export function integTests(): string[] {
  return fs.readdirSync(INTEG_DIR)
    .filter((f) => /^integ\..+\.ts$/.test(f))
    .map((f) => path.join(INTEG_DIR, f));
}

export function snapshotDir(testFile: string): string {
  return `${testFile}.snapshot`;
}

/**
 * Runs an integ app in this process, writing its cloud assembly to `outdir`. DRS_INTEG_* settings
 * and CDK context from the environment are hidden, so the result depends on the code only (and
 * on `env`, variables set for this run).
 */
export function synthesize(testFile: string, outdir: string, env: Record<string, string> = {}): void {
  const saved = { ...process.env };
  for (const key of Object.keys(process.env)) {
    if (key.startsWith('DRS_INTEG_') || key === 'CDK_CONTEXT_JSON') delete process.env[key];
  }
  Object.assign(process.env, env);
  process.env.CDK_OUTDIR = outdir;
  try {
    // The app synthesizes when loaded, as under integ-runner or the CDK CLI; load it afresh each
    // time (under jest, whose module registry ignores require.cache, in an isolated registry).
    const resolved = require.resolve(testFile);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const load = () => require(resolved);
    if (typeof jest !== 'undefined') {
      jest.isolateModules(load);
    } else {
      delete require.cache[resolved];
      load();
    }
  } finally {
    for (const key of Object.keys(process.env)) {
      if (!(key in saved)) delete process.env[key];
    }
    Object.assign(process.env, saved);
  }
}

/**
 * A template as compared. Masked: asset hashes (they change with every handler build, and
 * integ-runner ignores them too unless `diffAssets`), the assertion resources' `salt` (a
 * timestamp), and the md5 suffixes integ-tests puts on assertion ids (hashes of token strings,
 * which depend on how many tokens the process made before).
 */
export function canonicalTemplate(text: string): unknown {
  const masked = text
    .replace(/\b[0-9a-f]{64}\b/g, '<asset-hash>')
    .replace(/([A-Za-z])[0-9a-f]{32}\b/g, '$1<hash>');
  return JSON.parse(masked, (key, value) => (key === 'salt' ? '<salt>' : value));
}

/** The test cases integ-runner would run: their stacks and assertion stack. */
function testCases(dir: string): unknown {
  const file = path.join(dir, 'integ.json');
  return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')).testCases : undefined;
}

function templates(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.template.json')).sort() : [];
}

/** The first path at which two JSON values differ, or undefined when they are equal. */
export function firstDifference(a: unknown, b: unknown, at = ''): string | undefined {
  if (typeof a !== typeof b || Array.isArray(a) !== Array.isArray(b) || a === null || b === null ||
      typeof a !== 'object') {
    return JSON.stringify(a) === JSON.stringify(b) ? undefined
      : `${at || '(root)'}: snapshot ${JSON.stringify(a)}, synthesized ${JSON.stringify(b)}`;
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(ao), ...Object.keys(bo)])].sort();
  for (const key of keys) {
    const diff = firstDifference(ao[key], bo[key], at ? `${at}.${key}` : key);
    if (diff) return diff;
  }
  return undefined;
}

/** Compares a synthesized assembly with a snapshot; returns the differences (empty when equal). */
export function compareAssemblies(snapshot: string, synthesized: string): string[] {
  if (!fs.existsSync(snapshot)) return [`no snapshot at ${path.relative(process.cwd(), snapshot)}`];
  const problems: string[] = [];
  const expected = templates(snapshot);
  const actual = templates(synthesized);
  for (const name of expected.filter((t) => !actual.includes(t))) problems.push(`${name}: in the snapshot but no longer synthesized`);
  for (const name of actual.filter((t) => !expected.includes(t))) problems.push(`${name}: synthesized but not in the snapshot`);
  for (const name of expected.filter((t) => actual.includes(t))) {
    const diff = firstDifference(
      canonicalTemplate(fs.readFileSync(path.join(snapshot, name), 'utf8')),
      canonicalTemplate(fs.readFileSync(path.join(synthesized, name), 'utf8')));
    if (diff) problems.push(`${name}: ${diff}`);
  }
  const cases = firstDifference(testCases(snapshot), testCases(synthesized), 'integ.json testCases');
  if (cases) problems.push(cases);
  return problems;
}

/** Synthesizes an integ app into a temporary directory and compares it with its snapshot. */
export function verifySnapshot(testFile: string): string[] {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'integ-snapshot-'));
  try {
    synthesize(testFile, outdir);
    return compareAssemblies(snapshotDir(testFile), outdir);
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/**
 * Rewrites an integ app's snapshot. Asset directories are left out (they are build output,
 * hundreds of KB each, and not compared); the rest is the cloud assembly as integ-runner keeps it.
 */
export function updateSnapshot(testFile: string): void {
  const dir = snapshotDir(testFile);
  fs.rmSync(dir, { recursive: true, force: true });
  synthesize(testFile, dir);
  for (const entry of fs.readdirSync(dir)) {
    if (entry.startsWith('asset.')) fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
  }
}

if (require.main === module) {
  for (const test of integTests()) {
    updateSnapshot(test);
    console.log(`wrote ${path.relative(process.cwd(), snapshotDir(test))}`);
  }
}
