/**
 * The deployed asset against the local DRS: the example's whole lifecycle, then a fault matrix.
 * Every case asserts the outcome and the DRS inventory afterwards: nothing orphaned, nothing
 * deleted that the stack did not create.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CreateExtendedSourceServerCommand } from '@aws-sdk/client-drs';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { callsByOperation, declaredArns, startWorld, synthExample, World } from './harness';
import { ExtendedSourceServer } from '../../src';
import { OwnerTags } from '../../src/contract';
import { LifecycleDriver } from '../lifecycle/driver';
import { readingFromEnv, USER_GUIDE_READING } from '../local-drs/readings';

jest.setTimeout(120_000);

let world: World;
afterEach(async () => world?.stop());

const inventory = (w: World, which: 'staging' | 'target') =>
  w.drs.inventory(w[which].account, w.region);
const stagingSnapshot = (w: World) => JSON.stringify(inventory(w, 'staging'));
const extendedFrom = (w: World) =>
  inventory(w, 'target').map((s) => s.stagingArea?.stagingSourceServerArn).sort();

async function deployBoth(w: World): Promise<void> {
  expect((await w.driver.deploy(w.staging)).status).toBe('CREATE_COMPLETE');
  expect((await w.driver.deploy(w.target)).status).toBe('CREATE_COMPLETE');
}

describe('the example lifecycle', () => {
  test('deploy, tag update, destroy: inventory after each step', async () => {
    world = await startWorld();
    const before = stagingSnapshot(world);
    const arns = declaredArns(world.target);

    await deployBoth(world);
    const servers = inventory(world, 'target');
    expect(extendedFrom(world)).toEqual([...arns].sort());
    for (const s of servers) {
      expect(s.stagingArea).toMatchObject({ status: 'EXTENDED', stagingAccountID: world.staging.account });
      expect(s.tags).toMatchObject({ Application: 'example', [OwnerTags.STACK_ID]: expect.stringContaining(':stack/TargetStack/') });
    }
    // The attributes the stack returns are the servers DRS created.
    const resources = world.driver.resources('TargetStack');
    const ids = Object.values(resources).filter((r) => r.type === 'Custom::DrsExtendedSourceServer').map((r) => r.physicalId).sort();
    expect(ids).toEqual(servers.map((s) => s.sourceServerID).sort());

    const v2 = synthExample({ application: 'example-v2' }).target;
    expect((await world.driver.deploy(v2)).status).toBe('UPDATE_COMPLETE');
    const updated = inventory(world, 'target');
    expect(updated.map((s) => s.sourceServerID).sort()).toEqual(ids);
    expect(updated.every((s) => s.tags?.Application === 'example-v2')).toBe(true);

    expect((await world.driver.destroy('TargetStack')).status).toBe('DELETE_COMPLETE');
    expect(inventory(world, 'target')).toEqual([]);
    expect((await world.driver.destroy('StagingStack')).status).toBe('DELETE_COMPLETE');
    expect(stagingSnapshot(world)).toBe(before);
  });

  test('DRS calls per extended server in the happy path', async () => {
    world = await startWorld();
    await deployBoth(world);
    const servers = declaredArns(world.target).length;
    const created = callsByOperation(world.drs, world.target.account);
    await world.driver.destroy('TargetStack');
    const total = callsByOperation(world.drs, world.target.account);
    const deleted = Object.fromEntries(Object.entries(total).map(([op, n]) => [op, n - (created[op] ?? 0)]));
    const perServer = (counts: Record<string, number>) =>
      Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0).map(([op, n]) => [op, n / servers]));
    // Launch settings (issue 17): the example's first server declares DRS fields only, which
    // differ from DRS's defaults: one read and one write for it, nothing for the others.
    const { GetLaunchConfiguration: gets, UpdateLaunchConfiguration: updates, ...extending } = created;
    expect({ gets, updates }).toEqual({ gets: 1, updates: 1 });
    // Create: look for an earlier attempt, then extend (its answer already says EXTENDED, so no wait).
    expect(perServer(extending)).toEqual({ DescribeSourceServers: 1, CreateExtendedSourceServer: 1 });
    // Delete: read ownership and state, delete; disconnect only when DRS refuses the delete for it.
    expect(perServer(deleted)).toEqual(readingFromEnv() === USER_GUIDE_READING
      ? { DescribeSourceServers: 1, DeleteSourceServer: 1 }
      : { DescribeSourceServers: 1, DeleteSourceServer: 2, DisconnectSourceServer: 1 });
  });
});

describe('fault matrix', () => {
  test('throttling bursts are retried, honouring Retry-After', async () => {
    world = await startWorld();
    world.drs.faults.throttle({ count: 6, retryAfterSeconds: 0 });
    await deployBoth(world);
    expect(world.drs.calls.filter((c) => c.errorType === 'ThrottlingException')).toHaveLength(6);
    expect(extendedFrom(world)).toEqual(declaredArns(world.target).sort());
    expect(inventory(world, 'target')).toHaveLength(3);
  });

  test('internal errors are retried', async () => {
    world = await startWorld();
    world.drs.faults.internalError({ operation: 'CreateExtendedSourceServer', count: 2, retryAfterSeconds: 0 });
    await deployBoth(world);
    expect(world.drs.calls.filter((c) => c.errorType === 'InternalServerException')).toHaveLength(2);
    expect(inventory(world, 'target')).toHaveLength(3);
  });

  test('a response lost after the create took effect: the retry adopts, nothing is extended twice', async () => {
    world = await startWorld();
    world.drs.faults.loseResponse('CreateExtendedSourceServer', 1);
    await deployBoth(world);
    expect(extendedFrom(world)).toEqual(declaredArns(world.target).sort());
    expect(inventory(world, 'target')).toHaveLength(3);
  });

  test('the handler dies after the create succeeded, before answering: Lambda retries and the retry adopts', async () => {
    world = await startWorld();
    expect((await world.driver.deploy(world.staging)).status).toBe('CREATE_COMPLETE');
    world.driver.dieBeforeResponding(1);
    expect((await world.driver.deploy(world.target)).status).toBe('CREATE_COMPLETE');
    const first = world.driver.invocations.filter((i) => i.logicalId === world.driver.invocations[0].logicalId);
    expect(first.map((i) => [i.attempt, i.responded])).toEqual([[1, false], [2, true]]);
    // One CreateExtendedSourceServer per staging server: the retry adopted instead of extending again.
    expect(callsByOperation(world.drs, world.target.account).CreateExtendedSourceServer).toBe(3);
    expect(inventory(world, 'target')).toHaveLength(3);
    expect(extendedFrom(world)).toEqual(declaredArns(world.target).sort());
    // The adopted server is owned like the others: destroy removes all of them.
    expect((await world.driver.destroy('TargetStack')).status).toBe('DELETE_COMPLETE');
    expect(inventory(world, 'target')).toEqual([]);
  });

  test('the handler dies on every attempt: its on-failure destination fails the resource, the rollback removes the server it made', async () => {
    world = await startWorld();
    expect((await world.driver.deploy(world.staging)).status).toBe('CREATE_COMPLETE');
    const before = stagingSnapshot(world);
    world.driver.dieBeforeResponding(3);
    const result = await world.driver.deploy(world.target);
    expect(result.status).toBe('ROLLBACK_COMPLETE');
    // Not an hour's wait for an answer: Lambda hands the request to the function, which answers FAILED.
    expect(result.failures[0].reason).toMatch(/failed 3 time\(s\) and Lambda gave up \(RetriesExhausted\)/);
    // The rollback's Delete carries no server id; the handler finds the server by its owner tags.
    expect(inventory(world, 'target')).toEqual([]);
    expect(stagingSnapshot(world)).toBe(before);
  });

  test('the staging account does not trust the target: clear failure, nothing left behind', async () => {
    world = await startWorld();
    const before = stagingSnapshot(world);
    const result = await world.driver.deploy(world.target);
    expect(result.status).toBe('ROLLBACK_COMPLETE');
    expect(result.failures[0].reason).toMatch(/does not trust target account 222222222222/);
    expect(result.failures[0].reason).toMatch(/StagingAccountTrust/);
    expect(inventory(world, 'target')).toEqual([]);
    expect(stagingSnapshot(world)).toBe(before);
  });

  test('a trust role with a wrong trust policy is not trusted', async () => {
    world = await startWorld();
    const role: any = Object.values<any>(world.staging.template.Resources).find((r) => r.Type === 'AWS::IAM::Role');
    const conditions = role.Properties.AssumeRolePolicyDocument.Statement[0].Condition;
    // Trusting another account's DRS instead of the target's.
    conditions.StringLike['aws:SourceAccount'] = '999999999999';
    expect((await world.driver.deploy(world.staging)).status).toBe('CREATE_COMPLETE');
    const result = await world.driver.deploy(world.target);
    expect(result.status).toBe('ROLLBACK_COMPLETE');
    expect(result.failures[0].reason).toMatch(/does not trust/);
    expect(inventory(world, 'target')).toEqual([]);
  });

  test('the handler role misses a permission it needs: AccessDenied, nothing left behind', async () => {
    world = await startWorld();
    const policy: any = Object.values<any>(world.target.template.Resources).find((r) => r.Type === 'AWS::IAM::Policy');
    const statements: any[] = policy.Properties.PolicyDocument.Statement;
    policy.Properties.PolicyDocument.Statement = statements.filter((s) => ![s.Action].flat().includes('drs:CreateExtendedSourceServer'));
    expect(policy.Properties.PolicyDocument.Statement.length).toBe(statements.length - 1);
    expect((await world.driver.deploy(world.staging)).status).toBe('CREATE_COMPLETE');
    const result = await world.driver.deploy(world.target);
    expect(result.status).toBe('ROLLBACK_COMPLETE');
    expect(world.drs.calls.some((c) => c.operation === 'CreateExtendedSourceServer' && c.errorType === 'AccessDeniedException')).toBe(true);
    expect(result.failures[0].reason).toMatch(/denied/);
    expect(inventory(world, 'target')).toEqual([]);
  });

  test('DRS is not initialized in the target account', async () => {
    world = await startWorld({ targetInitialized: false });
    expect((await world.driver.deploy(world.staging)).status).toBe('CREATE_COMPLETE');
    const result = await world.driver.deploy(world.target);
    expect(result.status).toBe('ROLLBACK_COMPLETE');
    expect(result.failures[0].reason).toMatch(/DRS is not initialized in account 222222222222 region us-east-1/);
    expect(inventory(world, 'target')).toEqual([]);
  });

  test('a server already extended by someone else: the deploy fails, their server survives the rollback', async () => {
    world = await startWorld();
    expect((await world.driver.deploy(world.staging)).status).toBe('CREATE_COMPLETE');
    const theirs = await world.targetClient.send(new CreateExtendedSourceServerCommand({
      sourceServerArn: world.stagingServers[0].arn, tags: { Owner: 'someone-else' },
    }));
    const result = await world.driver.deploy(world.target);
    expect(result.status).toBe('ROLLBACK_COMPLETE');
    expect(result.failures[0].reason).toMatch(/already extended into account 222222222222 as s-[0-9a-zA-Z]{17}/);
    expect(result.failures[0].reason).toMatch(/fromSourceServerId/);
    expect(inventory(world, 'target').map((s) => s.sourceServerID)).toEqual([theirs.sourceServer?.sourceServerID]);
  });

  test('destroy with a recovery instance fails and says what to do; after it is gone the destroy completes', async () => {
    world = await startWorld();
    await deployBoth(world);
    const [first] = inventory(world, 'target');
    world.drs.addRecoveryInstance(world.target.account, world.region, first.sourceServerID!);
    const failed = await world.driver.destroy('TargetStack');
    expect(failed.status).toBe('DELETE_FAILED');
    expect(failed.failures).toHaveLength(1);
    expect(failed.failures[0].reason).toMatch(new RegExp(`server ${first.sourceServerID} .* has recovery instance i-`));
    expect(inventory(world, 'target').map((s) => s.sourceServerID)).toEqual([first.sourceServerID]);

    world.drs.removeRecoveryInstance(world.target.account, world.region, first.sourceServerID!);
    expect((await world.driver.destroy('TargetStack')).status).toBe('DELETE_COMPLETE');
    expect(inventory(world, 'target')).toEqual([]);
  });

  test('destroy after a server was removed by hand', async () => {
    world = await startWorld();
    await deployBoth(world);
    const [first] = inventory(world, 'target');
    world.drs.removeServerByHand(world.target.account, world.region, first.sourceServerID!);
    expect((await world.driver.destroy('TargetStack')).status).toBe('DELETE_COMPLETE');
    expect(inventory(world, 'target')).toEqual([]);
  });

  test('a failed create in the middle rolls back the servers already extended', async () => {
    world = await startWorld();
    expect((await world.driver.deploy(world.staging)).status).toBe('CREATE_COMPLETE');
    // The third staging server disappears before the deploy reaches it.
    world.drs.removeServerByHand(world.staging.account, world.region, world.stagingServers[2].sourceServerID);
    const result = await world.driver.deploy(world.target);
    expect(result.status).toBe('ROLLBACK_COMPLETE');
    expect(result.failures[0].reason).toMatch(/not found/);
    expect(inventory(world, 'target')).toEqual([]);
  });

  test('retained servers stay on destroy', async () => {
    world = await startWorld();
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'drs-e2e-retain-'));
    try {
      const app = new App({ outdir });
      const stack = new Stack(app, 'RetainStack', { env: { account: world.target.account, region: world.region } });
      new ExtendedSourceServer(stack, 'Kept', { stagingSourceServerArn: world.stagingServers[0].arn, removalPolicy: RemovalPolicy.RETAIN });
      new ExtendedSourceServer(stack, 'Removed', { stagingSourceServerArn: world.stagingServers[1].arn });
      app.synth();
      const retainStack = LifecycleDriver.stacks(outdir).RetainStack;
      expect((await world.driver.deploy(world.staging)).status).toBe('CREATE_COMPLETE');
      expect((await world.driver.deploy(retainStack)).status).toBe('CREATE_COMPLETE');
      expect(inventory(world, 'target')).toHaveLength(2);
      expect((await world.driver.destroy('RetainStack')).status).toBe('DELETE_COMPLETE');
      expect(extendedFrom(world)).toEqual([world.stagingServers[0].arn]);
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });

  test('replacing the staging server creates the new extension first, then deletes the old one', async () => {
    world = await startWorld();
    await deployBoth(world);
    const undeclared = world.stagingServers[3].arn;
    const arns = declaredArns(world.target);
    const replaced = synthExample({ stagingSourceServerArns: [undeclared, arns[1], arns[2]].join(',') }).target;
    expect((await world.driver.deploy(replaced)).status).toBe('UPDATE_COMPLETE');
    expect(extendedFrom(world)).toEqual([undeclared, arns[1], arns[2]].sort());
  });
});
