/**
 * Extending N servers against the local DRS, for each variant, through the lifecycle driver:
 * the synthesized stacks are deployed as CloudFormation would (one handler process per custom
 * resource invocation, in dependency order), running each variant's own Lambda code from the
 * cloud assembly: the bundled handler for (a) and (b), aws-cdk-lib's AwsCustomResource handler
 * for (c).
 */
import * as fs from 'fs';
import * as path from 'path';
import { performance } from 'perf_hooks';
import { buildVariantApp, REGION, stagingAccountId, stagingSplit, TARGET_ACCOUNT, Variant } from './apps';
import { LifecycleDriver } from '../test/lifecycle/driver';
import { LocalDrs, seedServers } from '../test/local-drs';

export interface Throttling {
  /** Fraction of all DRS calls answered with ThrottlingException. */
  readonly rate: number;
  readonly retryAfterSeconds: number;
}

export interface LocalMetrics {
  readonly variant: Variant;
  readonly servers: number;
  readonly throttling?: Throttling;
  /** Every target stack reached CREATE_COMPLETE. */
  readonly ok: boolean;
  /** The first failure, when not ok. */
  readonly failure?: string;
  /** Servers in the target account whose stagingArea is EXTENDED at the end. */
  readonly extended: number;
  /** DRS calls the target account made, throttled ones included. */
  readonly drsCalls: number;
  readonly throttledCalls: number;
  readonly callsByOperation: Record<string, number>;
  /** Handler processes run (Lambda invocations, retries and continuations included). */
  readonly invocations: number;
  /** Deploying the target stacks (the trust stacks are deployed before, untimed). */
  readonly wallMs: number;
}

/** The node_modules whose @aws-sdk/client-drs stands in for the one the Lambda runtime provides to (c). */
const NODE_MODULES = path.join(__dirname, '..', 'node_modules');
const PRELOAD = path.join(__dirname, 'response-url-preload.js');

/** Each variant's Lambda gets what it needs to run here instead of in Lambda. */
function handlerEnv(variant: Variant, drs: LocalDrs): Record<string, string> {
  // Ours: the driver passes fast local timings to the handler's createHandler.
  if (variant !== 'c') return {};
  return {
    // The AwsCustomResource handler requires the SDK from the runtime, not from its asset.
    NODE_PATH: NODE_MODULES,
    // Its client takes no endpoint; the SDK reads this variable (AWS SDK for JavaScript >= 3.5xx).
    AWS_ENDPOINT_URL_DRS: drs.endpoint,
    NODE_OPTIONS: `--require ${PRELOAD}`,
  };
}

export async function measureLocal(variant: Variant, servers: number, workdir: string, throttling?: Throttling): Promise<LocalMetrics> {
  const drs = await LocalDrs.start({
    quotas: { replicatingServersPerRegion: 300, extendedServersPerRegion: Math.max(3000, servers) },
  });
  const estate = stagingSplit(servers).map((count, a) => {
    const account = stagingAccountId(a);
    return { account, serverArns: seedServers(drs, { account, region: REGION, count }).map((s) => s.arn) };
  });
  drs.addAccount(TARGET_ACCOUNT);

  // Absolute: the handler processes require their asset from this directory.
  const outdir = fs.mkdtempSync(path.join(path.resolve(workdir), `local-${variant}-${servers}-`));
  const { app, targetStacks, trustStacks } = buildVariantApp(variant, estate, { outdir, withTrust: true });
  app.synth();
  const stacks = LifecycleDriver.stacks(outdir);
  const driver = await LifecycleDriver.start({
    drs,
    handlerEnv: handlerEnv(variant, drs),
    // Every variant's function has a longer timeout; this only bounds a hung process.
    maxInvocationMs: 120_000,
    showHandlerOutput: process.env.BENCH_DEBUG === '1',
  });
  try {
    for (const name of trustStacks) {
      const result = await driver.deploy(stacks[name]);
      if (result.status !== 'CREATE_COMPLETE') throw new Error(`trust stack ${name}: ${result.status}`);
    }
    const invocationsBefore = driver.invocations.length;
    const callsBefore = drs.calls.length;
    if (throttling) drs.faults.throttle({ rate: throttling.rate, retryAfterSeconds: throttling.retryAfterSeconds });

    const started = performance.now();
    let failure: string | undefined;
    for (const name of targetStacks) {
      const result = await driver.deploy(stacks[name]);
      if (result.status !== 'CREATE_COMPLETE') {
        failure = `${name}: ${result.status}: ${result.failures.map((f) => `${f.logicalId}: ${f.reason}`).join('; ').slice(0, 300)}`;
        break;
      }
    }
    const wallMs = performance.now() - started;
    drs.faults.clear();

    const calls = drs.calls.slice(callsBefore).filter((c) => c.account === TARGET_ACCOUNT);
    const callsByOperation: Record<string, number> = {};
    for (const c of calls) callsByOperation[c.operation] = (callsByOperation[c.operation] ?? 0) + 1;
    return {
      variant,
      servers,
      throttling,
      ok: failure === undefined,
      failure,
      extended: drs.inventory(TARGET_ACCOUNT, REGION).filter((s) => s.stagingArea?.status === 'EXTENDED').length,
      drsCalls: calls.length,
      throttledCalls: calls.filter((c) => c.injected).length,
      callsByOperation,
      invocations: driver.invocations.length - invocationsBefore,
      wallMs,
    };
  } finally {
    await driver.stop();
    await drs.stop();
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}
