/**
 * Publishing the report: EMF lines (per staging account and totals), SigV4 signing (AWS's
 * documented example), PutEvents over a fake fetch (success, service error, rejected entry),
 * and the run's settings and event-size bound.
 */
import { DescribeSourceServersCommand, DrsClient, ListExtensibleSourceServersCommand, ListStagingAccountsCommand } from '@aws-sdk/client-drs';
import { mockClient } from 'aws-sdk-client-mock';
import { CoverageEnv, CoverageEvent, CoverageMetrics, CoverageReportDetail, METRICS_NAMESPACE } from '../../../src/contract';
import { eventsEndpoint, putEvent } from '../../../src/handlers/coverage-report/events';
import { coverageEmfLines } from '../../../src/handlers/coverage-report/metrics';
import { boundedDetail, readSettings, runCoverageReport } from '../../../src/handlers/coverage-report/run';
import { sign } from '../../../src/handlers/coverage-report/sigv4';

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

describe('SigV4', () => {
  test('reproduces the signature of AWS\'s documented example (IAM ListUsers, 2015-08-30)', () => {
    const headers = sign({
      method: 'GET',
      url: new URL('https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08'),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body: '',
      region: 'us-east-1',
      service: 'iam',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
      date: new Date('2015-08-30T12:36:00Z'),
    });
    expect(headers.authorization).toBe('AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, '
      + 'SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7');
    expect(headers['x-amz-date']).toBe('20150830T123600Z');
  });

  test('a session token is sent and signed', () => {
    const headers = sign({
      method: 'POST',
      url: new URL('https://events.us-east-1.amazonaws.com/'),
      headers: {},
      body: '{}',
      region: 'us-east-1',
      service: 'events',
      credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret', sessionToken: 'token' },
      date: new Date('2026-01-01T00:00:00Z'),
    });
    expect(headers['x-amz-security-token']).toBe('token');
    expect(headers.authorization).toContain('SignedHeaders=host;x-amz-date;x-amz-security-token,');
  });
});

describe('PutEvents', () => {
  const env = { AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: 'secret' };
  const entry = { source: CoverageEvent.SOURCE, detailType: CoverageEvent.DETAIL_TYPE, detail: { a: 1 }, eventBusName: 'ops' };

  function fakeFetch(status: number, body: unknown) {
    const requests: Array<{ url: string; init: RequestInit }> = [];
    const f = (async (url: URL, init: RequestInit) => {
      requests.push({ url: String(url), init });
      return new Response(JSON.stringify(body), { status });
    }) as unknown as typeof fetch;
    return { f, requests };
  }

  test('the endpoint: AWS_ENDPOINT_URL_EVENTBRIDGE, then AWS_ENDPOINT_URL, then the Regional one', () => {
    expect(eventsEndpoint({ AWS_ENDPOINT_URL_EVENTBRIDGE: 'http://a', AWS_ENDPOINT_URL: 'http://b' }, 'us-east-1')).toBe('http://a');
    expect(eventsEndpoint({ AWS_ENDPOINT_URL: 'http://b' }, 'us-east-1')).toBe('http://b');
    expect(eventsEndpoint({}, 'eu-west-1')).toBe('https://events.eu-west-1.amazonaws.com');
    expect(eventsEndpoint({}, 'cn-north-1')).toBe('https://events.cn-north-1.amazonaws.com.cn');
  });

  test('sends one signed AWS JSON 1.1 entry and returns its EventId', async () => {
    const { f, requests } = fakeFetch(200, { FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    expect(await putEvent(entry, { env, fetch: f })).toBe('e-1');
    const headers = requests[0].init.headers as Record<string, string>;
    expect(requests[0].url).toBe('https://events.eu-west-1.amazonaws.com/');
    expect(headers['x-amz-target']).toBe('AWSEvents.PutEvents');
    expect(headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKID\/\d{8}\/eu-west-1\/events\/aws4_request/);
    expect(JSON.parse(requests[0].init.body as string)).toEqual({
      Entries: [{ Source: 'cdk-drs-multi-account', DetailType: 'DRS Coverage Report', Detail: '{"a":1}', EventBusName: 'ops' }],
    });
  });

  test('a service error keeps its type and status (throttling is retryable by name)', async () => {
    const { f } = fakeFetch(400, { __type: 'com.amazonaws#ThrottlingException', message: 'Rate exceeded' });
    await expect(putEvent(entry, { env, fetch: f })).rejects.toMatchObject({ name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
  });

  test('a rejected entry fails with its error code', async () => {
    const { f } = fakeFetch(200, { FailedEntryCount: 1, Entries: [{ ErrorCode: 'AccessDeniedException', ErrorMessage: 'no' }] });
    await expect(putEvent(entry, { env, fetch: f })).rejects.toThrow('PutEvents rejected the entry: AccessDeniedException: no');
  });

  test('missing credentials are named', async () => {
    await expect(putEvent(entry, { env: { AWS_REGION: 'us-east-1' } })).rejects.toThrow('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set');
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
    const fetchCalls: unknown[] = [];
    const r = await runCoverageReport({
      client: new DrsClient({ region: 'us-east-1' }),
      env: { AWS_REGION: 'us-east-1', [CoverageEnv.MAX_DAYS_SINCE_DRILL]: '30' },
      write: (l) => lines.push(l),
      log: () => {},
      fetch: (async (...a: unknown[]) => { fetchCalls.push(a); }) as unknown as typeof fetch,
    });
    const zero = { extendedServers: 0, managedServers: 0, unmanagedServers: 0, extensionErrors: 0, notDrilledInTime: 0, unextendedServers: 0 };
    expect(r).toEqual({ totals: zero, stagingAccounts: 0 });
    expect(lines).toHaveLength(1);
    expect(fetchCalls).toEqual([]);
    drs.restore();
  });
});
