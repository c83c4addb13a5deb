/**
 * A local EventBridge endpoint for tests and benchmarks: answers PutEvents (AWS JSON 1.1) with
 * one EventId per entry and records every request (headers and parsed body). Point a function
 * at it with `AWS_ENDPOINT_URL_EVENTBRIDGE`. Signatures are not verified.
 */
import * as http from 'http';
import { AddressInfo } from 'net';

export interface RecordedRequest {
  readonly headers: http.IncomingHttpHeaders;
  readonly body: any;
}

export interface LocalEvents {
  readonly url: string;
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

export async function startLocalEvents(): Promise<LocalEvents> {
  const requests: RecordedRequest[] = [];
  let ids = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      requests.push({ headers: req.headers, body });
      const entries = (body.Entries ?? []).map(() => ({ EventId: `event-${++ids}` }));
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ FailedEntryCount: 0, Entries: entries }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
