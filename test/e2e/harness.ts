/**
 * Shared set-up for the end-to-end tests: the example app synthesized into a temporary cloud
 * assembly, a local DRS with a staging and a target account, and the lifecycle driver that
 * deploys the assembly with the bundled handler.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DrsClient } from '@aws-sdk/client-drs';
import { buildExampleApp } from '../../examples/basic/app-builder';
import { AssemblyStack } from '../lifecycle/assembly';
import { DriverOptions, LifecycleDriver } from '../lifecycle/driver';
import { LocalDrs, Rules, ServerRef } from '../local-drs';
import { Reading, readingFromEnv } from '../local-drs/readings';

export const ASSET = path.join(__dirname, '..', '..', 'assets', 'provider', 'drs-handler.lambda', 'index.js');

const tmpDirs: string[] = [];
process.on('exit', () => tmpDirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

const synthCache = new Map<string, { staging: AssemblyStack; target: AssemblyStack }>();

/** The example app's two stacks, synthesized once per context. */
export function synthExample(context: Record<string, string> = {}): { staging: AssemblyStack; target: AssemblyStack } {
  if (!fs.existsSync(ASSET)) {
    throw new Error(`the handler bundle ${ASSET} is missing: run 'npx projen bundle' first`);
  }
  const key = JSON.stringify(context);
  let stacks = synthCache.get(key);
  if (!stacks) {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'drs-e2e-'));
    tmpDirs.push(outdir);
    buildExampleApp({ outdir, context, nag: false }).app.synth();
    const all = LifecycleDriver.stacks(outdir);
    stacks = { staging: all.StagingStack, target: all.TargetStack };
    synthCache.set(key, stacks);
  }
  return { staging: clone(stacks.staging), target: clone(stacks.target) };
}

/** A deep copy whose template a test may change. */
export function clone(stack: AssemblyStack): AssemblyStack {
  return { ...stack, template: JSON.parse(JSON.stringify(stack.template)) };
}

/** The staging ARNs the target stack declares, in template order. */
export function declaredArns(target: AssemblyStack): string[] {
  return Object.values<any>(target.template.Resources)
    .filter((r) => r.Type === 'Custom::DrsExtendedSourceServer')
    .map((r) => String(r.Properties.StagingSourceServerArn));
}

export interface World {
  readonly drs: LocalDrs;
  readonly driver: LifecycleDriver;
  readonly staging: AssemblyStack;
  readonly target: AssemblyStack;
  readonly region: string;
  /** The replicating servers the example declares, then one it does not. */
  readonly stagingServers: ServerRef[];
  /** A DRS client acting as the target account itself (a person, not the handler). */
  readonly targetClient: DrsClient;
  stop(): Promise<void>;
}

export interface WorldOptions {
  /** DRS initialized in the target account. @default true */
  readonly targetInitialized?: boolean;
  /** Lambda retries of a failed asynchronous invocation. @default 2 */
  readonly lambdaRetries?: number;
  /** Which reading of the DRS documents the local DRS follows. @default from LOCAL_DRS_READING (API reference) */
  readonly reading?: Reading;
  /** Further local-DRS rules, over the reading's. */
  readonly rules?: Rules;
  /** Passed to the driver (false: run the handler exactly as deployed). @default fast local timings */
  readonly handlerTiming?: DriverOptions['handlerTiming'];
  /** Extra environment for the handler process. */
  readonly handlerEnv?: Record<string, string>;
}

export async function startWorld(options: WorldOptions = {}): Promise<World> {
  const { staging, target } = synthExample();
  const region = target.region;
  const drs = await LocalDrs.start({ rules: { ...(options.reading ?? readingFromEnv()).rules, ...options.rules } });
  drs.addAccount(staging.account);
  drs.addAccount(target.account, { initialized: options.targetInitialized ?? true });
  const stagingServers = declaredArns(target).map((arn, i) => drs.addReplicatingServer(staging.account, region, {
    sourceServerID: arn.split('/')[1], hostname: `app-${i + 1}.example`,
  }));
  stagingServers.push(drs.addReplicatingServer(staging.account, region, { hostname: 'undeclared.example' }));
  const driver = await LifecycleDriver.start({
    drs,
    maxInvocationMs: 60_000,
    lambdaRetries: options.lambdaRetries,
    handlerTiming: options.handlerTiming,
    handlerEnv: options.handlerEnv,
    runner: process.env.LIFECYCLE_RUNNER === 'in-process' ? 'in-process' : 'process',
  });
  const targetClient = new DrsClient({ ...drs.clientConfig(target.account, region), maxAttempts: 1 });
  return {
    drs,
    driver,
    staging,
    target,
    region,
    stagingServers,
    targetClient,
    stop: async () => {
      targetClient.destroy();
      await driver.stop();
      await drs.stop();
    },
  };
}

/** Number of DRS calls the target account made, by operation (successful or not). */
export function callsByOperation(drs: LocalDrs, account: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const c of drs.calls) {
    if (c.account === account) counts[c.operation] = (counts[c.operation] ?? 0) + 1;
  }
  return counts;
}
