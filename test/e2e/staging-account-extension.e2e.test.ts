/**
 * StagingAccountExtension end to end: the bundled handler asset deployed by the lifecycle driver
 * against the local DRS. A whole staging account (20 servers, then 300 under throttling) in one
 * resource; scheduled reconciliation; prune opt-in; delete leaves what the stack does not own.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CreateExtendedSourceServerCommand, DrsClient } from '@aws-sdk/client-drs';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import { ASSET, callsByOperation } from './harness';
import { ServerSelector, StagingAccountExtension, StagingAccountExtensionProps, StagingAccountTrust } from '../../src';
import { OwnerTags } from '../../src/contract';
import type { HandlerTiming } from '../../src/provider/runtime/dispatch';
import { AssemblyStack } from '../lifecycle/assembly';
import { LifecycleDriver, LOCAL_TIMING } from '../lifecycle/driver';
import { LocalDrs, seedServers } from '../local-drs';
import { readingFromEnv } from '../local-drs/readings';

jest.setTimeout(300_000);

const STAGING = '111111111111';
const TARGET = '222222222222';
const REGION = 'us-east-1';
const CR_TYPE = 'Custom::DrsStagingAccountExtension';

const tmpDirs: string[] = [];
afterAll(() => tmpDirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** A staging stack that trusts the target, and a target stack with one StagingAccountExtension. */
function synth(props: Omit<StagingAccountExtensionProps, 'stagingAccountId'>): { staging: AssemblyStack; target: AssemblyStack } {
  if (!fs.existsSync(ASSET)) throw new Error(`the handler bundle ${ASSET} is missing: run 'npx projen bundle' first`);
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'drs-sae-e2e-'));
  tmpDirs.push(outdir);
  const app = new App({ outdir });
  const staging = new Stack(app, 'StagingStack', { env: { account: STAGING, region: REGION } });
  new StagingAccountTrust(staging, 'Trust', { targetAccounts: [TARGET] });
  const target = new Stack(app, 'TargetStack', { env: { account: TARGET, region: REGION } });
  new StagingAccountExtension(target, 'Staging1', { stagingAccountId: STAGING, ...props });
  target.addStackDependency(staging);
  app.synth();
  const stacks = LifecycleDriver.stacks(outdir);
  return { staging: stacks.StagingStack, target: stacks.TargetStack };
}

let drs: LocalDrs;
let driver: LifecycleDriver;
afterEach(async () => {
  await driver?.stop();
  await drs?.stop();
});

async function start(timing: HandlerTiming = {}): Promise<void> {
  drs = await LocalDrs.start({ rules: readingFromEnv().rules });
  drs.addAccount(STAGING);
  drs.addAccount(TARGET);
  driver = await LifecycleDriver.start({ drs, handlerTiming: { ...LOCAL_TIMING, ...timing }, maxInvocationMs: 120_000 });
}

const targetServers = () => drs.inventory(TARGET, REGION);
const owned = () => targetServers().filter((s) => s.tags?.[OwnerTags.LOGICAL_ID]?.startsWith('Staging1'));
const hostnamesOf = (servers: ReturnType<typeof targetServers>) =>
  servers.map((s) => s.sourceProperties?.identificationHints?.hostname).sort();
const attributes = () => Object.values(driver.resources('TargetStack')).find((r) => r.type === CR_TYPE)!.attributes;
const invocationsOf = (requestType: string) => driver.invocations.filter((i) => i.logicalId.startsWith('Staging1') && i.requestType === requestType);

test('a staging account of 20 servers: create, schedule picks up new servers, forced reconcile, prune opt-in, delete', async () => {
  await start();
  const web = seedServers(drs, { account: STAGING, region: REGION, count: 20, hostnamePrefix: 'web' });
  seedServers(drs, { account: STAGING, region: REGION, count: 3, hostnamePrefix: 'db' });
  const theirs = drs.addReplicatingServer(STAGING, REGION, { hostname: 'web-99' });

  const selected = { selector: ServerSelector.hostnameMatches('web-*'), tags: { Application: 'erp' }, reconcileSchedule: events.Schedule.rate(Duration.hours(1)) };
  const v1 = synth(selected);
  expect((await driver.deploy(v1.staging)).status).toBe('CREATE_COMPLETE');
  // Someone extends one matching server by hand (before the stack): the stack must leave it alone.
  const person = new DrsClient({ ...drs.clientConfig(TARGET, REGION), maxAttempts: 1 });
  const { sourceServer: manual } = await person.send(new CreateExtendedSourceServerCommand({ sourceServerArn: theirs.arn, tags: { owner: 'alice' } }));
  person.destroy();

  expect((await driver.deploy(v1.target)).status).toBe('CREATE_COMPLETE');
  expect(hostnamesOf(owned())).toEqual(web.map((s) => s.hostname).sort());
  for (const s of owned()) {
    expect(s.stagingArea).toMatchObject({ status: 'EXTENDED', stagingAccountID: STAGING });
    expect(s.tags).toMatchObject({ Application: 'erp', [OwnerTags.STACK_ID]: expect.stringContaining(':stack/TargetStack/') });
  }
  expect(attributes()).toMatchObject({
    ServerCount: '20', ExtendedCount: '20', SkippedNotMatchingCount: '3', OwnedElsewhereCount: '1', ExtensionErrorCount: '0', FailedCount: '0',
  });

  // New staging servers appear; the schedule extends them without a deployment.
  drs.addReplicatingServer(STAGING, REGION, { hostname: 'web-21' });
  drs.addReplicatingServer(STAGING, REGION, { hostname: 'web-22' });
  expect(await driver.triggerSchedule('TargetStack')).toBe(1);
  expect(owned()).toHaveLength(22);
  expect(invocationsOf('Reconcile')).toMatchObject([{ exitCode: 0, responded: false }]);

  // A new reconcile token makes CloudFormation send an Update; its counts are current again.
  const v2 = synth({ ...selected, reconcileToken: 'v2' });
  expect((await driver.deploy(v2.target)).status).toBe('UPDATE_COMPLETE');
  expect(attributes()).toMatchObject({ ServerCount: '22', ExtendedCount: '0', AlreadyOwnedCount: '22' });

  // A narrower selector without prune: nothing removed, the rest counted as not matching.
  const narrow = { ...selected, selector: ServerSelector.hostnameMatches('web-1*') };
  expect((await driver.deploy(synth(narrow).target)).status).toBe('UPDATE_COMPLETE');
  expect(owned()).toHaveLength(22);
  expect(attributes()).toMatchObject({ ServerCount: '22', NotMatchingCount: '11' });

  // With prune: the 11 that no longer match go (web-1, web-10..web-19 stay).
  expect((await driver.deploy(synth({ ...narrow, pruneNotMatching: true }).target)).status).toBe('UPDATE_COMPLETE');
  expect(hostnamesOf(owned())).toEqual(['web-1', ...Array.from({ length: 10 }, (_, i) => `web-1${i}`)].sort());
  expect(attributes()).toMatchObject({ ServerCount: '11', PrunedCount: '11', NotMatchingCount: '0', OwnedElsewhereCount: '1' });

  // Delete removes exactly the owned servers: the manual extension and the staging side stay.
  const stagingBefore = drs.inventory(STAGING, REGION).map((s) => [s.sourceServerID, s.dataReplicationInfo?.dataReplicationState]);
  expect(stagingBefore).toHaveLength(26);
  expect((await driver.destroy('TargetStack')).status).toBe('DELETE_COMPLETE');
  expect(targetServers().map((s) => s.sourceServerID)).toEqual([manual!.sourceServerID]);
  expect(drs.inventory(STAGING, REGION).map((s) => [s.sourceServerID, s.dataReplicationInfo?.dataReplicationState])).toEqual(stagingBefore);
});

test('a staging server deleted after extension: EXTENSION_ERROR is reported; failOnExtensionError fails the update', async () => {
  await start();
  const servers = seedServers(drs, { account: STAGING, region: REGION, count: 4, hostnamePrefix: 'app' });
  const v1 = synth({});
  expect((await driver.deploy(v1.staging)).status).toBe('CREATE_COMPLETE');
  expect((await driver.deploy(v1.target)).status).toBe('CREATE_COMPLETE');

  drs.removeServerByHand(STAGING, REGION, servers[0].sourceServerID);
  expect((await driver.deploy(synth({ reconcileToken: '2' }).target)).status).toBe('UPDATE_COMPLETE');
  expect(attributes()).toMatchObject({ ServerCount: '4', ExtensionErrorCount: '1' });

  const failed = await driver.deploy(synth({ reconcileToken: '3', failOnExtensionError: true }).target);
  expect(failed.status).toBe('UPDATE_ROLLBACK_COMPLETE');
  expect(failed.failures[0].reason).toMatch(/1 owned server\(s\) in EXTENSION_ERROR \(s-[0-9a-zA-Z]{17}: Staging source server .* was not found/);
  // Reported, never removed by reconciliation.
  expect(owned()).toHaveLength(4);
});

test('without lambda:InvokeFunction on itself the handler cannot continue: clear failure, the rollback removes what it extended', async () => {
  // Each invocation may work for 3 s; slow extensions (300 ms each, 5 at a time) make 60 need more.
  // Removing them (no latency) fits in one invocation even on a loaded machine.
  await start({ waitTimeoutMs: 3000 });
  seedServers(drs, { account: STAGING, region: REGION, count: 60, hostnamePrefix: 'host' });
  drs.faults.latency(300, 'CreateExtendedSourceServer');
  const app = synth({});
  expect((await driver.deploy(app.staging)).status).toBe('CREATE_COMPLETE');
  const resources = app.target.template.Resources as Record<string, any>;
  const selfInvoke = Object.keys(resources).find((id) => id.includes('SelfInvokePolicy'))!;
  resources[selfInvoke].Properties.PolicyDocument.Statement = [{ Effect: 'Allow', Action: 'logs:DescribeLogGroups', Resource: '*' }];

  const result = await driver.deploy(app.target);
  expect(result.status).toBe('ROLLBACK_COMPLETE');
  expect(result.failures[0].reason).toMatch(/^could not continue in a new invocation of .*not authorized to invoke .*the handler role needs lambda:InvokeFunction on its own function/);
  expect(targetServers()).toEqual([]);
});

test('300 servers in one deploy under throttling, continuing in new invocations', async () => {
  // Each invocation works for at most 2.5 s here, so the 300 extensions need several invocations
  // (on a loaded machine 1 s came close to the 12 invocations a request may take).
  await start({ waitTimeoutMs: 2500 });
  seedServers(drs, { account: STAGING, region: REGION, count: 300, hostnamePrefix: 'host' });
  const app = synth({ tags: { Application: 'erp' } });
  expect((await driver.deploy(app.staging)).status).toBe('CREATE_COMPLETE');
  drs.faults.throttle({ rate: 0.25, retryAfterSeconds: 0.02 });
  // 100 ms per extension, 5 at a time: at least 6 s of work, so several invocations on any machine
  // (a fast one would otherwise finish in one, and the continuation would go untested).
  drs.faults.latency(100, 'CreateExtendedSourceServer');

  const started = Date.now();
  const created = await driver.deploy(app.target);
  const createMs = Date.now() - started;
  expect(created).toEqual({ status: 'CREATE_COMPLETE', failures: [] });
  expect(owned()).toHaveLength(300);
  expect(owned().every((s) => s.stagingArea?.status === 'EXTENDED')).toBe(true);
  expect(attributes()).toMatchObject({ ServerCount: '300', ExtendedCount: '300', FailedCount: '0', PendingCount: '0' });
  const createCalls = callsByOperation(drs, TARGET);
  const throttled = drs.calls.filter((c) => c.account === TARGET && c.errorType === 'ThrottlingException').length;
  const createInvocations = invocationsOf('Create');
  expect(createInvocations.length).toBeGreaterThan(1);
  expect(createInvocations.filter((i) => i.responded)).toHaveLength(1);
  expect(throttled).toBeGreaterThan(0);

  const destroyStarted = Date.now();
  expect((await driver.destroy('TargetStack')).status).toBe('DELETE_COMPLETE');
  const destroyMs = Date.now() - destroyStarted;
  expect(targetServers()).toEqual([]);
  const total = callsByOperation(drs, TARGET);
  const deleteCalls = Object.fromEntries(Object.entries(total).map(([op, n]) => [op, n - (createCalls[op] ?? 0)]));

  // Measurements, printed for the record (not asserted: they depend on the machine).
  process.stdout.write(`\n300 servers under 25% throttling: create ${createMs} ms in ${createInvocations.length} invocations, ` +
    `destroy ${destroyMs} ms in ${invocationsOf('Delete').length} invocations; throttled calls ${throttled}\n` +
    `  DRS calls for create: ${JSON.stringify(createCalls)}\n  DRS calls for delete: ${JSON.stringify(deleteCalls)}\n`);
});
