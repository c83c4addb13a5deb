import { CloudFormationClient, CloudFormationClientConfig } from './sdk';
import type { Env } from '../drs/client';

/** Request timeout of one CloudFormation read; the handler's margins count on it. */
export const CLOUDFORMATION_REQUEST_TIMEOUT_MS = 10_000;
/** SDK attempts per CloudFormation read (standard retry mode: throttling and 5xx). */
export const CLOUDFORMATION_MAX_ATTEMPTS = 3;

/**
 * The CloudFormation client configuration: the Region from the Lambda environment, explicit
 * timeouts, and the SDK's own standard retries. The endpoint is the SDK's standard one (which
 * honours AWS_ENDPOINT_URL_CLOUDFORMATION); nothing here chooses it.
 */
export function cloudFormationClientConfig(env: Env): CloudFormationClientConfig {
  return {
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION,
    maxAttempts: CLOUDFORMATION_MAX_ATTEMPTS,
    requestHandler: { connectionTimeout: 5_000, requestTimeout: CLOUDFORMATION_REQUEST_TIMEOUT_MS },
  };
}

export function createCloudFormationClient(env: Env): CloudFormationClient {
  return new CloudFormationClient(cloudFormationClientConfig(env));
}
