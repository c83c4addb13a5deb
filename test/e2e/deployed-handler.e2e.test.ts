/**
 * The handler as deployed has no test hooks: it answers only https ResponseURLs, finds its
 * endpoints through the SDK's standard variables only, and reads no timing from its environment.
 */
import * as fs from 'fs';
import { ASSET, startWorld, World } from './harness';
import { LocalDrs } from '../local-drs';

jest.setTimeout(120_000);

let world: World;
let decoy: LocalDrs | undefined;
afterEach(async () => {
  await world?.stop();
  await decoy?.stop();
  decoy = undefined;
});

const OLD_VARIABLES = ['DRS_ENDPOINT_URL', 'LAMBDA_ENDPOINT_URL', 'DRS_POLL_INTERVAL_MS', 'DRS_RETRY_BASE_DELAY_MS', 'DRS_WAIT_TIMEOUT_MS'];

test('the bundle does not mention the test-only variables of earlier versions', () => {
  const source = fs.readFileSync(ASSET, 'utf8');
  for (const name of OLD_VARIABLES) expect(source).not.toContain(name);
  // It exports the production handler and the factory only code that loads it can call.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(ASSET);
  expect(typeof mod.handler).toBe('function');
  expect(typeof mod.createHandler).toBe('function');
});

test('run exactly as deployed, the handler refuses the driver\'s http ResponseURL: no DRS call, no answer', async () => {
  world = await startWorld({ handlerTiming: false });
  expect((await world.driver.deploy(world.staging)).status).toBe('CREATE_COMPLETE');
  const result = await world.driver.deploy(world.target);
  // Neither the Create nor the rollback's Delete is answered (both ResponseURLs are http), so the
  // driver's CloudFormation ends the rollback failed, as CloudFormation would after its timeouts.
  expect(result.status).toBe('ROLLBACK_FAILED');
  expect(result.failures.length).toBeGreaterThan(0);
  expect(result.failures.every((f) => /did not send a response/.test(f.reason))).toBe(true);
  expect(world.drs.calls.filter((c) => c.account === world.target.account)).toEqual([]);
});

test('DRS_ENDPOINT_URL and the old timing variables are ignored; AWS_ENDPOINT_URL_DRS is used', async () => {
  decoy = await LocalDrs.start();
  world = await startWorld({
    handlerEnv: { DRS_ENDPOINT_URL: decoy.endpoint, DRS_WAIT_TIMEOUT_MS: '0', DRS_POLL_INTERVAL_MS: '600000', DRS_RETRY_BASE_DELAY_MS: '600000' },
  });
  world.drs.faults.slowExtension({ describes: 2 });
  expect((await world.driver.deploy(world.staging)).status).toBe('CREATE_COMPLETE');
  expect((await world.driver.deploy(world.target)).status).toBe('CREATE_COMPLETE');
  expect(decoy.calls).toEqual([]);
  expect(world.drs.inventory(world.target.account, world.region).every((s) => s.stagingArea?.status === 'EXTENDED')).toBe(true);
});
