import * as http from 'http';
import { AddressInfo } from 'net';
import {
  CloudFormationEvent, httpsPut, PermanentPutError, responseBody, responseBudgetMs, sendResponse,
} from '../../../src/provider/runtime/response';
import { FakeClock, LOGICAL_ID, STACK_ID } from '../../support/handler-fixtures';
import { startHttpsServer, trustInThisProcess } from '../../support/https-server';

const event: CloudFormationEvent = {
  RequestType: 'Create',
  ResponseURL: 'http://127.0.0.1/unused',
  StackId: STACK_ID,
  RequestId: 'req-1',
  LogicalResourceId: LOGICAL_ID,
  ResourceType: 'Custom::DrsExtendedSourceServer',
  ResourceProperties: {},
};

interface Received { method?: string; headers: http.IncomingHttpHeaders; body: string; url?: string }

/** A response endpoint on 127.0.0.1 that answers each request with the next status in `statuses`. */
async function fakeS3(statuses: number[] = []): Promise<{ url: string; received: Received[]; close: () => Promise<void> }> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      received.push({ method: req.method, headers: req.headers, body, url: req.url });
      res.statusCode = statuses.shift() ?? 200;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/bucket/key?X-Amz-Signature=abc`, received, close: () => new Promise((r) => server.close(() => r())) };
}

describe('responseBody', () => {
  test('has every field CloudFormation expects', () => {
    const body = JSON.parse(responseBody(event, { status: 'SUCCESS', physicalResourceId: 's-1', data: { A: 'b' } }));
    expect(body).toEqual({
      Status: 'SUCCESS',
      Reason: '',
      PhysicalResourceId: 's-1',
      StackId: STACK_ID,
      RequestId: 'req-1',
      LogicalResourceId: LOGICAL_ID,
      NoEcho: false,
      Data: { A: 'b' },
    });
  });

  test.each([
    ['ASCII', 'x'],
    ['multi-byte', 'é日'],
    ['escaped', '"\n\\'],
  ])('stays within 4096 bytes with a huge %s reason, keeping its start', (_, unit) => {
    const reason = `START ${unit.repeat(10_000)}`;
    const body = responseBody(event, { status: 'FAILED', physicalResourceId: 'failed-create:req-1', reason });
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(4096);
    const parsed = JSON.parse(body);
    expect(parsed.Reason.startsWith('START ')).toBe(true);
    expect(parsed.Reason.endsWith(' [truncated]')).toBe(true);
    expect(parsed.Reason.length).toBeGreaterThan(500);
    expect(parsed.PhysicalResourceId).toBe('failed-create:req-1');
  });

  test('a short reason is left alone', () => {
    expect(JSON.parse(responseBody(event, { status: 'FAILED', physicalResourceId: 'p', reason: 'boom' })).Reason).toBe('boom');
  });
});

async function fakeHttpsS3(statuses: number[] = []) {
  const received: Received[] = [];
  const server = await startHttpsServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      received.push({ method: req.method, headers: req.headers, body, url: req.url });
      res.statusCode = statuses.shift() ?? 200;
      res.end();
    });
  });
  const untrust = trustInThisProcess(server.cert);
  return { url: `${server.url}/bucket/key?X-Amz-Signature=abc`, received, close: async () => { untrust(); await server.close(); } };
}

describe('httpsPut', () => {
  test('PUTs the body over https with an empty content-type and its content-length', async () => {
    const s3 = await fakeHttpsS3();
    try {
      await httpsPut(s3.url, '{"a":"é"}');
      expect(s3.received).toHaveLength(1);
      expect(s3.received[0].method).toBe('PUT');
      expect(s3.received[0].url).toBe('/bucket/key?X-Amz-Signature=abc');
      expect(s3.received[0].headers['content-type']).toBe('');
      expect(s3.received[0].headers['content-length']).toBe(String(Buffer.byteLength('{"a":"é"}')));
      expect(s3.received[0].body).toBe('{"a":"é"}');
    } finally {
      await s3.close();
    }
  });

  test('rejects on a non-2xx answer', async () => {
    const s3 = await fakeHttpsS3([403]);
    try {
      await expect(httpsPut(s3.url, '{}')).rejects.toThrow('response PUT answered HTTP 403');
    } finally {
      await s3.close();
    }
  });

  test('refuses a ResponseURL that is not https, sending nothing', async () => {
    const s3 = await fakeS3();
    try {
      await expect(httpsPut(s3.url, '{}')).rejects.toBeInstanceOf(PermanentPutError);
      expect(s3.received).toHaveLength(0);
    } finally {
      await s3.close();
    }
  });
});

describe('sendResponse', () => {
  test('retries the PUT with backoff until it succeeds', async () => {
    const s3 = await fakeHttpsS3([500, 503]);
    const clock = new FakeClock();
    try {
      await sendResponse(s3.url, '{"ok":1}', { sleep: clock.sleep, baseDelayMs: 100 });
      expect(s3.received.map((r) => r.body)).toEqual(['{"ok":1}', '{"ok":1}', '{"ok":1}']);
      expect(clock.sleeps).toEqual([100, 200]);
    } finally {
      await s3.close();
    }
  });

  test('throws after the last attempt so Lambda retries the invocation', async () => {
    const clock = new FakeClock();
    let calls = 0;
    const put = async () => {
      calls++;
      throw new Error('ECONNRESET');
    };
    await expect(sendResponse('http://127.0.0.1:1/x', '{}', { put, sleep: clock.sleep, attempts: 3, baseDelayMs: 10 }))
      .rejects.toThrow('could not send the response to CloudFormation: ECONNRESET');
    expect(calls).toBe(3);
    expect(clock.sleeps).toEqual([10, 20]);
  });

  test('the default sender gives up at once on a ResponseURL that is not https', async () => {
    const clock = new FakeClock();
    await expect(sendResponse('http://127.0.0.1:1/x', '{}', { sleep: clock.sleep })).rejects.toThrow('not https');
    expect(clock.sleeps).toEqual([]);
  });

  test('responseBudgetMs: every attempt timing out plus the backoff between them', () => {
    expect(responseBudgetMs(4, 10_000, 1_000)).toBe(4 * 10_000 + 1_000 + 2_000 + 4_000);
    expect(responseBudgetMs(1, 10_000, 1_000)).toBe(10_000);
  });
});
