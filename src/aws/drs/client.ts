import { DrsClient, DrsClientConfig } from './sdk';

export type Env = Readonly<Record<string, string | undefined>>;

/** Request timeout of one DRS call; the handler's deadline margins count on it. */
export const DRS_REQUEST_TIMEOUT_MS = 20_000;
export const DRS_CONNECTION_TIMEOUT_MS = 5_000;

/**
 * Builds the DRS client configuration. `maxAttempts: 1` because retries are ours (see retry.ts:
 * they honour Retry-After and the Lambda deadline); the timeouts keep one hung connection from
 * eating the whole invocation, which would leave CloudFormation waiting for an hour. The endpoint
 * is the SDK's standard one (it honours AWS_ENDPOINT_URL_DRS); nothing here chooses it.
 */
export function drsClientConfig(env: Env): DrsClientConfig {
  return {
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION,
    maxAttempts: 1,
    requestHandler: { connectionTimeout: DRS_CONNECTION_TIMEOUT_MS, requestTimeout: DRS_REQUEST_TIMEOUT_MS },
  };
}

export function createDrsClient(env: Env): DrsClient {
  return new DrsClient(drsClientConfig(env));
}
