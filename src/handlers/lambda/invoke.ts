/**
 * Asynchronous self-invocation: a long reconciliation hands the rest of its work to a fresh
 * invocation of the same function instead of running into Lambda's 15-minute limit.
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { HandlerEnv } from '../../contract';
import type { Env } from '../drs/client';

/** Invokes `functionName` (a name or ARN) with `payload`, InvocationType Event. */
export type InvokeAsync = (functionName: string, payload: unknown) => Promise<void>;

/** The real invoker; its client is created on first use (most requests never continue). */
export function lambdaInvoker(env: Env): InvokeAsync {
  let client: LambdaClient | undefined;
  return async (functionName, payload) => {
    const endpoint = env[HandlerEnv.LAMBDA_ENDPOINT_URL];
    client ??= new LambdaClient({
      region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION,
      maxAttempts: 5,
      requestHandler: { connectionTimeout: 5_000, requestTimeout: 30_000 },
      ...(endpoint ? { endpoint } : {}),
    });
    const out = await client.send(new InvokeCommand({
      FunctionName: functionName,
      InvocationType: 'Event',
      Payload: new TextEncoder().encode(JSON.stringify(payload)),
    }));
    if (out.StatusCode !== 202) throw new Error(`Lambda answered the asynchronous Invoke with status ${out.StatusCode ?? 'unknown'}, not 202`);
  };
}
