/**
 * Injected faults: throttling (counted, per operation, seeded rate), internal errors, latency,
 * responses lost after the effect, hooks after success, and clearing them all.
 */
import {
  CreateExtendedSourceServerCommand, DescribeSourceServersCommand, DrsClient, ListExtensibleSourceServersCommand, ListStagingAccountsCommand,
} from '@aws-sdk/client-drs';
import { SeededRandom } from './faults';
import { client, errorOf, raw, REGION, STAGING, startWithAccounts, TARGET } from './helpers';
import { LocalDrs } from './index';
import { CallRecord } from './types';

let drs: LocalDrs;
let stagingArn: string;
let target: DrsClient;

beforeEach(async () => {
  const started = await startWithAccounts();
  drs = started.drs;
  stagingArn = started.staging.arn;
  target = client(drs, TARGET);
});
afterEach(async () => drs.stop());

const describeAll = () => target.send(new DescribeSourceServersCommand({}));
const outcome = (p: Promise<unknown>) => p.then(() => 'ok', (e) => e.name as string);

describe('throttle', () => {
  test('the next N calls: 429 ThrottlingException with Retry-After, recorded as injected', async () => {
    drs.faults.throttle({ count: 2, retryAfterSeconds: 3 });
    const e = await errorOf(describeAll());
    expect(e.name).toBe('ThrottlingException');
    expect(e.$metadata.httpStatusCode).toBe(429);
    expect(e.retryAfterSeconds).toBe('3');
    expect(await outcome(describeAll())).toBe('ThrottlingException');
    expect(await outcome(describeAll())).toBe('ok');
    expect(drs.calls.map((c) => [c.status, c.injected])).toEqual([[429, true], [429, true], [200, undefined]]);
  });

  test('on the wire: Retry-After header, body per the ThrottlingException shape', async () => {
    drs.faults.throttle({ count: 1 });
    const r = await raw(drs, TARGET, REGION, { method: 'POST', path: '/DescribeSourceServers', body: '{}' });
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('1');
    expect(r.headers.get('x-amzn-errortype')).toBe('ThrottlingException');
    expect(r.json).toEqual({ message: 'Rate exceeded (injected by the local DRS)' });
  });

  test('per operation', async () => {
    drs.faults.throttle({ count: 5, operation: 'ListStagingAccounts' });
    expect(await outcome(describeAll())).toBe('ok');
    expect(await outcome(target.send(new ListStagingAccountsCommand({})))).toBe('ThrottlingException');
  });

  test('a fraction of calls, reproducible from the seed', async () => {
    const run = async () => {
      drs.faults.clear();
      drs.faults.seed(7).throttle({ rate: 0.5 });
      const results = [];
      for (let i = 0; i < 20; i++) results.push(await outcome(describeAll()));
      return results;
    };
    const first = await run();
    expect(await run()).toEqual(first);
    expect(first).toContain('ok');
    expect(first).toContain('ThrottlingException');
  });

  test('a throttled call has no effect', async () => {
    drs.faults.throttle({ count: 1, operation: 'CreateExtendedSourceServer' });
    expect(await outcome(target.send(new CreateExtendedSourceServerCommand({ sourceServerArn: stagingArn })))).toBe('ThrottlingException');
    expect(drs.inventory(TARGET, REGION)).toEqual([]);
  });

  test('bad options are refused', () => {
    expect(() => drs.faults.throttle({})).toThrow(/count or rate/);
    expect(() => drs.faults.throttle({ rate: 2 })).toThrow(/0-1/);
  });
});

describe('internal errors', () => {
  test('the next N calls of an operation: 500 with Retry-After, no effect', async () => {
    drs.faults.internalError({ count: 1, operation: 'CreateExtendedSourceServer', retryAfterSeconds: 2 });
    const e = await errorOf(target.send(new CreateExtendedSourceServerCommand({ sourceServerArn: stagingArn })));
    expect(e.name).toBe('InternalServerException');
    expect(e.$metadata.httpStatusCode).toBe(500);
    expect(e.retryAfterSeconds).toBe(2);
    expect(drs.inventory(TARGET, REGION)).toEqual([]);
    await target.send(new CreateExtendedSourceServerCommand({ sourceServerArn: stagingArn }));
    expect(drs.inventory(TARGET, REGION)).toHaveLength(1);
  });
});

describe('latency', () => {
  test('delays the chosen operation only', async () => {
    drs.faults.latency(80, 'DescribeSourceServers');
    const time = async (p: () => Promise<unknown>) => {
      const start = performance.now();
      await p();
      return performance.now() - start;
    };
    expect(await time(describeAll)).toBeGreaterThanOrEqual(75);
    expect(await time(() => target.send(new ListStagingAccountsCommand({})))).toBeLessThan(75);
  });
});

describe('lost responses', () => {
  test('the effect happens, the client gets a socket error; a retry then sees the server already extended', async () => {
    drs.faults.loseResponse('CreateExtendedSourceServer');
    const e = await errorOf(target.send(new CreateExtendedSourceServerCommand({ sourceServerArn: stagingArn })));
    expect(e.$metadata?.httpStatusCode).toBeUndefined();
    expect(`${e.code ?? ''} ${e.message}`).toMatch(/ECONNRESET|socket hang up/);
    const [created] = drs.inventory(TARGET, REGION);
    expect(created.stagingArea?.status).toBe('EXTENDED');
    expect(drs.calls[drs.calls.length - 1]).toEqual({
      operation: 'CreateExtendedSourceServer', account: TARGET, region: REGION, status: 201, injected: true, lost: true,
    });

    const retry = await errorOf(target.send(new CreateExtendedSourceServerCommand({ sourceServerArn: stagingArn })));
    expect(retry.name).toBe('ValidationException');
    expect(retry.message).toContain(`as ${created.arn}`);
  });

  test('failed calls do not use up a lost response', async () => {
    drs.faults.loseResponse('CreateExtendedSourceServer', 1);
    const missing = stagingArn.replace(/s-[0-9a-f]+$/, 's-0000000000000000f');
    expect(await outcome(target.send(new CreateExtendedSourceServerCommand({ sourceServerArn: missing })))).toBe('ResourceNotFoundException');
    expect(await outcome(target.send(new CreateExtendedSourceServerCommand({ sourceServerArn: stagingArn })))).not.toBe('ok');
    expect(drs.inventory(TARGET, REGION)).toHaveLength(1);
  });
});

describe('afterSuccess hooks', () => {
  test('run after each successful call of the operation, with its record; not after failures', async () => {
    const seen: CallRecord[] = [];
    drs.faults.afterSuccess('CreateExtendedSourceServer', (call) => {
      // The response was already written and recorded when the hook runs.
      expect(drs.calls).toContain(call);
      seen.push(call);
    });
    await target.send(new CreateExtendedSourceServerCommand({ sourceServerArn: stagingArn }));
    await outcome(target.send(new CreateExtendedSourceServerCommand({ sourceServerArn: stagingArn })));
    await describeAll();
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual([{ operation: 'CreateExtendedSourceServer', account: TARGET, region: REGION, status: 201 }]);
    expect(drs.hookErrors).toEqual([]);
  });

  test('* matches every operation; the returned function removes the hook; errors are collected', async () => {
    const ops: string[] = [];
    const remove = drs.faults.afterSuccess('*', (call) => ops.push(call.operation));
    drs.faults.afterSuccess('ListStagingAccounts', () => {
      throw new Error('hook failed');
    });
    await describeAll();
    await target.send(new ListStagingAccountsCommand({}));
    await new Promise((resolve) => setImmediate(resolve));
    remove();
    await describeAll();
    await new Promise((resolve) => setImmediate(resolve));
    expect(ops).toEqual(['DescribeSourceServers', 'ListStagingAccounts']);
    expect(drs.hookErrors.map((e) => (e as Error).message)).toEqual(['hook failed']);
  });
});

describe('role propagation', () => {
  test('the first N trusted calls from a target are refused, then it works; other reads are unaffected', async () => {
    drs.faults.rolePropagation({ calls: 2 });
    const list = () => outcome(target.send(new ListExtensibleSourceServersCommand({ stagingAccountID: STAGING })));
    expect(await list()).toBe('AccessDeniedException');
    expect(await outcome(target.send(new CreateExtendedSourceServerCommand({ sourceServerArn: stagingArn })))).toBe('AccessDeniedException');
    expect(await outcome(describeAll())).toBe('ok');
    expect(await list()).toBe('ok');
    expect(await outcome(target.send(new CreateExtendedSourceServerCommand({ sourceServerArn: stagingArn })))).toBe('ok');
  });

  test('or for the first T ms after the role appears', async () => {
    drs.faults.rolePropagation({ ms: 60_000 });
    const err = await errorOf(target.send(new ListExtensibleSourceServersCommand({ stagingAccountID: STAGING })));
    expect(err.message).toContain('has not propagated yet');
    drs.faults.clear();
    expect(await outcome(target.send(new ListExtensibleSourceServersCommand({ stagingAccountID: STAGING })))).toBe('ok');
  });
});

describe('clear', () => {
  test('removes every fault and hook', async () => {
    let hooked = 0;
    drs.faults
      .throttle({ count: 10 })
      .internalError({ count: 10 })
      .latency(500)
      .loseResponse('DescribeSourceServers', 10)
      .slowExtension({ describes: 10 })
      .afterSuccess('*', () => { hooked += 1; });
    drs.faults.clear();
    const start = performance.now();
    const created = await target.send(new CreateExtendedSourceServerCommand({ sourceServerArn: stagingArn }));
    const described = await describeAll();
    await new Promise((resolve) => setImmediate(resolve));
    expect(performance.now() - start).toBeLessThan(400);
    expect(created.sourceServer?.dataReplicationInfo?.dataReplicationState).toBe('CONTINUOUS');
    expect(described.items).toHaveLength(1);
    expect(hooked).toBe(0);
    expect(drs.calls.every((c) => !c.injected)).toBe(true);
  });
});

describe('SeededRandom', () => {
  test('is reproducible, seed-dependent and within [0, 1)', () => {
    const draw = (seed: number) => {
      const r = new SeededRandom(seed);
      return Array.from({ length: 1000 }, () => r.next());
    };
    const a = draw(3);
    expect(draw(3)).toEqual(a);
    expect(draw(4)).not.toEqual(a);
    expect(a.every((x) => x >= 0 && x < 1)).toBe(true);
    const mean = a.reduce((s, x) => s + x, 0) / a.length;
    expect(mean).toBeGreaterThan(0.4);
    expect(mean).toBeLessThan(0.6);
  });
});
