import * as http from 'http';
import { AddressInfo } from 'net';
import {
  CreateExtendedSourceServerCommand,
  DeleteSourceServerCommand,
  DescribeSourceServersCommand,
  DisconnectSourceServerCommand,
  DrsClient,
  InitializeServiceCommand,
} from '@aws-sdk/client-drs';
import { mockClient } from 'aws-sdk-client-mock';
import { OwnerTags, ResourceTypes } from '../../../src/contract';
import { handler } from '../../../src/provider/drs-handler.lambda';
import { handleEvent, HandlerDeps, LambdaContextLike, runHandler } from '../../../src/provider/runtime/dispatch';
import { CloudFormationEvent, responseBudgetMs } from '../../../src/provider/runtime/response';
import { errors, extendedServer, FakeClock, LOGICAL_ID, NEW_SERVER_ID, OTHER_STAGING_ARN, REGION, SERVER_ID, STACK_ID, STAGING, STAGING_ARN, TARGET } from '../../support/handler-fixtures';
import { startHttpsServer, trustInThisProcess } from '../../support/https-server';

const drs = mockClient(DrsClient);
const client = new DrsClient({ region: REGION });
let clock: FakeClock;
let lines: string[];

beforeEach(() => {
  drs.reset();
  clock = new FakeClock();
  lines = [];
});

function event(overrides: Partial<CloudFormationEvent> = {}): CloudFormationEvent {
  return {
    RequestType: 'Create',
    ResponseURL: 'https://cloudformation-custom-resource-response.s3.amazonaws.com/x',
    StackId: STACK_ID,
    RequestId: 'req-1',
    LogicalResourceId: LOGICAL_ID,
    ResourceType: ResourceTypes.EXTENDED_SOURCE_SERVER,
    ResourceProperties: { ServiceToken: 'arn:aws:lambda:us-east-1:222222222222:function:f', StagingSourceServerArn: STAGING_ARN, Tags: { team: 'dr' } },
    ...overrides,
  };
}

const context = (remainingMs = 900_000): LambdaContextLike => ({
  invokedFunctionArn: `arn:aws:lambda:${REGION}:${TARGET}:function:handler`,
  logStreamName: '2024/01/01/[$LATEST]abc',
  getRemainingTimeInMillis: () => remainingMs,
});

function deps(env: Record<string, string> = {}, extra: Partial<HandlerDeps> = {}): HandlerDeps {
  return { client, env: { AWS_REGION: REGION, ...env }, now: clock.now, sleep: clock.sleep, write: (l) => lines.push(l), ...extra };
}

const logged = () => lines.map((l) => JSON.parse(l));

describe('handleEvent', () => {
  test('Create of an extended source server: SUCCESS with the server id and attributes; every log line is JSON with the request context', async () => {
    drs.on(DescribeSourceServersCommand).resolves({ items: [] });
    drs.on(CreateExtendedSourceServerCommand).resolves({ sourceServer: extendedServer() });

    const result = await handleEvent(event(), context(), deps());

    expect(result).toEqual({
      status: 'SUCCESS',
      physicalResourceId: SERVER_ID,
      data: { SourceServerId: SERVER_ID, SourceServerArn: `arn:aws:drs:${REGION}:${TARGET}:source-server/${SERVER_ID}`, StagingAccountId: STAGING, StagingSourceServerArn: STAGING_ARN },
    });
    expect(drs.commandCalls(CreateExtendedSourceServerCommand)[0].args[0].input.tags).toEqual({
      team: 'dr', [OwnerTags.STACK_ID]: STACK_ID, [OwnerTags.LOGICAL_ID]: LOGICAL_ID,
    });
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const line of logged()) {
      expect(line).toMatchObject({ requestType: 'Create', logicalId: LOGICAL_ID, account: TARGET, region: REGION });
    }
    expect(logged().map((l) => l.message)).toEqual(expect.arrayContaining(['request received', 'created extended source server', 'succeeded']));
  });

  test('invalid properties: FAILED naming the property, with a failed-create:none id, and no DRS call', async () => {
    const result = await handleEvent(event({ ResourceProperties: { StagingSourceServerArn: 'nope' } }), context(), deps());
    expect(result.status).toBe('FAILED');
    expect(result.physicalResourceId).toBe('failed-create:none:req-1');
    expect(result.reason).toContain("StagingSourceServerArn must be a DRS source server ARN like arn:aws:drs:us-east-1:111122223333:source-server/s-1234567890abcdef0 (20-2048 characters), got 'nope'");
    expect(drs.calls()).toHaveLength(0);
  });

  test('a failed Create answers with an id the Delete handler treats as "nothing was created"', async () => {
    drs.on(DescribeSourceServersCommand).resolves({ items: [] });
    drs.on(CreateExtendedSourceServerCommand).rejects(errors.named('AccessDeniedException'));
    const created = await handleEvent(event(), context(), deps());
    expect(created.status).toBe('FAILED');
    expect(created.reason).toContain(`staging account ${STAGING} does not trust target account ${TARGET}`);

    // Access denied on the create itself: nothing can exist, and the id says so.
    expect(created.physicalResourceId).toBe('failed-create:none:req-1');

    drs.reset();
    drs.on(DescribeSourceServersCommand).rejects(errors.named('AccessDeniedException'));
    const deleted = await handleEvent(event({ RequestType: 'Delete', PhysicalResourceId: created.physicalResourceId }), context(), deps());
    expect(deleted).toEqual({ status: 'SUCCESS', physicalResourceId: 'failed-create:none:req-1' });
    // The rollback's Delete makes no DRS call, so it cannot hit the error that failed the Create.
    expect(drs.calls()).toHaveLength(0);
  });

  test('a failed Create whose cleanup failed answers with the server id, and the rollback Delete removes it', async () => {
    drs.on(DescribeSourceServersCommand, { filters: { stagingAccountIDs: [STAGING] } }).resolves({ items: [] });
    drs.on(CreateExtendedSourceServerCommand).resolves({ sourceServer: extendedServer({ status: 'EXTENSION_ERROR' }) });
    drs.on(DescribeSourceServersCommand, { filters: { sourceServerIDs: [SERVER_ID] } }).resolves({ items: [extendedServer({ status: 'EXTENSION_ERROR' })] });
    // Not AccessDenied: a Create retries that while its role may be propagating, and then the cleanup succeeds.
    drs.on(DeleteSourceServerCommand).rejectsOnce(errors.validation('the server is busy')).resolves({});

    const created = await handleEvent(event(), context(), deps());
    expect(created).toMatchObject({ status: 'FAILED', physicalResourceId: SERVER_ID });

    const deleted = await handleEvent(event({ RequestType: 'Delete', PhysicalResourceId: SERVER_ID }), context(), deps());
    expect(deleted.status).toBe('SUCCESS');
    expect(drs.commandCalls(DeleteSourceServerCommand)).toHaveLength(2);
    expect(drs.commandCalls(DisconnectSourceServerCommand)).toHaveLength(0);
  });

  test('Update with a new staging ARN answers the new physical id; a failed Update keeps the old one', async () => {
    drs.on(DescribeSourceServersCommand).resolves({ items: [] });
    drs.on(CreateExtendedSourceServerCommand).resolves({ sourceServer: extendedServer({ id: NEW_SERVER_ID, from: OTHER_STAGING_ARN }) });
    const update = event({
      RequestType: 'Update',
      PhysicalResourceId: SERVER_ID,
      ResourceProperties: { StagingSourceServerArn: OTHER_STAGING_ARN },
      OldResourceProperties: { StagingSourceServerArn: STAGING_ARN },
    });
    expect(await handleEvent(update, context(), deps())).toMatchObject({ status: 'SUCCESS', physicalResourceId: NEW_SERVER_ID });

    drs.reset();
    drs.on(DescribeSourceServersCommand).resolves({ items: [] });
    drs.on(CreateExtendedSourceServerCommand).rejects(errors.named('UninitializedAccountException'));
    expect(await handleEvent(update, context(), deps())).toMatchObject({ status: 'FAILED', physicalResourceId: SERVER_ID });
  });

  test('AccessDenied is retried while a new role propagates during a Create only, never during an Update', async () => {
    drs.on(DescribeSourceServersCommand).resolves({ items: [] });
    drs.on(CreateExtendedSourceServerCommand).rejectsOnce(errors.named('AccessDeniedException')).resolves({ sourceServer: extendedServer() });
    expect(await handleEvent(event(), context(), deps())).toMatchObject({ status: 'SUCCESS', physicalResourceId: SERVER_ID });
    expect(clock.sleeps).toEqual([1000]);

    drs.reset();
    clock = new FakeClock();
    drs.on(DescribeSourceServersCommand).resolves({ items: [] });
    drs.on(CreateExtendedSourceServerCommand).rejectsOnce(errors.named('AccessDeniedException')).resolves({ sourceServer: extendedServer() });
    const update = event({
      RequestType: 'Update',
      PhysicalResourceId: SERVER_ID,
      ResourceProperties: { StagingSourceServerArn: OTHER_STAGING_ARN },
      OldResourceProperties: { StagingSourceServerArn: STAGING_ARN },
    });
    const result = await handleEvent(update, context(), deps());
    expect(result.status).toBe('FAILED');
    expect(result.reason).toContain('does not trust target account');
    expect(clock.sleeps).toEqual([]);
  });

  // Issue 9 (a): the first deploy of a stack creates the handler role and its policy moments before
  // the Create's first request, which is a look-up, not CreateExtendedSourceServer.
  test('in a Create every DRS call retries AccessDenied while the role propagates (the first look-up too); in an Update none does', async () => {
    drs.on(DescribeSourceServersCommand).rejectsOnce(errors.named('AccessDeniedException')).resolves({ items: [] });
    drs.on(CreateExtendedSourceServerCommand).resolves({ sourceServer: extendedServer() });
    expect(await handleEvent(event(), context(), deps())).toMatchObject({ status: 'SUCCESS', physicalResourceId: SERVER_ID });
    expect(clock.sleeps).toEqual([1000]);

    drs.reset();
    clock = new FakeClock();
    drs.on(DescribeSourceServersCommand).rejectsOnce(errors.named('AccessDeniedException')).resolves({ items: [extendedServer()] });
    const update = event({ RequestType: 'Update', PhysicalResourceId: SERVER_ID, OldResourceProperties: { StagingSourceServerArn: STAGING_ARN } });
    expect(await handleEvent(update, context(), deps())).toMatchObject({ status: 'FAILED' });
    expect(clock.sleeps).toEqual([]);
  });

  test('Update with unparseable old properties compares with the server and logs why', async () => {
    drs.on(DescribeSourceServersCommand).resolves({ items: [extendedServer({ tags: { ...extendedServer().tags, team: 'dr' } })] });
    const update = event({ RequestType: 'Update', PhysicalResourceId: SERVER_ID, OldResourceProperties: { Legacy: 'x' } });
    expect(await handleEvent(update, context(), deps())).toMatchObject({ status: 'SUCCESS', physicalResourceId: SERVER_ID });
    expect(drs.calls()).toHaveLength(1);
    expect(logged().find((l) => l.message === 'old properties do not parse; comparing with the server instead')?.error).toContain("unknown property 'Legacy'");
  });

  test('unknown resource type: FAILED with a clear reason; its rollback Delete succeeds', async () => {
    const created = await handleEvent(event({ ResourceType: 'Custom::Nope' }), context(), deps());
    expect(created.status).toBe('FAILED');
    expect(created.reason).toBe("unsupported resource type 'Custom::Nope': this handler serves Custom::DrsExtendedSourceServer, Custom::DrsServiceInitialization, Custom::DrsStagingAccountExtension; " +
      'check that the construct library and its handler asset are the same version');
    const deleted = await handleEvent(event({ ResourceType: 'Custom::Nope', RequestType: 'Delete', PhysicalResourceId: created.physicalResourceId }), context(), deps());
    expect(deleted.status).toBe('SUCCESS');
    expect(drs.calls()).toHaveLength(0);
  });

  test('service initialization: Create initializes, Delete makes no call', async () => {
    drs.on(InitializeServiceCommand).resolves({});
    const init = event({ ResourceType: ResourceTypes.SERVICE_INITIALIZATION, ResourceProperties: { ServiceToken: 'x' } });
    expect(await handleEvent(init, context(), deps())).toEqual({
      status: 'SUCCESS', physicalResourceId: `drs-initialization:${TARGET}:${REGION}`, data: { Initialized: 'true' },
    });
    drs.reset();
    const deleted = await handleEvent({ ...init, RequestType: 'Delete', PhysicalResourceId: `drs-initialization:${TARGET}:${REGION}` }, context(), deps());
    expect(deleted.status).toBe('SUCCESS');
    expect(drs.calls()).toHaveLength(0);
  });

  test('timing comes from the code that builds the handler (pollIntervalMs, waitTimeoutMs), never from the environment', async () => {
    drs.on(DescribeSourceServersCommand, { filters: { stagingAccountIDs: [STAGING] } }).resolves({ items: [] });
    drs.on(CreateExtendedSourceServerCommand).resolves({ sourceServer: extendedServer({ status: 'NOT_EXTENDED' }) });
    drs.on(DescribeSourceServersCommand, { filters: { sourceServerIDs: [SERVER_ID] } }).resolves({ items: [extendedServer({ status: 'NOT_EXTENDED' })] });
    drs.on(DisconnectSourceServerCommand).resolves({});
    drs.on(DeleteSourceServerCommand).resolves({});
    const result = await handleEvent(event(), context(), deps({}, { timing: { pollIntervalMs: 250, waitTimeoutMs: 1000 } }));
    expect(result.status).toBe('FAILED');
    expect(result.reason).toContain('timed out after 1s');
    expect(clock.sleeps).toEqual([250, 250, 250, 250]);

    // The variables of earlier versions change nothing.
    clock = new FakeClock();
    const ignored = await handleEvent(event(), context(), deps({ DRS_POLL_INTERVAL_MS: '250', DRS_WAIT_TIMEOUT_MS: '1000', DRS_RETRY_BASE_DELAY_MS: '1' }));
    expect(ignored.reason).not.toContain('timed out after 1s');
    expect(clock.sleeps.every((ms) => ms === 10_000)).toBe(true);
  });

  test('without overrides the wait ends well before the Lambda timeout, leaving time to clean up and answer', async () => {
    drs.on(DescribeSourceServersCommand, { filters: { stagingAccountIDs: [STAGING] } }).resolves({ items: [] });
    drs.on(CreateExtendedSourceServerCommand).resolves({ sourceServer: extendedServer({ status: 'NOT_EXTENDED' }) });
    drs.on(DescribeSourceServersCommand, { filters: { sourceServerIDs: [SERVER_ID] } }).resolves({ items: [extendedServer({ status: 'NOT_EXTENDED' })] });
    drs.on(DisconnectSourceServerCommand).resolves({});
    drs.on(DeleteSourceServerCommand).resolves({});
    const start = clock.t;
    const result = await handleEvent(event(), context(900_000), deps());
    // 900 s minus the response (4 PUTs of 10 s and 7 s of backoff), one DRS call (25 s) and three for cleanup.
    expect(result.reason).toContain('timed out after 750s');
    expect(clock.sleeps.every((ms) => ms === 10_000)).toBe(true);
    expect(clock.t - start).toBeLessThanOrEqual(900_000 - responseBudgetMs() - 25_000);
  });
});

interface Put { headers: http.IncomingHttpHeaders; body: string }

/** A presigned-S3 stand-in over https (its certificate trusted by this process while it runs). */
async function responseServer(statuses: number[] = []): Promise<{ url: string; puts: Put[]; close: () => Promise<void> }> {
  const puts: Put[] = [];
  const server = await startHttpsServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      puts.push({ headers: req.headers, body });
      res.statusCode = statuses.shift() ?? 200;
      res.end();
    });
  });
  const untrust = trustInThisProcess(server.cert);
  return { url: `${server.url}/response?sig=1`, puts, close: async () => { untrust(); await server.close(); } };
}

/** The same over plain http, which the deployed handler must refuse. */
async function httpResponseServer(): Promise<{ url: string; puts: Put[]; close: () => Promise<void> }> {
  const puts: Put[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      puts.push({ headers: req.headers, body });
      res.statusCode = 200;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/response?sig=1`, puts, close: () => new Promise((r) => server.close(() => r())) };
}

describe('runHandler', () => {
  test('PUTs the response to ResponseURL; a FAILED reason names the log stream and stays under 4096 bytes', async () => {
    const s3 = await responseServer();
    try {
      const huge = { StagingSourceServerArn: STAGING_ARN, Tags: Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`aws:k${i}${'x'.repeat(200)}`, 'v'])) };
      await runHandler(event({ ResponseURL: s3.url, ResourceProperties: huge }), context(), deps());
      expect(s3.puts).toHaveLength(1);
      const body = JSON.parse(s3.puts[0].body);
      expect(Buffer.byteLength(s3.puts[0].body)).toBeLessThanOrEqual(4096);
      expect(body).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'failed-create:none:req-1', StackId: STACK_ID, RequestId: 'req-1', LogicalResourceId: LOGICAL_ID, NoEcho: false });
      expect(body.Reason).toMatch(/^invalid properties: Tags has 60 tags/);
      expect(body.Reason).toMatch(/\[truncated\]$/);
      expect(s3.puts[0].headers['content-type']).toBe('');
    } finally {
      await s3.close();
    }
  });

  test('a short FAILED reason carries the log stream name', async () => {
    const s3 = await responseServer();
    try {
      await runHandler(event({ ResponseURL: s3.url, ResourceType: 'Custom::Nope' }), context(), deps());
      expect(JSON.parse(s3.puts[0].body).Reason).toMatch(/\(log stream 2024\/01\/01\/\[\$LATEST\]abc\)$/);
    } finally {
      await s3.close();
    }
  });

  test('retries the PUT, and throws when every attempt fails (Lambda then retries the invocation)', async () => {
    const s3 = await responseServer([500, 200]);
    try {
      await runHandler(event({ ResponseURL: s3.url, ResourceType: 'Custom::Nope' }), context(), deps());
      expect(s3.puts).toHaveLength(2);
      expect(s3.puts[0].body).toBe(s3.puts[1].body);
    } finally {
      await s3.close();
    }
    const put = jest.fn(async () => { throw new Error('ECONNREFUSED'); });
    await expect(runHandler(event({ ResourceType: 'Custom::Nope' }), context(), deps({}, { put })))
      .rejects.toThrow('could not send the response to CloudFormation: ECONNREFUSED');
    expect(put).toHaveBeenCalledTimes(4);
  });

  test('an http ResponseURL is refused before any DRS call, unless the builder supplied its own sender', async () => {
    const s3 = await httpResponseServer();
    try {
      const result = await runHandler(event({ ResponseURL: s3.url }), context(), deps());
      expect(result).toBeUndefined();
      expect(drs.calls()).toHaveLength(0);
      expect(s3.puts).toHaveLength(0);
      expect(logged().map((l) => l.message)).toContain('refusing the request: its ResponseURL is not https, so no answer could be sent');
    } finally {
      await s3.close();
    }
  });
});

describe('handler (the Lambda entry point)', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  test('answers CloudFormation over https with the outcome of the lifecycle', async () => {
    process.env.AWS_REGION = REGION;
    drs.on(DescribeSourceServersCommand, { filters: { stagingAccountIDs: [STAGING] } }).resolves({ items: [] });
    drs.on(CreateExtendedSourceServerCommand).resolves({ sourceServer: extendedServer({ status: 'NOT_EXTENDED' }) });
    drs.on(DescribeSourceServersCommand, { filters: { sourceServerIDs: [SERVER_ID] } }).resolves({ items: [extendedServer()] });
    const s3 = await responseServer();
    const log = jest.spyOn(console, 'log').mockImplementation(() => {});
    try {
      await handler(event({ ResponseURL: s3.url }), context());
      const body = JSON.parse(s3.puts[0].body);
      expect(body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: SERVER_ID, Data: { SourceServerId: SERVER_ID, StagingAccountId: STAGING } });
      expect(log.mock.calls.map((c) => JSON.parse(c[0]).account)).toEqual(expect.arrayContaining([TARGET]));
    } finally {
      log.mockRestore();
      await s3.close();
    }
  });

  test('refuses an http ResponseURL: no DRS call, no PUT', async () => {
    process.env.AWS_REGION = REGION;
    const s3 = await httpResponseServer();
    const log = jest.spyOn(console, 'log').mockImplementation(() => {});
    try {
      await handler(event({ ResponseURL: s3.url }), context());
      expect(drs.calls()).toHaveLength(0);
      expect(s3.puts).toHaveLength(0);
    } finally {
      log.mockRestore();
      await s3.close();
    }
  });
});
