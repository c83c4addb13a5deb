import * as http from 'http';
import * as https from 'https';
import { Limits } from '../contract';
import { Logger, silentLogger } from './log';

/** The event CloudFormation sends to a Lambda-backed custom resource. */
export interface CloudFormationEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly ResponseURL: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly ResourceType: string;
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties: Record<string, unknown>;
  readonly OldResourceProperties?: Record<string, unknown>;
}

export interface CustomResourceResult {
  readonly status: 'SUCCESS' | 'FAILED';
  readonly physicalResourceId: string;
  readonly reason?: string;
  readonly data?: Record<string, string>;
}

const TRUNCATED = ' [truncated]';

/**
 * The response body, at most 4096 bytes: CloudFormation rejects larger ones and the stack then
 * waits for an hour. Only `Reason` is cut (Data never holds per-server lists).
 */
export function responseBody(event: CloudFormationEvent, result: CustomResourceResult): string {
  const build = (reason: string) => JSON.stringify({
    Status: result.status,
    Reason: reason,
    PhysicalResourceId: result.physicalResourceId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    NoEcho: false,
    Data: result.data ?? {},
  });
  const reason = result.reason ?? '';
  const body = build(reason);
  if (Buffer.byteLength(body) <= Limits.MAX_RESPONSE_BYTES) return body;
  // The longest prefix of the reason that fits (escaping and multi-byte characters make bytes != chars).
  let lo = 0;
  let hi = reason.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (Buffer.byteLength(build(reason.slice(0, mid) + TRUNCATED)) <= Limits.MAX_RESPONSE_BYTES) lo = mid;
    else hi = mid - 1;
  }
  return build(reason.slice(0, lo) + TRUNCATED);
}

export type PutFunction = (url: string, body: string) => Promise<void>;

/** PUTs the body to the presigned S3 URL; rejects on a non-2xx answer or after `timeoutMs`. */
export function httpPut(url: string, body: string, timeoutMs = 10_000): Promise<void> {
  const parsed = new URL(url);
  const request = parsed.protocol === 'http:' ? http.request : https.request;
  return new Promise((resolve, reject) => {
    const req = request(parsed, {
      method: 'PUT',
      // S3 presigned URLs are signed without a content type: send an empty one.
      headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) },
      timeout: timeoutMs,
    }, (res) => {
      res.resume();
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) resolve();
        else reject(new Error(`response PUT answered HTTP ${status}`));
      });
    });
    req.on('timeout', () => req.destroy(new Error(`response PUT timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

export interface SendOptions {
  readonly put?: PutFunction;
  /** @default 5 */
  readonly attempts?: number;
  /** Doubles after each failure. @default 1000 */
  readonly baseDelayMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly log?: Logger;
}

/**
 * Sends the response, retrying a few times. Throws when every attempt failed: Lambda then
 * retries the whole invocation, which the lifecycles are written to survive.
 */
export async function sendResponse(url: string, body: string, options: SendOptions = {}): Promise<void> {
  const put = options.put ?? httpPut;
  const attempts = Math.max(1, options.attempts ?? 5);
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const log = options.log ?? silentLogger;
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      await put(url, body);
      log('response sent', { attempt, bytes: Buffer.byteLength(body) });
      return;
    } catch (err) {
      lastError = err;
      log('response PUT failed', { attempt, error: (err as Error).message });
      if (attempt < attempts) await sleep((options.baseDelayMs ?? 1000) * 2 ** (attempt - 1));
    }
  }
  throw new Error(`could not send the response to CloudFormation after ${attempts} attempts: ${(lastError as Error)?.message ?? lastError}`);
}
