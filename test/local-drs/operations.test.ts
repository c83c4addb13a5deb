/**
 * The happy path of each of the ten operations on the wire: the model's route and status code,
 * and a body that validates strictly (no undeclared members, no nulls) against the model's
 * output shape. Then the same operations through the SDK, which must parse them.
 */
import {
  CreateExtendedSourceServerCommand, DescribeSourceServersCommand, DisconnectSourceServerCommand, DrsClient,
  ListExtensibleSourceServersCommand, ListStagingAccountsCommand, ListTagsForResourceCommand, TagResourceCommand, UntagResourceCommand,
} from '@aws-sdk/client-drs';
import { client, OTHER, raw, RawResponse, REGION, STAGING, startWithAccounts, TARGET } from './helpers';
import { LocalDrs } from './index';
import { operation, shape, successCode } from './model';
import { serialize } from './protocol';
import { validateShape } from './validate';

function expectModelled(op: string, r: RawResponse): void {
  const o = operation(op);
  expect(r.status).toBe(successCode(o));
  if (r.status === 204 || !o.output) {
    expect(r.text).toBe('');
    return;
  }
  expect(r.headers.get('content-type')).toBe('application/json');
  expect(validateShape(o.output.shape, r.json, '', { strict: true })).toEqual([]);
}

describe('each operation on the wire', () => {
  let drs: LocalDrs;
  let stagingArn: string;
  let extended: { sourceServerID: string; arn: string };
  const seen = new Set<string>();
  const call = async (op: string, method: string, path: string, body?: unknown) => {
    const r = await raw(drs, TARGET, REGION, { method, path, body: body === undefined ? undefined : JSON.stringify(body) });
    expectModelled(op, r);
    seen.add(op);
    return r;
  };
  const tagsPath = () => `/tags/${encodeURIComponent(extended.arn)}`;

  beforeAll(async () => {
    const started = await startWithAccounts();
    drs = started.drs;
    stagingArn = started.staging.arn;
    drs.addAccount(TARGET, { initialized: false });
  });
  afterAll(async () => drs.stop());

  test('InitializeService: 204, no body', async () => {
    await call('InitializeService', 'POST', '/InitializeService');
  });

  test('ListExtensibleSourceServers', async () => {
    const r = await call('ListExtensibleSourceServers', 'POST', '/ListExtensibleSourceServers', { stagingAccountID: STAGING });
    expect(r.json).toEqual({ items: [{ arn: stagingArn, hostname: 'web-1', tags: { app: 'shop' } }] });
  });

  test('CreateExtendedSourceServer: 201 with the new server', async () => {
    const r = await call('CreateExtendedSourceServer', 'POST', '/CreateExtendedSourceServer', { sourceServerArn: stagingArn, tags: { team: 'dr' } });
    extended = { sourceServerID: r.json.sourceServer.sourceServerID, arn: r.json.sourceServer.arn };
    expect(r.json.sourceServer.stagingArea).toEqual({ status: 'EXTENDED', stagingAccountID: STAGING, stagingSourceServerArn: stagingArn });
  });

  test('DescribeSourceServers', async () => {
    const r = await call('DescribeSourceServers', 'POST', '/DescribeSourceServers', {});
    expect(r.json.items.map((s: { arn: string }) => s.arn)).toEqual([extended.arn]);
    expect(r.json.nextToken).toBeUndefined();
  });

  test('ListStagingAccounts: GET with querystring', async () => {
    const r = await call('ListStagingAccounts', 'GET', '/ListStagingAccounts?maxResults=10');
    expect(r.json).toEqual({ accounts: [{ accountID: STAGING }] });
  });

  test('TagResource: POST /tags/{url-encoded arn}, 200 and no body', async () => {
    await call('TagResource', 'POST', tagsPath(), { tags: { a: '1', b: '2' } });
  });

  test('UntagResource: DELETE with a tagKeys list in the querystring', async () => {
    await call('UntagResource', 'DELETE', `${tagsPath()}?tagKeys=a&tagKeys=team`);
  });

  test('ListTagsForResource', async () => {
    const r = await call('ListTagsForResource', 'GET', tagsPath());
    expect(r.json).toEqual({ tags: { b: '2' } });
  });

  test('DisconnectSourceServer: the server, DISCONNECTED', async () => {
    const r = await call('DisconnectSourceServer', 'POST', '/DisconnectSourceServer', { sourceServerID: extended.sourceServerID });
    expect(r.json.dataReplicationInfo).toEqual({ dataReplicationState: 'DISCONNECTED' });
  });

  test('DeleteSourceServer: 204, no body', async () => {
    await call('DeleteSourceServer', 'POST', '/DeleteSourceServer', { sourceServerID: extended.sourceServerID });
    expect(drs.inventory(TARGET, REGION)).toEqual([]);
  });

  test('all ten operations were exercised', () => {
    expect(seen.size).toBe(10);
  });
});

describe('the SDK parses every response', () => {
  let drs: LocalDrs;
  let target: DrsClient;
  let stagingArn: string;
  beforeAll(async () => {
    const started = await startWithAccounts();
    drs = started.drs;
    stagingArn = started.staging.arn;
    target = client(drs, TARGET);
  });
  afterAll(async () => drs.stop());

  test('a full round', async () => {
    const list = await target.send(new ListExtensibleSourceServersCommand({ stagingAccountID: STAGING, maxResults: 300 }));
    expect(list.items).toEqual([{ arn: stagingArn, hostname: 'web-1', tags: { app: 'shop' } }]);

    const created = await target.send(new CreateExtendedSourceServerCommand({ sourceServerArn: stagingArn }));
    expect(created.$metadata.httpStatusCode).toBe(201);
    const id = created.sourceServer!.sourceServerID!;

    const described = await target.send(new DescribeSourceServersCommand({ filters: { sourceServerIDs: [id] } }));
    expect(described.items).toHaveLength(1);
    expect(described.items![0].sourceProperties?.identificationHints?.hostname).toBe('web-1');

    const accounts = await target.send(new ListStagingAccountsCommand({}));
    expect(accounts.accounts).toEqual([{ accountID: STAGING }]);

    const arn = created.sourceServer!.arn!;
    await target.send(new TagResourceCommand({ resourceArn: arn, tags: { x: '1', y: '2' } }));
    await target.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ['x'] }));
    expect((await target.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags).toEqual({ y: '2' });

    const disconnected = await target.send(new DisconnectSourceServerCommand({ sourceServerID: id }));
    expect(disconnected.dataReplicationInfo?.dataReplicationState).toBe('DISCONNECTED');
  });
});

describe('each error on the wire', () => {
  let drs: LocalDrs;
  let stagingArn: string;
  beforeAll(async () => {
    const started = await startWithAccounts({ quotas: { extendedServersPerRegion: 0 } });
    drs = started.drs;
    stagingArn = started.staging.arn;
    drs.addAccount('444444444444', { initialized: false });
    drs.setAuthorizer(OTHER, () => ({ allowed: false }));
  });
  afterAll(async () => drs.stop());

  const post = (account: string, path: string, body: unknown) =>
    raw(drs, account, REGION, { method: 'POST', path, body: JSON.stringify(body) });

  test.each<[string, () => Promise<RawResponse>]>([
    ['ValidationException', () => post(TARGET, '/DeleteSourceServer', { sourceServerID: 'nope' })],
    ['ResourceNotFoundException', () => post(TARGET, '/DisconnectSourceServer', { sourceServerID: 's-0000000000000000a' })],
    ['ConflictException', () => post(STAGING, '/DeleteSourceServer', { sourceServerID: stagingArn.split('/')[1] })],
    ['AccessDeniedException', () => post(OTHER, '/DescribeSourceServers', {})],
    ['UninitializedAccountException', () => post('444444444444', '/DescribeSourceServers', {})],
    ['ServiceQuotaExceededException', () => post(TARGET, '/CreateExtendedSourceServer', { sourceServerArn: stagingArn })],
    ['ThrottlingException', () => {
      drs.faults.throttle({ count: 1 });
      return post(TARGET, '/DescribeSourceServers', {});
    }],
    ['InternalServerException', () => {
      drs.faults.internalError({ count: 1 });
      return post(TARGET, '/DescribeSourceServers', {});
    }],
  ])('%s: modelled status, type header, body valid against its shape', async (type, send) => {
    const r = await send();
    expect(r.status).toBe(shape(type).error!.httpStatusCode);
    expect(r.headers.get('x-amzn-errortype')).toBe(type);
    expect(typeof r.json.message).toBe('string');
    expect(validateShape(type, r.json, '', { strict: true })).toEqual([]);
  });
});

describe('the serializer', () => {
  test('drops members the shape does not declare and never emits null', () => {
    const out = serialize('SourceServer', {
      sourceServerID: 's-1234567890abcdef0',
      secret: 'not in the model',
      tags: null,
      recoveryInstanceId: undefined,
      stagingArea: { status: 'EXTENDED', internal: 1, errorMessage: null },
      sourceProperties: { disks: [{ deviceName: 'a', bytes: 1, extra: true }, null] },
    });
    expect(out).toEqual({
      sourceServerID: 's-1234567890abcdef0',
      stagingArea: { status: 'EXTENDED' },
      sourceProperties: { disks: [{ deviceName: 'a', bytes: 1 }] },
    });
  });

  test('keeps header-bound error members out of the body', () => {
    expect(serialize('ThrottlingException', { message: 'slow down', retryAfterSeconds: '3' })).toEqual({ message: 'slow down' });
  });
});
