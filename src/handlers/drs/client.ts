import { DrsClient, DrsClientConfig } from './sdk';
import { HandlerEnv } from '../../contract';

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Builds the DRS client configuration. `maxAttempts: 1` because retries are ours (see retry.ts:
 * they honour Retry-After and the Lambda deadline); the timeouts keep one hung connection from
 * eating the whole invocation, which would leave CloudFormation waiting for an hour.
 */
export function drsClientConfig(env: Env): DrsClientConfig {
  const endpoint = env[HandlerEnv.ENDPOINT_URL];
  return {
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION,
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 60_000 },
    ...(endpoint ? { endpoint } : {}),
  };
}

export function createDrsClient(env: Env): DrsClient {
  return new DrsClient(drsClientConfig(env));
}
