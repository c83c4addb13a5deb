import * as https from 'https';
import { Logger, silentLogger } from '../../common/runtime/log';
import { Limits } from '../../contract';

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

/** Prefix of the physical id sent with a failed Create: the Delete handlers know it means "nothing". */
export const FAILED_CREATE_PREFIX = 'failed-create:';

/** The physical id of a FAILED answer: `failed-create:<RequestId>` for a Create, else the resource's own. */
export function fallbackPhysicalId(event: CloudFormationEvent): string {
  return event.RequestType === 'Create'
    ? `${FAILED_CREATE_PREFIX}${event.RequestId}`
    : event.PhysicalResourceId ?? `${FAILED_CREATE_PREFIX}${event.RequestId}`;
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

/** Time one response PUT may take, connection included. */
export const RESPONSE_PUT_TIMEOUT_MS = 10_000;
export const RESPONSE_ATTEMPTS = 4;
export const RESPONSE_BASE_DELAY_MS = 1_000;

/** The longest sendResponse can take with the defaults: every attempt times out, plus the backoff between them. */
export function responseBudgetMs(attempts = RESPONSE_ATTEMPTS, timeoutMs = RESPONSE_PUT_TIMEOUT_MS, baseDelayMs = RESPONSE_BASE_DELAY_MS): number {
  let backoff = 0;
  for (let i = 1; i < attempts; i++) backoff += baseDelayMs * 2 ** (i - 1);
  return attempts * timeoutMs + backoff;
}

/** A ResponseURL the deployed handler answers: CloudFormation's are presigned S3 https URLs. */
export function isHttpsUrl(url: string): boolean {
  try {
    return new URL(url).protocol === 'https:';
  } catch {
    return false;
  }
}

/** Refused without retrying: no attempt can succeed. */
export class PermanentPutError extends Error {}

/**
 * PUTs the body to the presigned S3 URL over https (nothing else); rejects on a non-2xx answer or
 * when the whole request took longer than `timeoutMs`.
 */
export function httpsPut(url: string, body: string, timeoutMs = RESPONSE_PUT_TIMEOUT_MS): Promise<void> {
  if (!isHttpsUrl(url)) return Promise.reject(new PermanentPutError('refusing to send the response to a ResponseURL that is not https'));
  return new Promise((resolve, reject) => {
    const req = https.request(new URL(url), {
      method: 'PUT',
      // S3 presigned URLs are signed without a content type: send an empty one.
      headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) },
      timeout: timeoutMs,
    }, (res) => {
      res.resume();
      res.on('end', () => {
        clearTimeout(timer);
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) resolve();
        else reject(new Error(`response PUT answered HTTP ${status}`));
      });
    });
    const timer = setTimeout(() => req.destroy(new Error(`response PUT timed out after ${timeoutMs} ms`)), timeoutMs);
    req.on('timeout', () => req.destroy(new Error(`response PUT timed out after ${timeoutMs} ms`)));
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(body);
  });
}

export interface SendOptions {
  readonly put?: PutFunction;
  /** @default RESPONSE_ATTEMPTS */
  readonly attempts?: number;
  /** Doubles after each failure. @default RESPONSE_BASE_DELAY_MS */
  readonly baseDelayMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly log?: Logger;
}

/**
 * Sends the response, retrying a few times. Throws when every attempt failed: Lambda then
 * retries the whole invocation, which the lifecycles are written to survive.
 */
export async function sendResponse(url: string, body: string, options: SendOptions = {}): Promise<void> {
  const put = options.put ?? httpsPut;
  const attempts = Math.max(1, options.attempts ?? RESPONSE_ATTEMPTS);
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
      if (err instanceof PermanentPutError) break;
      if (attempt < attempts) await sleep((options.baseDelayMs ?? RESPONSE_BASE_DELAY_MS) * 2 ** (attempt - 1));
    }
  }
  throw new Error(`could not send the response to CloudFormation: ${(lastError as Error)?.message ?? lastError}`);
}
