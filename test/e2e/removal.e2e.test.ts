/**
 * Destroy deletes first and disconnects only when DRS asks for it, under both readings of the
 * DRS documents (see test/local-drs/readings.ts): the example's servers (ExtendedSourceServer)
 * and a StagingAccountExtension's (removal and pruning). Prints the DRS calls per server.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { ASSET, callsByOperation, startWorld, World } from './harness';
import { ServerSelector, StagingAccountExtension, StagingAccountExtensionProps, StagingAccountTrust } from '../../src';
import { AssemblyStack } from '../lifecycle/assembly';
import { LifecycleDriver } from '../lifecycle/driver';
import { LocalDrs, seedServers } from '../local-drs';
import { READINGS, USER_GUIDE_READING } from '../local-drs/readings';

jest.setTimeout(180_000);

const diff = (after: Record<string, number>, before: Record<string, number>) =>
  Object.fromEntries(Object.entries(after).map(([op, n]) => [op, n - (before[op] ?? 0)]).filter(([, n]) => (n as number) > 0));
const perServer = (counts: Record<string, number>, servers: number) =>
  Object.fromEntries(Object.entries(counts).map(([op, n]) => [op, n / servers]));

const tmpDirs: string[] = [];
afterAll(() => tmpDirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function synthExtension(props: Omit<StagingAccountExtensionProps, 'stagingAccountId'>): { staging: AssemblyStack; target: AssemblyStack } {
  if (!fs.existsSync(ASSET)) throw new Error(`the handler bundle ${ASSET} is missing: run 'npx projen bundle' first`);
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'drs-removal-e2e-'));
  tmpDirs.push(outdir);
  const app = new App({ outdir });
  const staging = new Stack(app, 'StagingStack', { env: { account: '111111111111', region: 'us-east-1' } });
  new StagingAccountTrust(staging, 'Trust', { targetAccounts: ['222222222222'] });
  const target = new Stack(app, 'TargetStack', { env: { account: '222222222222', region: 'us-east-1' } });
  new StagingAccountExtension(target, 'Staging1', { stagingAccountId: '111111111111', ...props });
  target.addStackDependency(staging);
  app.synth();
  const stacks = LifecycleDriver.stacks(outdir);
  return { staging: stacks.StagingStack, target: stacks.TargetStack };
}

describe.each(READINGS)('$name', (reading) => {
  const guide = reading === USER_GUIDE_READING;

  describe('ExtendedSourceServer', () => {
    let world: World;
    afterEach(async () => world?.stop());

    test('create and destroy: calls per server; disconnects only when DRS asked; staging untouched', async () => {
      world = await startWorld({ reading });
      const stagingBefore = JSON.stringify(world.drs.inventory(world.staging.account, world.region));
      expect((await world.driver.deploy(world.staging)).status).toBe('CREATE_COMPLETE');
      const start = callsByOperation(world.drs, world.target.account);
      expect((await world.driver.deploy(world.target)).status).toBe('CREATE_COMPLETE');
      const servers = world.drs.inventory(world.target.account, world.region).length;
      expect(servers).toBeGreaterThan(0);
      const afterCreate = callsByOperation(world.drs, world.target.account);
      expect((await world.driver.destroy('TargetStack')).status).toBe('DELETE_COMPLETE');
      const afterDelete = callsByOperation(world.drs, world.target.account);

      const create = perServer(diff(afterCreate, start), servers);
      const remove = perServer(diff(afterDelete, afterCreate), servers);
      process.stdout.write(`[${reading.name}] ExtendedSourceServer calls per server: create ${JSON.stringify(create)}, delete ${JSON.stringify(remove)}\n`);
      // One server of the example declares launch settings (examples/basic): it alone adds a
      // GetLaunchConfiguration and, as they differ from DRS's defaults, an UpdateLaunchConfiguration.
      expect(create).toEqual({
        DescribeSourceServers: 1, CreateExtendedSourceServer: 1, GetLaunchConfiguration: 1 / servers, UpdateLaunchConfiguration: 1 / servers,
      });
      expect(remove).toEqual(guide
        ? { DescribeSourceServers: 1, DeleteSourceServer: 1 }
        : { DescribeSourceServers: 1, DeleteSourceServer: 2, DisconnectSourceServer: 1 });
      expect(world.drs.inventory(world.target.account, world.region)).toEqual([]);
      expect((await world.driver.destroy('StagingStack')).status).toBe('DELETE_COMPLETE');
      expect(JSON.stringify(world.drs.inventory(world.staging.account, world.region))).toBe(stagingBefore);
    });
  });

  describe('StagingAccountExtension', () => {
    let drs: LocalDrs;
    let driver: LifecycleDriver;
    afterEach(async () => {
      await driver?.stop();
      await drs?.stop();
    });

    test('prune and destroy: calls per server; disconnects only when DRS asked', async () => {
      drs = await LocalDrs.start({ rules: reading.rules });
      drs.addAccount('111111111111');
      drs.addAccount('222222222222');
      driver = await LifecycleDriver.start({ drs, maxInvocationMs: 120_000 });
      seedServers(drs, { account: '111111111111', region: 'us-east-1', count: 6, hostnamePrefix: 'web' });
      seedServers(drs, { account: '111111111111', region: 'us-east-1', count: 4, hostnamePrefix: 'db' });
      const stagingBefore = JSON.stringify(drs.inventory('111111111111', 'us-east-1'));
      const target = () => drs.inventory('222222222222', 'us-east-1');
      const count = () => callsByOperation(drs, '222222222222');

      const all = synthExtension({ selector: ServerSelector.hostnameMatches('*'), pruneNotMatching: true });
      expect((await driver.deploy(all.staging)).status).toBe('CREATE_COMPLETE');
      const c0 = count();
      expect((await driver.deploy(all.target)).status).toBe('CREATE_COMPLETE');
      expect(target()).toHaveLength(10);
      const c1 = count();

      const webOnly = synthExtension({ selector: ServerSelector.hostnameMatches('web-*'), pruneNotMatching: true });
      expect((await driver.deploy(webOnly.target)).status).toBe('UPDATE_COMPLETE');
      expect(target()).toHaveLength(6);
      const c2 = count();
      expect((await driver.destroy('TargetStack')).status).toBe('DELETE_COMPLETE');
      expect(target()).toEqual([]);
      const c3 = count();

      const prune = diff(c2, c1);
      const remove = diff(c3, c2);
      process.stdout.write(`[${reading.name}] StagingAccountExtension: create of 10 ${JSON.stringify(diff(c1, c0))}, ` +
        `prune of 4 ${JSON.stringify(prune)}, delete of 6 ${JSON.stringify(remove)}\n`);
      // Under the API reference's reading, servers removed after DRS first refused a delete for
      // want of a disconnect are disconnected first (no refused delete): deletes between n and 2n.
      expect(prune.DisconnectSourceServer ?? 0).toBe(guide ? 0 : 4);
      expect(prune.DeleteSourceServer).toBeGreaterThanOrEqual(4);
      expect(prune.DeleteSourceServer).toBeLessThanOrEqual(guide ? 4 : 8);
      expect(remove.DisconnectSourceServer ?? 0).toBe(guide ? 0 : 6);
      expect(remove.DeleteSourceServer).toBeGreaterThanOrEqual(6);
      expect(remove.DeleteSourceServer).toBeLessThanOrEqual(guide ? 6 : 12);
      expect(JSON.stringify(drs.inventory('111111111111', 'us-east-1'))).toBe(stagingBefore);
    });
  });
});
