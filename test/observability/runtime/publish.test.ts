/**
 * Publishing the report: EMF lines (per staging account and totals), PutEvents over a mocked
 * EventBridge client (success, rejected entry), and the run's settings and event-size bound.
 */
import { DescribeSourceServersCommand, DrsClient, ListExtensibleSourceServersCommand, ListStagingAccountsCommand } from '@aws-sdk/client-drs';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { createEventBridgeClient, putEvent } from '../../../src/aws/eventbridge/events';
import { CoverageEnv, CoverageEvent, CoverageMetrics, CoverageReportDetail, METRICS_NAMESPACE } from '../../../src/contract';
import { coverageEmfLines } from '../../../src/observability/runtime/metrics';
import { boundedDetail, readSettings, runCoverageReport } from '../../../src/observability/runtime/run';

const counts = { extendedServers: 3, managedServers: 2, unmanagedServers: 1, extensionErrors: 1, notDrilledInTime: 2, unextendedServers: 4 };
function report(overrides: Partial<CoverageReportDetail> = {}): CoverageReportDetail {
  return {
    generatedAt: '2026-03-01T00:00:00.000Z',
    region: 'us-east-1',
    maxDaysSinceDrill: 30,
    stagingAccountCount: 1,
    totals: counts,
    stagingAccounts: [{
      stagingAccountId: '111111111111',
      ...counts,
      stacks: [],
      unmanaged: ['s-00000000000000001'],
      extensionErrorServers: [],
      notDrilledInTimeServers: [],
      unextended: [],
      truncated: false,
    }],
    ...overrides,
  };
}

describe('EMF lines', () => {
  test('one line per staging account with the StagingAccountId dimension, and one of totals without dimensions', () => {
    const lines = coverageEmfLines(report()).map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    const [account, totals] = lines;
    expect(account._aws.Timestamp).toBe(Date.parse('2026-03-01T00:00:00.000Z'));
    expect(account._aws.CloudWatchMetrics).toEqual([{
      Namespace: METRICS_NAMESPACE,
      Dimensions: [['StagingAccountId']],
      Metrics: [
        { Name: 'ExtendedServers', Unit: 'Count' }, { Name: 'ManagedServers', Unit: 'Count' }, { Name: 'UnmanagedServers', Unit: 'Count' },
        { Name: 'ExtensionErrors', Unit: 'Count' }, { Name: 'ServersNotDrilledInTime', Unit: 'Count' }, { Name: 'UnextendedServers', Unit: 'Count' },
      ],
    }]);
    expect(account).toMatchObject({ StagingAccountId: '111111111111', ExtendedServers: 3, ServersNotDrilledInTime: 2, UnextendedServers: 4 });
    expect(totals._aws.CloudWatchMetrics[0].Dimensions).toEqual([[]]);
    expect(totals[CoverageMetrics.STAGING_ACCOUNTS.name]).toBe(1);
    expect(totals.ExtensionErrors).toBe(1);
    // Every metric a directive names is a member of the document (the EMF rule).
    for (const line of lines) {
      for (const m of line._aws.CloudWatchMetrics[0].Metrics) expect(typeof line[m.Name]).toBe('number');
    }
  });
});

describe('PutEvents', () => {
  const events = mockClient(EventBridgeClient);
  const client = new EventBridgeClient({ region: 'eu-west-1' });
  const entry = { source: CoverageEvent.SOURCE, detailType: CoverageEvent.DETAIL_TYPE, detail: { a: 1 }, eventBusName: 'ops' };
  beforeEach(() => events.reset());
  afterAll(() => events.restore());

  test('sends one entry with the library\'s source and detail-type and returns its EventId', async () => {
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    expect(await putEvent(client, entry)).toBe('e-1');
    expect(events.commandCalls(PutEventsCommand)[0].args[0].input).toEqual({
      Entries: [{ Source: 'cdk-drs-multi-account', DetailType: 'DRS Coverage Report', Detail: '{"a":1}', EventBusName: 'ops' }],
    });
  });

  test('a rejected entry fails with its error code; a throttled entry is retryable by name', async () => {
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'AccessDeniedException', ErrorMessage: 'no' }] });
    await expect(putEvent(client, entry)).rejects.toThrow('PutEvents rejected the entry: AccessDeniedException: no');
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'slow' }] });
    await expect(putEvent(client, entry)).rejects.toMatchObject({ name: 'ThrottlingException' });
  });

  test('the client makes one attempt per call (retries are withRetry\'s)', async () => {
    expect(await createEventBridgeClient({ AWS_REGION: 'eu-west-1' }).config.maxAttempts()).toBe(1);
  });
});

describe('the run', () => {
  test('settings: maxDaysSinceDrill must be a whole number >= 1; extra accounts must be account ids', () => {
    expect(() => readSettings({})).toThrow(`${CoverageEnv.MAX_DAYS_SINCE_DRILL} must be a whole number of days >= 1, got ''`);
    expect(() => readSettings({ [CoverageEnv.MAX_DAYS_SINCE_DRILL]: '1.5' })).toThrow('got \'1.5\'');
    expect(() => readSettings({ [CoverageEnv.MAX_DAYS_SINCE_DRILL]: '7', [CoverageEnv.EXTRA_STAGING_ACCOUNTS]: '111111111111,12' }))
      .toThrow(`${CoverageEnv.EXTRA_STAGING_ACCOUNTS} must list 12-digit account ids, got 12`);
    expect(readSettings({ [CoverageEnv.MAX_DAYS_SINCE_DRILL]: '7', [CoverageEnv.EXTRA_STAGING_ACCOUNTS]: ' 111111111111 ,' }))
      .toEqual({ maxDaysSinceDrill: 7, eventBus: undefined, extraStagingAccounts: ['111111111111'] });
  });

  test('an event too large for EventBridge keeps the counts and drops the lists', () => {
    const big = report({
      stagingAccounts: Array.from({ length: 400 }, (_, n) => ({
        ...report().stagingAccounts[0],
        stagingAccountId: String(n).padStart(12, '1'),
        unmanaged: Array.from({ length: 50 }, (__, k) => `s-${String(k).padStart(17, '0')}`),
      })),
    });
    const bounded = boundedDetail(big);
    expect(Buffer.byteLength(JSON.stringify(bounded))).toBeLessThan(256 * 1024);
    expect(bounded.stagingAccounts[0]).toMatchObject({ unmanaged: [], truncated: true, unmanagedServers: 1 });
    const small = report();
    expect(boundedDetail(small)).toBe(small);
  });

  test('writes the EMF lines, puts no event without a bus, and returns the totals', async () => {
    const drs = mockClient(DrsClient);
    drs.on(ListStagingAccountsCommand).resolves({ accounts: [] });
    drs.on(DescribeSourceServersCommand).resolves({ items: [] });
    drs.on(ListExtensibleSourceServersCommand).resolves({ items: [] });
    const lines: string[] = [];
    const events = mockClient(EventBridgeClient);
    const r = await runCoverageReport({
      client: new DrsClient({ region: 'us-east-1' }),
      env: { AWS_REGION: 'us-east-1', [CoverageEnv.MAX_DAYS_SINCE_DRILL]: '30' },
      write: (l) => lines.push(l),
      log: () => {},
      events: new EventBridgeClient({ region: 'us-east-1' }),
    });
    const zero = { extendedServers: 0, managedServers: 0, unmanagedServers: 0, extensionErrors: 0, notDrilledInTime: 0, unextendedServers: 0 };
    expect(r).toEqual({ totals: zero, stagingAccounts: 0 });
    expect(lines).toHaveLength(1);
    expect(events.calls()).toEqual([]);
    events.restore();
    drs.restore();
  });
});
