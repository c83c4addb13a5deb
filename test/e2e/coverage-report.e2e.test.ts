/**
 * The bundled coverage-report handler, run as Lambda would run it (its own process, the asset's
 * index.handler), against the local DRS on a mixed target account: servers owned by two stacks,
 * an unmanaged one, one in EXTENSION_ERROR, one drilled recently, one drilled too long ago, ones
 * never drilled, and staging servers nothing extended. The event goes to a local EventBridge
 * endpoint (AWS_ENDPOINT_URL_EVENTBRIDGE) that records it; the metrics are the EMF lines the
 * process writes to stdout.
 */
import * as fs from 'fs';
import * as path from 'path';
import { CreateExtendedSourceServerCommand, DrsClient, StartRecoveryCommand } from '@aws-sdk/client-drs';
import { CoverageEnv, CoverageEvent, CoverageReportDetail, OwnerTags } from '../../src/contract';
import { LocalDrs } from '../local-drs';
import { LocalEvents, startLocalEvents } from '../support/local-events';
import { BundleRun, runBundle } from '../support/run-bundle';

const ASSET_DIR = path.join(__dirname, '..', '..', 'assets', 'observability', 'coverage-report.lambda');
const REGION = 'us-east-1';
const TARGET = '222222222222';
const STAGING_A = '111111111111';
const STAGING_B = '333333333333';
const DAY = 24 * 60 * 60 * 1000;
const STACK_1 = `arn:aws:cloudformation:${REGION}:${TARGET}:stack/AppOne/11111111-1111-1111-1111-111111111111`;
const STACK_2 = `arn:aws:cloudformation:${REGION}:${TARGET}:stack/AppTwo/22222222-2222-2222-2222-222222222222`;

describe('the bundled coverage report on a mixed account', () => {
  let drs: LocalDrs;
  let events: LocalEvents;
  let target: DrsClient;
  const ids: Record<string, string> = {};
  let run: BundleRun;

  beforeAll(async () => {
    if (!fs.existsSync(path.join(ASSET_DIR, 'index.js'))) throw new Error(`the coverage bundle is missing in ${ASSET_DIR}: run 'npx projen bundle' first`);
    // The local DRS's clock starts 40 days in the past, so the first drill is old by the time of the report.
    drs = await LocalDrs.start({ now: () => new Date(Date.now() - 40 * DAY) });
    drs.recovery.configure({ startSeconds: 0, launchSeconds: 0, terminateSeconds: 0 });
    for (const a of [STAGING_A, STAGING_B, TARGET]) drs.addAccount(a);
    drs.setTrustEvaluator(() => ({ trusted: true }));
    target = new DrsClient({ ...drs.clientConfig(TARGET, REGION), maxAttempts: 1 });
    const extend = async (name: string, staging: string, tags: Record<string, string>) => {
      const s = drs.addReplicatingServer(staging, REGION, { hostname: `${name}.example` });
      const r = await target.send(new CreateExtendedSourceServerCommand({ sourceServerArn: s.arn, tags }));
      ids[name] = r.sourceServer!.sourceServerID!;
      return s;
    };
    const owned = (stack: string, logical: string) => ({ [OwnerTags.STACK_ID]: stack, [OwnerTags.LOGICAL_ID]: logical });
    await extend('web', STAGING_A, owned(STACK_1, 'Web'));
    await extend('db', STAGING_A, owned(STACK_1, 'Db'));
    await extend('fleet-1', STAGING_A, owned(STACK_2, 'Fleet'));
    await extend('fleet-2', STAGING_B, owned(STACK_2, 'Fleet'));
    await extend('by-hand', STAGING_A, { team: 'ops' });
    const gone = await extend('gone', STAGING_B, owned(STACK_2, 'Fleet'));
    drs.addReplicatingServer(STAGING_A, REGION, { hostname: 'new-a.example' });
    drs.addReplicatingServer(STAGING_B, REGION, { hostname: 'new-b.example' });
    // 40 days ago: web drilled. Today: db and fleet-1 drilled; fleet-2 and by-hand never.
    await target.send(new StartRecoveryCommand({ isDrill: true, sourceServers: [{ sourceServerID: ids.web }] }));
    drs.inventory(TARGET, REGION);
    drs.advanceTime(40 * DAY);
    await target.send(new StartRecoveryCommand({ isDrill: true, sourceServers: [{ sourceServerID: ids.db }, { sourceServerID: ids['fleet-1'] }] }));
    drs.removeServerByHand(STAGING_B, REGION, gone.sourceServerID);
    events = await startLocalEvents();
    run = await runBundle(ASSET_DIR, {
      PATH: process.env.PATH ?? '',
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: drs.credentialsFor(TARGET).accessKeyId,
      AWS_SECRET_ACCESS_KEY: drs.credentialsFor(TARGET).secretAccessKey,
      AWS_SESSION_TOKEN: 'local-session',
      AWS_ENDPOINT_URL_DRS: drs.endpoint,
      AWS_ENDPOINT_URL_EVENTBRIDGE: events.url,
      [CoverageEnv.MAX_DAYS_SINCE_DRILL]: '30',
      [CoverageEnv.EVENT_BUS]: 'ops-bus',
    });
  }, 120_000);
  afterAll(async () => {
    target?.destroy();
    await events?.close();
    await drs?.stop();
  });

  test('the invocation succeeds and reads only', () => {
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const ops = new Set(drs.calls.filter((c) => c.account === TARGET && c.operation !== 'CreateExtendedSourceServer' && c.operation !== 'StartRecovery')
      .map((c) => c.operation));
    expect([...ops].sort()).toEqual(['DescribeSourceServers', 'ListExtensibleSourceServers', 'ListStagingAccounts']);
  });

  test('one event with the library\'s source and detail-type on the bus, signed for EventBridge', () => {
    expect(events.requests).toHaveLength(1);
    const { headers, body } = events.requests[0];
    expect(headers['x-amz-target']).toBe('AWSEvents.PutEvents');
    expect(headers.authorization).toMatch(new RegExp(`Credential=${drs.credentialsFor(TARGET).accessKeyId}/\\d{8}/${REGION}/events/aws4_request`));
    expect(headers['x-amz-security-token']).toBe('local-session');
    expect(body.Entries).toHaveLength(1);
    expect(body.Entries[0]).toMatchObject({ Source: CoverageEvent.SOURCE, DetailType: CoverageEvent.DETAIL_TYPE, EventBusName: 'ops-bus' });
  });

  test('the event names owners per stack, unmanaged, EXTENSION_ERROR, drill age and unextended servers', () => {
    const detail: CoverageReportDetail = JSON.parse(events.requests[0].body.Entries[0].Detail);
    expect(detail.totals).toEqual({
      extendedServers: 6, managedServers: 5, unmanagedServers: 1, extensionErrors: 1, notDrilledInTime: 4, unextendedServers: 2,
    });
    const [a, b] = detail.stagingAccounts;
    expect(a.stagingAccountId).toBe(STAGING_A);
    expect(a.stacks).toEqual([{ stackId: STACK_1, servers: 2, resources: 2 }, { stackId: STACK_2, servers: 1, resources: 1 }]);
    expect(a.unmanaged).toEqual([ids['by-hand']]);
    expect(a.notDrilledInTimeServers.map((s) => s.sourceServerId).sort()).toEqual([ids.web, ids['by-hand']].sort());
    expect(a.notDrilledInTimeServers.find((s) => s.sourceServerId === ids.web)).toMatchObject({ lastLaunchStatus: 'LAUNCHED' });
    expect(a.unextended.map((u) => u.hostname)).toEqual(['new-a.example']);
    expect(b.stagingAccountId).toBe(STAGING_B);
    expect(b.stacks).toEqual([{ stackId: STACK_2, servers: 2, resources: 1 }]);
    expect(b.extensionErrorServers).toHaveLength(1);
    expect(b.extensionErrorServers[0].sourceServerId).toBe(ids.gone);
    expect(b.extensionErrorServers[0].errorMessage).toContain('was not found');
    expect(b.notDrilledInTimeServers.map((s) => s.sourceServerId).sort()).toEqual([ids['fleet-2'], ids.gone].sort());
    expect(b.unextended.map((u) => u.hostname)).toEqual(['new-b.example']);
  });

  test('EMF metrics per staging account and in total, matching the event', () => {
    const emf = run.stdout.map((l) => JSON.parse(l)).filter((d) => d._aws);
    expect(emf).toHaveLength(3);
    const [a, b, total] = emf;
    expect(a).toMatchObject({
      StagingAccountId: STAGING_A, ExtendedServers: 4, UnmanagedServers: 1, ServersNotDrilledInTime: 2, UnextendedServers: 1,
    });
    expect(b).toMatchObject({ StagingAccountId: STAGING_B, ExtendedServers: 2, ExtensionErrors: 1, ServersNotDrilledInTime: 2 });
    expect(total._aws.CloudWatchMetrics[0].Dimensions).toEqual([[]]);
    expect(total).toMatchObject({ ExtendedServers: 6, ExtensionErrors: 1, ServersNotDrilledInTime: 4, StagingAccounts: 2 });
  });
});
