/**
 * Runs one invocation of a bundled Lambda asset in its own process, as the Lambda runtime would
 * (test/lifecycle/lambda-runner.js: require the asset, call `index.handler`), with exactly the
 * environment given, and collects its exit code and output. For the scheduled functions that
 * CloudFormation does not invoke (the lifecycle driver runs the custom-resource handler).
 */
import { fork } from 'child_process';
import * as path from 'path';

const RUNNER = path.join(__dirname, '..', 'lifecycle', 'lambda-runner.js');

export interface BundleRun {
  /** 0 when the handler resolved, 1 when it threw (a function error). */
  readonly code: number;
  readonly stdout: string[];
  readonly stderr: string;
}

export function runBundle(assetDir: string, env: Record<string, string>, event: unknown = {}, timeoutMs = 60_000): Promise<BundleRun> {
  return new Promise((resolve, reject) => {
    const child = fork(RUNNER, [], { execArgv: [], env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => { out += d; });
    child.stderr!.on('data', (d) => { err += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout: out.split('\n').filter(Boolean), stderr: err });
    });
    child.send({ assetDir, handler: 'index.handler', event, timeoutMs, functionName: path.basename(assetDir), requestId: 'local-1' });
  });
}
