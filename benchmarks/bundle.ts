/**
 * The Lambda code each variant deploys: its size, and how long a cold `require` of it takes
 * in a fresh Node process (the part of a Lambda cold start the code controls).
 */
import { execFileSync, execSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { median } from './stats';

const ROOT = path.join(__dirname, '..');
export const HANDLER_BUNDLE = path.join(ROOT, 'assets', 'provider', 'drs-handler.lambda', 'index.js');
/** aws-cdk-lib's handler for every AwsCustomResource (one asset, shared by all of them). */
export const AWS_CUSTOM_RESOURCE_HANDLER = path.join(ROOT, 'node_modules', 'aws-cdk-lib', 'custom-resource-handlers',
  'dist', 'custom-resources', 'aws-custom-resource-handler', 'index.js');

/**
 * Rebuilds the handler bundle with the exact command of the project's bundle task (read from
 * .projen/tasks.json, run without projen), so the numbers are those of the current source.
 */
export function rebuildHandlerBundle(): void {
  const tasks = JSON.parse(fs.readFileSync(path.join(ROOT, '.projen', 'tasks.json'), 'utf8')).tasks;
  const command: string | undefined = tasks['bundle:provider/drs-handler.lambda']?.steps?.[0]?.exec;
  if (!command) throw new Error('no bundle:provider/drs-handler.lambda task in .projen/tasks.json');
  execSync(command, {
    cwd: ROOT,
    stdio: 'ignore',
    env: { ...process.env, PATH: `${path.join(ROOT, 'node_modules', '.bin')}${path.delimiter}${process.env.PATH}` },
  });
}

export interface CodeMetrics {
  readonly label: string;
  /** Undefined for code that is not part of the asset (the SDK of the Lambda runtime). */
  readonly bytes?: number;
  readonly gzipBytes?: number;
  /** Median of `runs` fresh processes. */
  readonly coldRequireMs: number;
  readonly runs: number[];
}

/** Sizes of a file as deployed (the asset zip compresses it; gzip -9 is a close stand-in). */
export function sizes(file: string): { bytes: number; gzipBytes: number } {
  const content = fs.readFileSync(file);
  return { bytes: content.length, gzipBytes: zlib.gzipSync(content, { level: 9 }).length };
}

/** Milliseconds to `require` each module in turn, in a fresh `node` process, median of `runs`. */
export function coldRequireMs(modules: readonly string[], runs: number, env: Record<string, string> = {}): { median: number; runs: number[] } {
  const script = `const t = process.hrtime.bigint(); for (const m of JSON.parse(process.argv[1])) require(m);
    process.stdout.write(String(Number(process.hrtime.bigint() - t) / 1e6));`;
  const times = Array.from({ length: runs }, () => Number(execFileSync(process.execPath, ['-e', script, JSON.stringify(modules)], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
  })));
  return { median: median(times), runs: times };
}

export function measureBundles(runs: number): CodeMetrics[] {
  if (!fs.existsSync(HANDLER_BUNDLE)) throw new Error(`${HANDLER_BUNDLE} is missing`);
  const ours = coldRequireMs([HANDLER_BUNDLE], runs);
  const baseline = coldRequireMs([AWS_CUSTOM_RESOURCE_HANDLER], runs);
  // Its first invocation then loads the DRS client the Lambda runtime provides.
  const baselineWithSdk = coldRequireMs([AWS_CUSTOM_RESOURCE_HANDLER, '@aws-sdk/client-drs'], runs,
    { NODE_PATH: path.join(ROOT, 'node_modules') });
  return [
    { label: '(a), (b): drs-handler.lambda (DRS and Lambda clients bundled)', ...sizes(HANDLER_BUNDLE), coldRequireMs: ours.median, runs: ours.runs },
    { label: '(c): AwsCustomResource handler', ...sizes(AWS_CUSTOM_RESOURCE_HANDLER), coldRequireMs: baseline.median, runs: baseline.runs },
    { label: '(c): AwsCustomResource handler + @aws-sdk/client-drs of the runtime', coldRequireMs: baselineWithSdk.median, runs: baselineWithSdk.runs },
  ];
}
