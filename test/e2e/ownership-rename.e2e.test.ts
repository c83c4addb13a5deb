/**
 * Ownership across renames, moves, rollbacks and failed updates, end to end (issue 9, defects
 * 1-4): two versions of a CDK app (a construct renamed or moved, so its logical id changes)
 * deployed in order by the lifecycle driver, which runs the bundled handler against the local DRS
 * and answers its CloudFormation reads from the stack's state. Rollback cases add a failing
 * custom resource that CloudFormation creates after the renamed one.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ASSET } from './harness';
import { ExtendedSourceServer, StagingAccountExtension, StagingAccountTrust } from '../../src';
import { OwnerTags, ResourceTypes } from '../../src/contract';
import { AssemblyStack } from '../lifecycle/assembly';
import { LifecycleDriver } from '../lifecycle/driver';
import { LocalDrs, seedServers, ServerRef } from '../local-drs';
import { READINGS } from '../local-drs/readings';

jest.setTimeout(300_000);

const STAGING = '111111111111';
const STAGING_B = '333333333333';
const TARGET = '222222222222';
const REGION = 'us-east-1';

const tmpDirs: string[] = [];
afterAll(() => tmpDirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** The staging stacks and a target stack whose resources `declare` adds. */
function synth(declare: (target: Stack) => void): { staging: AssemblyStack[]; target: AssemblyStack } {
  if (!fs.existsSync(ASSET)) throw new Error(`the handler bundle ${ASSET} is missing: run 'npx projen bundle' first`);
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'drs-ownership-e2e-'));
  tmpDirs.push(outdir);
  const app = new App({ outdir });
  const target = new Stack(app, 'TargetStack', { env: { account: TARGET, region: REGION } });
  for (const [name, account] of [['StagingStack', STAGING], ['StagingStackB', STAGING_B]]) {
    const staging = new Stack(app, name, { env: { account, region: REGION } });
    new StagingAccountTrust(staging, 'Trust', { targetAccounts: [TARGET] });
    target.addStackDependency(staging);
  }
  declare(target);
  app.synth();
  const stacks = LifecycleDriver.stacks(outdir);
  return { staging: [stacks.StagingStack, stacks.StagingStackB], target: stacks.TargetStack };
}

/** The logical id CDK derived from a construct path (its components, then a hash). */
function logicalIdOf(target: AssemblyStack, type: string, constructPath: string): string {
  const prefix = constructPath.split('/').join('');
  const found = Object.entries<any>(target.template.Resources)
    .filter(([id, r]) => r.Type === type && new RegExp(`^${prefix}[0-9A-F]{8}$`).test(id));
  if (found.length !== 1) throw new Error(`expected one ${type} at ${constructPath}, found ${found.length}`);
  return found[0][0];
}

/**
 * Adds a custom resource the handler does not serve, created after `after`: it fails, and
 * CloudFormation rolls the update back once `after` has done its work.
 */
function withFailingSibling(target: AssemblyStack, after: string): AssemblyStack {
  const template = JSON.parse(JSON.stringify(target.template));
  template.Resources.FailsOnPurpose = {
    Type: 'Custom::NotServedByTheHandler',
    DependsOn: [after],
    Properties: { ServiceToken: template.Resources[after].Properties.ServiceToken },
  };
  return { ...target, template };
}

describe.each(READINGS)('$name', (reading) => {
  let drs: LocalDrs;
  let driver: LifecycleDriver;
  afterEach(async () => {
    await driver?.stop();
    await drs?.stop();
  });

  async function start(options: { targetInitialized?: boolean } = {}): Promise<void> {
    drs = await LocalDrs.start({ rules: reading.rules });
    drs.addAccount(STAGING);
    drs.addAccount(STAGING_B);
    drs.addAccount(TARGET, { initialized: options.targetInitialized ?? true });
    driver = await LifecycleDriver.start({ drs, maxInvocationMs: 120_000 });
  }

  async function deployStaging(app: { staging: AssemblyStack[] }): Promise<void> {
    for (const s of app.staging) expect((await driver.deploy(s)).status).toBe('CREATE_COMPLETE');
  }

  const servers = () => drs.inventory(TARGET, REGION);
  const byStaging = (ref: ServerRef) => servers().find((s) => s.stagingArea?.stagingSourceServerArn === ref.arn);
  /** What must survive a rename: the server's id and its owner tags but the logical id. */
  const snapshot = () => servers().map((s) => ({
    id: s.sourceServerID,
    from: s.stagingArea?.stagingSourceServerArn,
    logical: s.tags?.[OwnerTags.LOGICAL_ID],
    previous: s.tags?.[OwnerTags.PREVIOUS_LOGICAL_ID],
  }))
    .sort((a, b) => String(a.from).localeCompare(String(b.from)));
  const calls = (operation: string) => drs.calls.filter((c) => c.account === TARGET && c.operation === operation && !c.errorType);

  describe('defect 1: ExtendedSourceServer renamed or moved', () => {
    const v1 = (arn: string) => synth((t) => { new ExtendedSourceServer(t, 'Web1', { stagingSourceServerArn: arn, tags: { app: 'web' } }); });
    const v2 = (arn: string) => synth((t) => {
      // Moved under a new parent and renamed: a new logical id, the same staging server.
      new ExtendedSourceServer(new Construct(t, 'Frontend'), 'Web', { stagingSourceServerArn: arn, tags: { app: 'web' } });
    });

    test('the deploy succeeds and keeps the same server; destroy then removes it', async () => {
      await start();
      const web = drs.addReplicatingServer(STAGING, REGION, { hostname: 'web-1' });
      const first = v1(web.arn);
      await deployStaging(first);
      expect((await driver.deploy(first.target)).status).toBe('CREATE_COMPLETE');
      const id = byStaging(web)!.sourceServerID;

      const second = v2(web.arn);
      const newId = logicalIdOf(second.target, ResourceTypes.EXTENDED_SOURCE_SERVER, 'Frontend/Web');
      expect(await driver.deploy(second.target)).toEqual({ status: 'UPDATE_COMPLETE', failures: [] });
      expect(snapshot()).toEqual([{ id, from: web.arn, logical: newId, previous: undefined }]);
      expect(driver.resources('TargetStack')[newId].physicalId).toBe(id);
      expect(calls('CreateExtendedSourceServer')).toHaveLength(1);
      expect(calls('DeleteSourceServer')).toHaveLength(0);

      expect((await driver.destroy('TargetStack')).status).toBe('DELETE_COMPLETE');
      expect(servers()).toEqual([]);
    });

    test('a failed rename rolls back and leaves the server with the old resource', async () => {
      await start();
      const web = drs.addReplicatingServer(STAGING, REGION, { hostname: 'web-1' });
      const first = v1(web.arn);
      await deployStaging(first);
      expect((await driver.deploy(first.target)).status).toBe('CREATE_COMPLETE');
      const oldId = logicalIdOf(first.target, ResourceTypes.EXTENDED_SOURCE_SERVER, 'Web1');
      const before = snapshot();

      const second = v2(web.arn);
      const newId = logicalIdOf(second.target, ResourceTypes.EXTENDED_SOURCE_SERVER, 'Frontend/Web');
      const result = await driver.deploy(withFailingSibling(second.target, newId));
      expect(result.status).toBe('UPDATE_ROLLBACK_COMPLETE');
      // The new resource did take the server over (CREATE_COMPLETE), and its rollback Delete handed it back.
      expect(driver.events.filter((e) => e.logicalId === newId).map((e) => e.status)).toEqual(
        ['CREATE_IN_PROGRESS', 'CREATE_COMPLETE', 'DELETE_IN_PROGRESS', 'DELETE_COMPLETE']);
      expect([calls('TagResource').length, calls('UntagResource').length]).toEqual([2, 1]);
      expect(snapshot()).toEqual(before);
      expect(before[0].logical).toBe(oldId);
      expect(calls('DeleteSourceServer')).toHaveLength(0);

      // The old resource still manages it: destroy removes it.
      expect((await driver.destroy('TargetStack')).status).toBe('DELETE_COMPLETE');
      expect(servers()).toEqual([]);
    });
  });

  describe('defect 2: StagingAccountExtension renamed or moved', () => {
    const v1 = () => synth((t) => { new StagingAccountExtension(t, 'Staging1', { stagingAccountId: STAGING }); });
    const v2 = () => synth((t) => { new StagingAccountExtension(new Construct(t, 'Dr'), 'Staging', { stagingAccountId: STAGING }); });

    test('the deploy keeps every server (same ids), and destroy then removes them', async () => {
      await start();
      seedServers(drs, { account: STAGING, region: REGION, count: 5, hostnamePrefix: 'web' });
      const first = v1();
      await deployStaging(first);
      expect((await driver.deploy(first.target)).status).toBe('CREATE_COMPLETE');
      const ids = snapshot().map((s) => s.id);
      expect(ids).toHaveLength(5);

      const second = v2();
      const newId = logicalIdOf(second.target, ResourceTypes.STAGING_ACCOUNT_EXTENSION, 'Dr/Staging');
      expect(await driver.deploy(second.target)).toEqual({ status: 'UPDATE_COMPLETE', failures: [] });
      expect(snapshot()).toEqual(snapshot().map((s, i) => ({ ...s, id: ids[i], logical: newId, previous: undefined })));
      expect(calls('DeleteSourceServer')).toHaveLength(0);
      expect(calls('CreateExtendedSourceServer')).toHaveLength(5);

      expect((await driver.destroy('TargetStack')).status).toBe('DELETE_COMPLETE');
      expect(servers()).toEqual([]);
    });

    test('a failed rename rolls back and leaves every server with the old resource', async () => {
      await start();
      seedServers(drs, { account: STAGING, region: REGION, count: 3, hostnamePrefix: 'web' });
      const first = v1();
      await deployStaging(first);
      expect((await driver.deploy(first.target)).status).toBe('CREATE_COMPLETE');
      const before = snapshot();

      const second = v2();
      const newId = logicalIdOf(second.target, ResourceTypes.STAGING_ACCOUNT_EXTENSION, 'Dr/Staging');
      expect((await driver.deploy(withFailingSibling(second.target, newId))).status).toBe('UPDATE_ROLLBACK_COMPLETE');
      // Taken over (one TagResource each), then handed back (TagResource and UntagResource each).
      expect([calls('TagResource').length, calls('UntagResource').length]).toEqual([6, 3]);
      expect(snapshot()).toEqual(before);
      expect(calls('DeleteSourceServer')).toHaveLength(0);
    });
  });

  describe('switching between per-server and whole-account declarations', () => {
    test('ExtendedSourceServer → StagingAccountExtension → ExtendedSourceServer in single updates keeps the server', async () => {
      await start();
      const [web, other] = seedServers(drs, { account: STAGING, region: REGION, count: 2, hostnamePrefix: 'web' });
      const perServer = synth((t) => { new ExtendedSourceServer(t, 'Web1', { stagingSourceServerArn: web.arn }); });
      const wholeAccount = synth((t) => { new StagingAccountExtension(t, 'Staging1', { stagingAccountId: STAGING }); });
      await deployStaging(perServer);
      expect((await driver.deploy(perServer.target)).status).toBe('CREATE_COMPLETE');
      const id = byStaging(web)!.sourceServerID;

      expect(await driver.deploy(wholeAccount.target)).toEqual({ status: 'UPDATE_COMPLETE', failures: [] });
      const saeId = logicalIdOf(wholeAccount.target, ResourceTypes.STAGING_ACCOUNT_EXTENSION, 'Staging1');
      expect(byStaging(web)).toMatchObject({ sourceServerID: id, tags: expect.objectContaining({ [OwnerTags.LOGICAL_ID]: saeId }) });
      expect(byStaging(other)!.tags?.[OwnerTags.LOGICAL_ID]).toBe(saeId);
      expect(byStaging(web)!.tags?.[OwnerTags.PREVIOUS_LOGICAL_ID]).toBeUndefined();

      // Back: the per-server declaration takes its server; the whole-account one's Delete removes the other.
      expect(await driver.deploy(perServer.target)).toEqual({ status: 'UPDATE_COMPLETE', failures: [] });
      expect(servers().map((s) => s.sourceServerID)).toEqual([id]);
      expect(byStaging(web)!.tags).toMatchObject({ [OwnerTags.LOGICAL_ID]: logicalIdOf(perServer.target, ResourceTypes.EXTENDED_SOURCE_SERVER, 'Web1') });
      expect(calls('CreateExtendedSourceServer')).toHaveLength(2);
    });
  });

  describe('defect 3: a Create that fails before anything exists', () => {
    test.each([
      ['ExtendedSourceServer', (t: Stack) => { new ExtendedSourceServer(t, 'Web1', { stagingSourceServerArn: `arn:aws:drs:${REGION}:${STAGING}:source-server/s-00000000000000001` }); }],
      ['StagingAccountExtension', (t: Stack) => { new StagingAccountExtension(t, 'Staging1', { stagingAccountId: STAGING }); }],
    ])('%s in an account where DRS is not initialized: the rollback completes, no DELETE_FAILED', async (_, declare) => {
      await start({ targetInitialized: false });
      const app = synth(declare);
      await deployStaging(app);
      const result = await driver.deploy(app.target);
      expect(result.status).toBe('ROLLBACK_COMPLETE');
      expect(result.failures[0].reason).toContain(`DRS is not initialized in account ${TARGET}`);
      expect(driver.events.filter((e) => e.stackName === 'TargetStack' && e.status === 'DELETE_FAILED')).toEqual([]);
      const deletes = driver.events.filter((e) => e.stackName === 'TargetStack' && e.status === 'DELETE_COMPLETE' && e.resourceType.startsWith('Custom::'));
      expect(deletes).toHaveLength(1);
      expect(deletes[0].physicalId).toMatch(/^failed-create:none:/);
    });
  });

  describe('defect 4: an update that extended servers and then failed', () => {
    test('StagingAccountId changed, then the update failed: the rollback removes the new account\'s servers; destroy leaves none', async () => {
      await start();
      seedServers(drs, { account: STAGING, region: REGION, count: 2, hostnamePrefix: 'a' });
      seedServers(drs, { account: STAGING_B, region: REGION, count: 3, hostnamePrefix: 'b' });
      const first = synth((t) => { new StagingAccountExtension(t, 'Staging1', { stagingAccountId: STAGING }); });
      await deployStaging(first);
      expect((await driver.deploy(first.target)).status).toBe('CREATE_COMPLETE');
      const before = snapshot();

      const second = synth((t) => { new StagingAccountExtension(t, 'Staging1', { stagingAccountId: STAGING_B }); });
      const id = logicalIdOf(second.target, ResourceTypes.STAGING_ACCOUNT_EXTENSION, 'Staging1');
      expect((await driver.deploy(withFailingSibling(second.target, id))).status).toBe('UPDATE_ROLLBACK_COMPLETE');
      // B's servers were extended by the failed update and are gone again; A's kept their ids.
      expect(snapshot()).toEqual(before);

      expect((await driver.destroy('TargetStack')).status).toBe('DELETE_COMPLETE');
      expect(servers()).toEqual([]);
    });

    test('StagingAccountId changed and the resource\'s own update failed after extending: the rollback Update removes them', async () => {
      await start();
      seedServers(drs, { account: STAGING, region: REGION, count: 2, hostnamePrefix: 'a' });
      const b = seedServers(drs, { account: STAGING_B, region: REGION, count: 3, hostnamePrefix: 'b' });
      const first = synth((t) => { new StagingAccountExtension(t, 'Staging1', { stagingAccountId: STAGING }); });
      await deployStaging(first);
      expect((await driver.deploy(first.target)).status).toBe('CREATE_COMPLETE');
      const before = snapshot();

      // One of B's staging servers disappears right after the first extension: EXTENSION_ERROR (or a
      // failed extension), and failOnExtensionError fails the update after the others were extended.
      let removed = false;
      drs.faults.afterSuccess('CreateExtendedSourceServer', () => {
        if (removed) return;
        removed = true;
        drs.removeServerByHand(STAGING_B, REGION, b[0].sourceServerID);
      });
      const second = synth((t) => { new StagingAccountExtension(t, 'Staging1', { stagingAccountId: STAGING_B, failOnExtensionError: true }); });
      const result = await driver.deploy(second.target);
      expect(result.status).toBe('UPDATE_ROLLBACK_COMPLETE');
      expect(result.failures[0].reason).toContain('failOnExtensionError is set');
      expect(calls('CreateExtendedSourceServer').length).toBeGreaterThanOrEqual(4);
      // CloudFormation never learnt a physical id for B; the rollback Update to A removed B's servers.
      expect(snapshot()).toEqual(before);

      expect((await driver.destroy('TargetStack')).status).toBe('DELETE_COMPLETE');
      expect(servers()).toEqual([]);
    });
  });
});
