/**
 * Robustness of the deployed asset against the local DRS: a DescribeSourceServers page size DRS
 * refuses, AccessDenied while a new staging role propagates.
 */
import { callsByOperation, startWorld, World } from './harness';
import { LOCAL_TIMING } from '../lifecycle/driver';

jest.setTimeout(180_000);

let world: World;
afterEach(async () => world?.stop());

test('DescribeSourceServers refusing maxResults 1000: the handler falls back to smaller pages, deploy and destroy succeed', async () => {
  world = await startWorld({ rules: { describeMaxResults: 100 } });
  expect((await world.driver.deploy(world.staging)).status).toBe('CREATE_COMPLETE');
  expect((await world.driver.deploy(world.target)).status).toBe('CREATE_COMPLETE');
  expect(world.drs.inventory(world.target.account, world.region).length).toBeGreaterThan(0);
  const refused = world.drs.calls.filter((c) => c.operation === 'DescribeSourceServers' && c.account === world.target.account && c.status === 400);
  expect(refused.length).toBeGreaterThan(0);
  expect((await world.driver.destroy('TargetStack')).status).toBe('DELETE_COMPLETE');
  expect(world.drs.inventory(world.target.account, world.region)).toEqual([]);
  expect(callsByOperation(world.drs, world.target.account).DescribeSourceServers).toBeGreaterThan(0);
});

test('every attempt of the Create dies before answering: the on-failure destination answers FAILED, the rollback removes the server', async () => {
  world = await startWorld();
  expect((await world.driver.deploy(world.staging)).status).toBe('CREATE_COMPLETE');
  // The first server's three attempts (the call and Lambda's two retries) die as they answer.
  world.driver.dieBeforeResponding(3);
  const result = await world.driver.deploy(world.target);
  expect(result.status).toBe('ROLLBACK_COMPLETE');
  expect(result.failures[0].reason).toContain('failed 3 time(s) and Lambda gave up (RetriesExhausted)');
  expect(result.failures[0].reason).not.toContain('did not send a response');
  expect(world.drs.inventory(world.target.account, world.region)).toEqual([]);
});

test('a staging role created moments ago is refused for its first calls: the Create retries and succeeds', async () => {
  world = await startWorld();
  world.drs.faults.rolePropagation({ calls: 3 });
  expect((await world.driver.deploy(world.staging)).status).toBe('CREATE_COMPLETE');
  expect((await world.driver.deploy(world.target)).status).toBe('CREATE_COMPLETE');
  const denied = world.drs.calls.filter((c) => c.account === world.target.account && c.errorType === 'AccessDeniedException');
  expect(denied).toHaveLength(3);
  expect(world.drs.inventory(world.target.account, world.region).length).toBeGreaterThan(0);
});

test('a role that stays refused: the Create fails within its window with the actionable message, saying it retried', async () => {
  world = await startWorld({ handlerTiming: { ...LOCAL_TIMING, propagationWindowMs: 300 } });
  world.drs.faults.rolePropagation({ ms: 3_600_000 });
  expect((await world.driver.deploy(world.staging)).status).toBe('CREATE_COMPLETE');
  const result = await world.driver.deploy(world.target);
  expect(result.status).toBe('ROLLBACK_COMPLETE');
  expect(result.failures[0].reason).toContain('does not trust target account');
  expect(result.failures[0].reason).toMatch(/Retried for \d+s in case a role created moments ago had not propagated yet/);
});
