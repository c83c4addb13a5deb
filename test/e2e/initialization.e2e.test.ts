/**
 * DrsInitialization end to end against the local DRS, with the bundled handler and its role's
 * IAM policy evaluated: it initializes an uninitialized target account before the stack's
 * servers are extended, is harmless where DRS is already initialized, and is never undone.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DescribeSourceServersCommand, DrsClient } from '@aws-sdk/client-drs';
import { App, Stack } from 'aws-cdk-lib';
import { ASSET } from './harness';
import { DrsInitialization, ExtendedSourceServer, StagingAccountTrust } from '../../src';
import { ResourceTypes } from '../../src/contract';
import { AssemblyStack } from '../lifecycle/assembly';
import { LifecycleDriver } from '../lifecycle/driver';
import { LocalDrs } from '../local-drs';

jest.setTimeout(120_000);

const STAGING = '111111111111';
const TARGET = '222222222222';
const REGION = 'us-east-1';
const STAGING_SERVER_ID = 's-0a1b2c3d4e5f60001';
const STAGING_SERVER = `arn:aws:drs:${REGION}:${STAGING}:source-server/${STAGING_SERVER_ID}`;

const outdirs: string[] = [];
afterAll(() => outdirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** Staging: trust and initialization. Target: initialization, and a server that waits for it. */
function synth(): { staging: AssemblyStack; target: AssemblyStack } {
  if (!fs.existsSync(ASSET)) throw new Error(`the handler bundle ${ASSET} is missing: run 'npx projen bundle' first`);
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'drs-init-e2e-'));
  outdirs.push(outdir);
  const app = new App({ outdir });
  const staging = new Stack(app, 'Staging', { env: { account: STAGING, region: REGION } });
  new StagingAccountTrust(staging, 'Trust', { targetAccounts: [TARGET] });
  new DrsInitialization(staging, 'Drs');
  const target = new Stack(app, 'Target', { env: { account: TARGET, region: REGION } });
  const initialization = new DrsInitialization(target, 'Drs');
  const server = new ExtendedSourceServer(target, 'Server1', { stagingSourceServerArn: STAGING_SERVER });
  server.node.addDependency(initialization);
  target.addStackDependency(staging);
  app.synth();
  const stacks = LifecycleDriver.stacks(outdir);
  return { staging: stacks.Staging, target: stacks.Target };
}

let drs: LocalDrs;
let driver: LifecycleDriver;
let target: DrsClient;

beforeEach(async () => {
  drs = await LocalDrs.start();
  drs.addAccount(STAGING);
  drs.addAccount(TARGET, { initialized: false });
  drs.addReplicatingServer(STAGING, REGION, { sourceServerID: STAGING_SERVER_ID });
  driver = await LifecycleDriver.start({ drs, maxInvocationMs: 60_000 });
  target = new DrsClient({ ...drs.clientConfig(TARGET, REGION), maxAttempts: 1 });
});

afterEach(async () => {
  target.destroy();
  await driver.stop();
  await drs.stop();
});

/** Whether DRS answers the target account as initialized (asked as a person, not as the handler). */
async function targetInitialized(): Promise<boolean> {
  drs.setAuthorizer(TARGET, undefined);
  try {
    await target.send(new DescribeSourceServersCommand({}));
    return true;
  } catch (e) {
    if ((e as Error).name === 'UninitializedAccountException') return false;
    throw e;
  }
}

const targetOps = () => drs.calls.filter((c) => c.account === TARGET).map((c) => `${c.operation}${c.errorType ? `:${c.errorType}` : ''}`);

describe('DrsInitialization', () => {
  test('initializes the target account before its server is extended, and leaves DRS initialized on destroy', async () => {
    const { staging, target: targetStack } = synth();
    expect(await targetInitialized()).toBe(false);

    // Already initialized staging account: initializing again is harmless.
    expect(await driver.deploy(staging)).toEqual({ status: 'CREATE_COMPLETE', failures: [] });
    expect(drs.calls.filter((c) => c.account === STAGING && c.operation === 'InitializeService').map((c) => c.status)).toEqual([204]);

    drs.calls.length = 0;
    expect(await driver.deploy(targetStack)).toEqual({ status: 'CREATE_COMPLETE', failures: [] });
    const ops = targetOps();
    expect(ops[0]).toBe('InitializeService');
    expect(ops.indexOf('CreateExtendedSourceServer')).toBeGreaterThan(0);
    expect(ops.filter((op) => op.includes(':'))).toEqual([]);
    const init = Object.values(driver.resources('Target')).find((r) => r.type === ResourceTypes.SERVICE_INITIALIZATION)!;
    expect(init).toMatchObject({ physicalId: `drs-initialization:${TARGET}:${REGION}`, attributes: { Initialized: 'true' } });
    expect(drs.inventory(TARGET, REGION).map((s) => s.stagingArea?.status)).toEqual(['EXTENDED']);

    drs.calls.length = 0;
    expect(await driver.destroy('Target')).toEqual({ status: 'DELETE_COMPLETE', failures: [] });
    expect(targetOps()).not.toContain('InitializeService');
    expect(drs.inventory(TARGET, REGION)).toEqual([]);
    expect(await targetInitialized()).toBe(true);
  });

  test('deploying the same stack again after a destroy works on the still-initialized account', async () => {
    const { staging, target: targetStack } = synth();
    await driver.deploy(staging);
    expect((await driver.deploy(targetStack)).status).toBe('CREATE_COMPLETE');
    expect((await driver.destroy('Target')).status).toBe('DELETE_COMPLETE');
    expect((await driver.deploy(targetStack)).status).toBe('CREATE_COMPLETE');
    expect(drs.calls.filter((c) => c.account === TARGET && c.operation === 'InitializeService').map((c) => c.status)).toEqual([204, 204]);
  });

  test('without its IAM statement for the service-linked role, the deploy fails with AccessDenied and nothing is extended', async () => {
    const { staging, target: targetStack } = synth();
    await driver.deploy(staging);
    const policy = Object.values<any>(targetStack.template.Resources).find((r) => r.Type === 'AWS::IAM::Policy');
    policy.Properties.PolicyDocument.Statement = policy.Properties.PolicyDocument.Statement
      .filter((s: { Sid?: string }) => s.Sid !== 'InitializeDrsServiceLinkedRole');

    const result = await driver.deploy(targetStack);
    expect(result.status).toBe('ROLLBACK_COMPLETE');
    expect(result.failures).toEqual([{ logicalId: expect.stringMatching(/^Drs/), reason: expect.stringContaining('iam:CreateServiceLinkedRole') }]);
    expect(targetOps()).not.toContain('CreateExtendedSourceServer');
    expect(await targetInitialized()).toBe(false);
  });
});
