/**
 * Shared set-up for the local DRS tests: accounts, SDK clients, raw HTTP requests (for checks
 * the SDK would hide: exact status, headers and body) and error capture.
 */
import { DrsClient } from '@aws-sdk/client-drs';
import { LocalDrs } from './index';
import { TrustEvaluator } from './types';

export const STAGING = '111111111111';
export const TARGET = '222222222222';
export const OTHER = '333333333333';
export const REGION = 'us-east-1';

/**
 * One attempt: a retry would hide the error a test is looking for. The zero timeouts are the
 * defaults (none), spelled out because the SDK's socket-usage check waits their sum (else 3 s)
 * and is not cancelled after a socket error (lost responses), which would keep Jest waiting.
 */
export function client(drs: LocalDrs, account: string, region = REGION): DrsClient {
  return new DrsClient({ ...drs.clientConfig(account, region), maxAttempts: 1, requestHandler: { requestTimeout: 0, connectionTimeout: 0 } });
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly json: any;
}

export interface RawRequest {
  readonly method: string;
  /** Path plus querystring, already encoded. */
  readonly path: string;
  readonly body?: string;
  /** Replaces the well-formed SigV4 header (null: send none). */
  readonly authorization?: string | null;
  readonly accessKeyId?: string;
}

/** Sends a request with a well-formed (unsigned) SigV4 header for `account` in `region`. */
export async function raw(drs: LocalDrs, account: string, region: string, request: RawRequest): Promise<RawResponse> {
  const key = request.accessKeyId ?? drs.credentialsFor(account).accessKeyId;
  const authorization = request.authorization === undefined
    ? `AWS4-HMAC-SHA256 Credential=${key}/20240101/${region}/drs/aws4_request, SignedHeaders=host;x-amz-date, Signature=0123abcd`
    : request.authorization;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (authorization !== null) headers.authorization = authorization;
  const res = await fetch(`${drs.endpoint}${request.path}`, { method: request.method, headers, body: request.body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: text ? JSON.parse(text) : undefined };
}

/** The error a promise rejects with; fails the test if it resolves. */
export async function errorOf(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

export const trustEverybody: TrustEvaluator = () => ({ trusted: true });

/** Trust given by `staging` to `targets` only. */
export function trusting(pairs: Array<[staging: string, target: string]>): TrustEvaluator {
  return (q) => (pairs.some(([s, t]) => s === q.stagingAccount && t === q.targetAccount)
    ? { trusted: true }
    : { trusted: false, reason: `role DRSStagingAccountRole_${q.targetAccount} is missing in ${q.stagingAccount}` });
}

/** A local DRS with a staging account (one replicating server), a target and another account, all initialized. */
export async function startWithAccounts(options: Parameters<typeof LocalDrs.start>[0] = {}) {
  const drs = await LocalDrs.start(options);
  drs.addAccount(STAGING);
  drs.addAccount(TARGET);
  drs.addAccount(OTHER);
  drs.setTrustEvaluator(trusting([[STAGING, TARGET], [STAGING, OTHER]]));
  const staging = drs.addReplicatingServer(STAGING, REGION, { hostname: 'web-1', tags: { app: 'shop' } });
  return { drs, staging };
}
