/**
 * Input validation, with the bad-input cases generated from the model: every constrained member
 * (length, pattern, enum, range, list/map size) of the ten operations' inputs, nested ones
 * included, gets a violating value inside an otherwise valid request, sent by the real SDK.
 */
import * as sdk from '@aws-sdk/client-drs';
import { DrsClient } from '@aws-sdk/client-drs';
import { client, errorOf, raw, REGION, startWithAccounts, TARGET } from './helpers';
import { LocalDrs } from './index';
import { model, shape, Shape } from './model';
import { validateShape } from './validate';

const OPERATIONS = [
  'ListStagingAccounts', 'ListExtensibleSourceServers', 'CreateExtendedSourceServer', 'DescribeSourceServers',
  'DisconnectSourceServer', 'DeleteSourceServer', 'TagResource', 'UntagResource', 'ListTagsForResource', 'InitializeService',
];

const SERVER_ID = 's-1234567890abcdef0';
const SERVER_ARN = `arn:aws:drs:${REGION}:${TARGET}:source-server/${SERVER_ID}`;

/** A valid input per operation, into which one bad value is placed at a time. */
const VALID_INPUT: Record<string, Record<string, unknown>> = {
  ListStagingAccounts: {},
  ListExtensibleSourceServers: { stagingAccountID: '111111111111' },
  CreateExtendedSourceServer: { sourceServerArn: SERVER_ARN },
  DescribeSourceServers: {},
  DisconnectSourceServer: { sourceServerID: SERVER_ID },
  DeleteSourceServer: { sourceServerID: SERVER_ID },
  TagResource: { resourceArn: SERVER_ARN, tags: { k: 'v' } },
  UntagResource: { resourceArn: SERVER_ARN, tagKeys: ['k'] },
  ListTagsForResource: { resourceArn: SERVER_ARN },
  InitializeService: {},
};

/** Valid values for patterned shapes (needed to build over-long lists of them). */
const VALID_EXAMPLE: Record<string, string> = { SourceServerID: SERVER_ID, AccountID: '111111111111', SourceServerARN: SERVER_ARN, ARN: SERVER_ARN };

type Step = { kind: 'member'; name: string } | { kind: 'index' } | { kind: 'mapValue' } | { kind: 'mapKey' };

interface Case {
  readonly operation: string;
  readonly field: string;
  readonly why: string;
  readonly input: Record<string, unknown>;
}

function validExample(shapeName: string): unknown {
  const s = shape(shapeName);
  if (s.type === 'string') {
    if (s.enum) return s.enum[0];
    if (s.pattern) {
      const v = VALID_EXAMPLE[shapeName];
      if (v === undefined) throw new Error(`add a valid example for patterned shape ${shapeName}`);
      return v;
    }
    return 'x'.repeat(Math.max(s.min ?? 0, 1));
  }
  if (s.type === 'integer' || s.type === 'long') return s.min ?? 1;
  throw new Error(`no example for ${shapeName} (${s.type})`);
}

/** Violating values for a shape's own constraints. */
function violations(s: Shape, shapeName: string): Array<{ why: string; value: unknown }> {
  const out: Array<{ why: string; value: unknown }> = [];
  if (s.type === 'string') {
    if (s.min !== undefined && s.min > 0) out.push({ why: `shorter than ${s.min}`, value: 'a'.repeat(s.min - 1) });
    if (s.max !== undefined) out.push({ why: `longer than ${s.max}`, value: 'a'.repeat(s.max + 1) });
    if (s.pattern !== undefined) {
      const value = '!'.repeat(Math.max(s.min ?? 0, 1));
      if (new RegExp(s.pattern, 'u').test(value)) throw new Error(`cannot build a value violating ${s.pattern}`);
      out.push({ why: 'not matching its pattern', value });
    }
    if (s.enum !== undefined) out.push({ why: 'not in its enum', value: 'NOT_A_MEMBER_OF_THE_ENUM' });
  } else if (s.type === 'integer' || s.type === 'long') {
    if (s.min !== undefined) out.push({ why: `below ${s.min}`, value: s.min - 1 });
    if (s.max !== undefined) out.push({ why: `above ${s.max}`, value: s.max + 1 });
  } else if (s.type === 'list') {
    if (s.min !== undefined && s.min > 0) out.push({ why: `fewer than ${s.min} items`, value: [] });
    if (s.max !== undefined) out.push({ why: `more than ${s.max} items`, value: Array.from({ length: s.max + 1 }, () => validExample(s.member!.shape)) });
  } else if (s.type === 'map' && s.max !== undefined) {
    throw new Error(`map size limits (${shapeName}) are not generated yet`);
  }
  return out;
}

function fieldName(steps: Step[]): string {
  let name = '';
  for (const step of steps) {
    if (step.kind === 'member') name = name ? `${name}.${step.name}` : step.name;
    else if (step.kind === 'index') name = `${name}[0]`;
    else if (step.kind === 'mapValue') name = `${name}[k]`;
  }
  return name;
}

/** A deep copy of `base` with `value` placed at `steps` (containers created as needed). */
function place(base: Record<string, unknown>, steps: Step[], value: unknown): Record<string, unknown> {
  const root = JSON.parse(JSON.stringify(base));
  let holder: any = root;
  steps.forEach((step, i) => {
    const last = i === steps.length - 1;
    const next = steps[i + 1];
    const container = () => (next?.kind === 'index' ? [] : {});
    if (step.kind === 'member') {
      if (last) holder[step.name] = value;
      else holder = holder[step.name] = (next.kind === 'mapKey' ? {} : holder[step.name] ?? container());
    } else if (step.kind === 'index') {
      if (last) holder[0] = value;
      else holder = holder[0] = holder[0] ?? container();
    } else if (step.kind === 'mapValue') {
      if (last) holder.k = value;
      else holder = holder.k = holder.k ?? container();
    } else {
      holder[value as string] = 'v';
    }
  });
  return root;
}

function generate(): Case[] {
  const cases: Case[] = [];
  const walk = (operation: string, shapeName: string, steps: Step[]) => {
    const s = shape(shapeName);
    const isKey = steps[steps.length - 1]?.kind === 'mapKey';
    for (const v of violations(s, shapeName)) {
      const why = isKey ? `key ${v.why}` : v.why;
      cases.push({ operation, field: fieldName(steps), why, input: place(VALID_INPUT[operation], steps, v.value) });
    }
    if (s.type === 'structure') {
      for (const [name, ref] of Object.entries(s.members ?? {})) walk(operation, ref.shape, [...steps, { kind: 'member', name }]);
    } else if (s.type === 'list') {
      walk(operation, s.member!.shape, [...steps, { kind: 'index' }]);
    } else if (s.type === 'map') {
      walk(operation, s.key!.shape, [...steps, { kind: 'mapKey' }]);
      walk(operation, s.value!.shape, [...steps, { kind: 'mapValue' }]);
    }
  };
  for (const operation of OPERATIONS) walk(operation, model.operations[operation].input!.shape, []);
  return cases;
}

const CASES = generate();

function command(operation: string, input: Record<string, unknown>) {
  const Command = (sdk as any)[`${operation}Command`];
  return new Command(input);
}

let drs: LocalDrs;
let target: DrsClient;

beforeAll(async () => {
  ({ drs } = await startWithAccounts());
  target = client(drs, TARGET);
});
afterAll(async () => drs.stop());

describe('generated bad-input cases', () => {
  test('cover every constrained input member of the ten operations', () => {
    const covered = new Set(CASES.map((c) => `${c.operation}.${c.field}`));
    expect([...covered].sort()).toEqual([
      'CreateExtendedSourceServer.sourceServerArn',
      'CreateExtendedSourceServer.tags',
      'CreateExtendedSourceServer.tags[k]',
      'DeleteSourceServer.sourceServerID',
      'DescribeSourceServers.filters.hardwareId',
      'DescribeSourceServers.filters.sourceServerIDs',
      'DescribeSourceServers.filters.sourceServerIDs[0]',
      'DescribeSourceServers.filters.stagingAccountIDs',
      'DescribeSourceServers.filters.stagingAccountIDs[0]',
      'DescribeSourceServers.maxResults',
      'DescribeSourceServers.nextToken',
      'DisconnectSourceServer.sourceServerID',
      'ListExtensibleSourceServers.maxResults',
      'ListExtensibleSourceServers.nextToken',
      'ListExtensibleSourceServers.stagingAccountID',
      'ListStagingAccounts.maxResults',
      'ListStagingAccounts.nextToken',
      'ListTagsForResource.resourceArn',
      'TagResource.resourceArn',
      'TagResource.tags',
      'TagResource.tags[k]',
      'UntagResource.resourceArn',
      'UntagResource.tagKeys[0]',
    ]);
  });

  test.each(CASES.map((c) => [`${c.operation} ${c.field} ${c.why}`, c] as const))('%s → ValidationException naming the field', async (_, c) => {
    // The generated value must really be invalid by the model, or the case proves nothing.
    expect(validateShape(model.operations[c.operation].input!.shape, c.input, '').map((p) => p.name)).toContain(c.field);
    const e = await errorOf(target.send(command(c.operation, c.input)));
    expect(e.name).toBe('ValidationException');
    expect(e.$metadata.httpStatusCode).toBe(400);
    expect(e.reason).toBe('fieldValidationFailed');
    expect(e.fieldList.map((f: { name: string }) => f.name)).toContain(c.field);
  });
});

describe('other validation', () => {
  test('a missing required member is named', async () => {
    const e = await errorOf(target.send(new sdk.ListExtensibleSourceServersCommand({} as any)));
    expect(e.name).toBe('ValidationException');
    expect(e.fieldList).toEqual([{ name: 'stagingAccountID', message: 'Member must not be null' }]);
  });

  test('a member of the wrong type is a field error', async () => {
    const r = await raw(drs, TARGET, REGION, { method: 'POST', path: '/DeleteSourceServer', body: JSON.stringify({ sourceServerID: 42 }) });
    expect(r.status).toBe(400);
    expect(r.headers.get('x-amzn-errortype')).toBe('ValidationException');
    expect(r.json.fieldList).toEqual([{ name: 'sourceServerID', message: 'Member must be a string' }]);
  });

  test('a body that is not JSON cannot be parsed', async () => {
    const r = await raw(drs, TARGET, REGION, { method: 'POST', path: '/DescribeSourceServers', body: '{not json' });
    expect(r.status).toBe(400);
    expect(r.json.reason).toBe('cannotParse');
  });

  test('a path label that is not valid percent-encoding cannot be parsed', async () => {
    const r = await raw(drs, TARGET, REGION, { method: 'GET', path: '/tags/arn%E0%A4%A' });
    expect(r.status).toBe(400);
    expect(r.json.reason).toBe('cannotParse');
  });

  test('a non-numeric maxResults in the querystring is a field error', async () => {
    const r = await raw(drs, TARGET, REGION, { method: 'GET', path: '/ListStagingAccounts?maxResults=ten' });
    expect(r.json.fieldList).toEqual([{ name: 'maxResults', message: 'Member must be an integer' }]);
  });

  test('unknown body members are ignored, as AWS does', async () => {
    const r = await raw(drs, TARGET, REGION, { method: 'POST', path: '/DescribeSourceServers', body: JSON.stringify({ surprise: true }) });
    expect(r.status).toBe(200);
  });

  test('patterns are unanchored like Smithy, but ARNs must parse as a whole to be used', async () => {
    const arn = `xx${SERVER_ARN}`;
    expect(validateShape('CreateExtendedSourceServerRequest', { sourceServerArn: arn }, '')).toEqual([]);
    const e = await errorOf(target.send(new sdk.CreateExtendedSourceServerCommand({ sourceServerArn: arn })));
    expect(e.name).toBe('ValidationException');
    expect(e.reason).toBe('other');
    expect(e.fieldList[0].name).toBe('sourceServerArn');
  });

  test('lengths count Unicode characters, not UTF-16 units', () => {
    const key = '😀'.repeat(256); // 512 UTF-16 units, 256 characters
    expect(validateShape('TagsMap', { [key]: 'v' }, 'tags')).toEqual([]);
    expect(validateShape('TagsMap', { [`${key}x`]: 'v' }, 'tags')).toEqual([
      { name: 'tags', message: 'Member must have length less than or equal to 256' },
    ]);
  });

  test('an operation of the model that the local DRS does not implement is an unknown operation', async () => {
    const r = await raw(drs, TARGET, REGION, { method: 'POST', path: '/StartFailbackLaunch', body: '{}' });
    expect(r.status).toBe(400);
    expect(r.headers.get('x-amzn-errortype')).toBe('ValidationException');
    expect(r.json.reason).toBe('unknownOperation');
    expect(r.json.message).toContain('StartFailbackLaunch');
  });

  test('a path no operation answers is a 404', async () => {
    const r = await raw(drs, TARGET, REGION, { method: 'POST', path: '/NoSuchThing', body: '{}' });
    expect(r.status).toBe(404);
    expect(r.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
    expect(drs.calls[drs.calls.length - 1]).toMatchObject({ operation: 'Unknown', status: 404, errorType: 'UnknownOperationException' });
  });
});

describe('strict validation of responses', () => {
  test('flags undeclared members and nulls', () => {
    expect(validateShape('StagingArea', { status: 'EXTENDED', extra: 1, errorMessage: null }, 'stagingArea', { strict: true })).toEqual([
      { name: 'stagingArea.extra', message: 'Member is not declared by the shape' },
      { name: 'stagingArea.errorMessage', message: 'Member must not be null' },
    ]);
  });

  test('requests are lenient about both', () => {
    expect(validateShape('StagingArea', { status: 'EXTENDED', extra: 1, errorMessage: null }, 'stagingArea')).toEqual([]);
  });

  test('checks enums, list sizes and integer ranges', () => {
    expect(validateShape('StagingArea', { status: 'HALF_EXTENDED' }, 's').map((p) => p.name)).toEqual(['s.status']);
    expect(validateShape('AccountIDs', Array(201).fill('111111111111'), 'ids')).toEqual([{ name: 'ids', message: 'Member must have at most 200 elements' }]);
    expect(validateShape('MaxResultsReplicatingSourceServers', 301, 'm')).toEqual([{ name: 'm', message: 'Member must have value less than or equal to 300' }]);
  });
});
