/**
 * The parts of the staging-account reconciliation that need no DRS: selector matching (three-
 * valued), the worker pool, and property parsing.
 */
import { runPool } from '../../../src/common/runtime/pool';
import { SelectorTypes, ServerSelectorProperty } from '../../../src/contract';
import { PropertyError } from '../../../src/servers/runtime/properties';
import { evaluateSelector, globToRegExp } from '../../../src/servers/runtime/selector';
import { parseStagingAccountExtensionProperties } from '../../../src/servers/runtime/staging-account-extension-properties';

const hostname = (...Patterns: string[]): ServerSelectorProperty => ({ Type: SelectorTypes.HOSTNAME, Patterns });
const tag = (Key: string, ...Values: string[]): ServerSelectorProperty => ({ Type: SelectorTypes.TAG, Key, ...(Values.length ? { Values } : {}) });
const allOf = (...Selectors: ServerSelectorProperty[]): ServerSelectorProperty => ({ Type: SelectorTypes.ALL_OF, Selectors });
const anyOf = (...Selectors: ServerSelectorProperty[]): ServerSelectorProperty => ({ Type: SelectorTypes.ANY_OF, Selectors });
const not = (s: ServerSelectorProperty): ServerSelectorProperty => ({ Type: SelectorTypes.NOT, Selectors: [s] });

describe('hostname globs', () => {
  test.each([
    ['web-*', 'web-1', true],
    ['web-*', 'WEB-1.example.com', true],
    ['web-*', 'app-web-1', false],
    ['web-?', 'web-12', false],
    ['web-?', 'web-2', true],
    ['*.example.com', 'db.example.com', true],
    ['*.example.com', 'db.exampleXcom', false],
    ['a+b(c)', 'a+b(c)', true],
    ['a+b(c)', 'aab(c)', false],
  ])('%s against %s: %s', (pattern, name, expected) => {
    expect(globToRegExp(pattern).test(name)).toBe(expected);
  });
});

describe('evaluateSelector', () => {
  const listed = { hostname: 'web-1', tags: { env: 'prod', dr: 'yes' } };
  const owned = { hostname: 'web-1', tags: undefined };

  test('no selector and all() match everything', () => {
    expect(evaluateSelector(undefined, listed)).toBe(true);
    expect(evaluateSelector({ Type: SelectorTypes.ALL }, owned)).toBe(true);
  });

  test('hostname and tag conditions on a listed server', () => {
    expect(evaluateSelector(hostname('db-*', 'web-*'), listed)).toBe(true);
    expect(evaluateSelector(hostname('db-*'), listed)).toBe(false);
    expect(evaluateSelector(tag('env', 'prod', 'production'), listed)).toBe(true);
    expect(evaluateSelector(tag('env', 'Prod'), listed)).toBe(false);
    expect(evaluateSelector(tag('dr'), listed)).toBe(true);
    expect(evaluateSelector(tag('missing'), listed)).toBe(false);
  });

  test('an owned server: tags are unknown, so tag conditions are undecided', () => {
    expect(evaluateSelector(tag('env', 'prod'), owned)).toBeUndefined();
    expect(evaluateSelector(hostname('web-*'), owned)).toBe(true);
    expect(evaluateSelector(hostname('db-*'), { hostname: undefined, tags: undefined })).toBeUndefined();
  });

  test('allOf / anyOf / not combine like SQL AND / OR / NOT over unknowns', () => {
    // false AND unknown = false: the hostname alone rules the server out.
    expect(evaluateSelector(allOf(hostname('db-*'), tag('env', 'prod')), owned)).toBe(false);
    expect(evaluateSelector(allOf(hostname('web-*'), tag('env', 'prod')), owned)).toBeUndefined();
    expect(evaluateSelector(allOf(hostname('web-*'), tag('env', 'prod')), listed)).toBe(true);
    // true OR unknown = true; false OR unknown = unknown.
    expect(evaluateSelector(anyOf(hostname('web-*'), tag('env', 'prod')), owned)).toBe(true);
    expect(evaluateSelector(anyOf(hostname('db-*'), tag('env', 'prod')), owned)).toBeUndefined();
    expect(evaluateSelector(anyOf(hostname('db-*'), tag('env', 'test')), listed)).toBe(false);
    expect(evaluateSelector(not(hostname('web-*')), owned)).toBe(false);
    expect(evaluateSelector(not(tag('env', 'prod')), owned)).toBeUndefined();
    expect(evaluateSelector(not(tag('dr', 'exclude')), listed)).toBe(true);
  });
});

describe('runPool', () => {
  test('never runs more than `concurrency` tasks at once and runs each once', async () => {
    let inFlight = 0;
    let peak = 0;
    const ran: number[] = [];
    const result = await runPool([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setImmediate(r));
      ran.push(n);
      inFlight -= 1;
      return 'done';
    }, () => false);
    expect(peak).toBe(3);
    expect(ran.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(result.notDone).toEqual([]);
  });

  test('stops starting tasks when told to, and returns those not run', async () => {
    const ran: number[] = [];
    const result = await runPool([1, 2, 3, 4], 1, async (n) => { ran.push(n); return 'done'; }, () => ran.length >= 2);
    expect(ran).toEqual([1, 2]);
    expect(result.notDone).toEqual([3, 4]);
  });

  test("a task answering 'again' goes to the back of the queue", async () => {
    const ran: string[] = [];
    let first = true;
    await runPool(['a', 'b'], 1, async (t) => {
      ran.push(t);
      if (t === 'a' && first) { first = false; return 'again'; }
      return 'done';
    }, () => false);
    expect(ran).toEqual(['a', 'b', 'a']);
  });

  test('the first error stops the pool and is rethrown after tasks in flight settle', async () => {
    const ran: number[] = [];
    const promise = runPool([1, 2, 3, 4, 5], 2, async (n) => {
      ran.push(n);
      if (n === 2) throw new Error('boom');
      await new Promise((r) => setImmediate(r));
      return 'done';
    }, () => false);
    await expect(promise).rejects.toThrow('boom');
    expect(ran).toEqual([1, 2]);
  });
});

describe('parseStagingAccountExtensionProperties', () => {
  test('reads what the construct writes, with string flags', () => {
    expect(parseStagingAccountExtensionProperties({
      ServiceToken: 'arn:aws:lambda:us-east-1:222222222222:function:f',
      StagingAccountId: '111111111111',
      Selector: allOf(hostname('web-*'), tag('env', 'prod')),
      Tags: { team: 'dr' },
      PruneNotMatching: 'true',
      FailOnExtensionError: 'false',
      ReconcileToken: '2024-06-01',
      PerServerDeclarations: [{ StagingSourceServerArn: 'arn:aws:drs:us-east-1:111111111111:source-server/s-11111111111111111', Tags: { team: 'a' } },
        { StagingSourceServerArn: 'arn:aws:drs:us-east-1:111111111111:source-server/s-11111111111111112' }],
    })).toEqual({
      stagingAccountId: '111111111111',
      selector: allOf(hostname('web-*'), tag('env', 'prod')),
      tags: { team: 'dr' },
      pruneNotMatching: true,
      failOnExtensionError: false,
      perServer: new Map([['arn:aws:drs:us-east-1:111111111111:source-server/s-11111111111111111', { team: 'a' }],
        ['arn:aws:drs:us-east-1:111111111111:source-server/s-11111111111111112', {}]]),
    });
    expect(parseStagingAccountExtensionProperties({ StagingAccountId: '111111111111' })).toEqual({
      stagingAccountId: '111111111111', tags: {}, pruneNotMatching: false, failOnExtensionError: false, perServer: new Map(),
    });
    expect(() => parseStagingAccountExtensionProperties({ StagingAccountId: '111111111111', PerServerDeclarations: [{}] }))
      .toThrow('PerServerDeclarations[0].StagingSourceServerArn must be a string');
  });

  test('reports every problem, naming the property', () => {
    let err: unknown;
    try {
      parseStagingAccountExtensionProperties({
        StagingAccountId: '1234',
        Selector: { Type: 'hostname', Patterns: [] },
        Tags: { 'aws:x': 'y' },
        PruneNotMatching: 'yes',
        Extra: 'x',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PropertyError);
    const message = (err as Error).message;
    expect(message).toContain("unknown property 'Extra'");
    expect(message).toContain("StagingAccountId must be a 12-digit AWS account id, got '1234'");
    expect(message).toContain('Selector.Patterns must have 1-50 entries, got 0');
    expect(message).toContain("Tags key 'aws:x' uses the reserved prefix");
    expect(message).toContain("PruneNotMatching must be 'true' or 'false', got \"yes\"");
  });

  test.each([
    [{ Type: 'regex', Patterns: ['x'] }, 'Selector.Type must be one of all, hostname, tag, allOf, anyOf, not, got "regex"'],
    [{ Type: 'tag' }, 'Selector.Key must be a tag key of 1-256 characters'],
    [{ Type: 'not', Selectors: [] }, 'Selector.Selectors of Type not must hold exactly one selector, got 0'],
    [{ Type: 'allOf', Selectors: [{ Type: 'hostname', Patterns: [''] }] }, 'Selector.Selectors[0].Patterns[0] must be a string of 1-256 characters'],
    [{ Type: 'all', Patterns: ['x'] }, "Selector of Type all has unknown member 'Patterns'"],
    [allOf(allOf(allOf(allOf(allOf(allOf({ Type: 'all' })))))), 'nests deeper than 5 levels'],
  ])('rejects selector %j', (Selector, expected) => {
    expect(() => parseStagingAccountExtensionProperties({ StagingAccountId: '111111111111', Selector })).toThrow(expected);
  });
});
