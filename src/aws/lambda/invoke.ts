/**
 * Asynchronous self-invocation: a long reconciliation hands the rest of its work to a fresh
 * invocation of the same function instead of running into Lambda's 15-minute limit.
 *
 * At most one continuation per invocation: the client makes one attempt (`maxAttempts: 1`), and a
 * failure is retried only when it proves the Invoke was not accepted (Lambda throttled it, or the
 * connection was never made). A timeout or a broken connection after the request went out may
 * have queued the event, so it is not retried: the caller fails the request instead (and a
 * continuation that did get queued finds the request answered and stops; see chain.ts).
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { Env } from '../drs/client';

/** Invokes `functionName` (a name or ARN) with `payload`, InvocationType Event. */
export type InvokeAsync = (functionName: string, payload: unknown) => Promise<void>;

export const LAMBDA_REQUEST_TIMEOUT_MS = 10_000;
export const LAMBDA_CONNECTION_TIMEOUT_MS = 3_000;
/** Attempts for an Invoke that certainly was not accepted. */
const SAFE_ATTEMPTS = 3;

const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);

/** True when the Invoke certainly did not queue the event, so trying again cannot start a second chain. */
export function certainlyNotQueued(err: unknown): boolean {
  const e = (typeof err === 'object' && err !== null ? err : {}) as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  if (e.name === 'TooManyRequestsException' || e.$metadata?.httpStatusCode === 429) return true;
  return e.code !== undefined && NOT_SENT_CODES.has(e.code);
}

/** The real invoker; its client is created on first use (most requests never continue). */
export function lambdaInvoker(env: Env, sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms))): InvokeAsync {
  let client: LambdaClient | undefined;
  return async (functionName, payload) => {
    client ??= new LambdaClient({
      region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION,
      maxAttempts: 1,
      requestHandler: { connectionTimeout: LAMBDA_CONNECTION_TIMEOUT_MS, requestTimeout: LAMBDA_REQUEST_TIMEOUT_MS },
    });
    const command = new InvokeCommand({
      FunctionName: functionName,
      InvocationType: 'Event',
      Payload: new TextEncoder().encode(JSON.stringify(payload)),
    });
    for (let attempt = 1; ; attempt++) {
      try {
        const out = await client.send(command);
        if (out.StatusCode !== 202) throw new Error(`Lambda answered the asynchronous Invoke with status ${out.StatusCode ?? 'unknown'}, not 202`);
        return;
      } catch (err) {
        if (attempt >= SAFE_ATTEMPTS || !certainlyNotQueued(err)) throw err;
        await sleep(500 * 2 ** (attempt - 1));
      }
    }
  };
}
