import { EC2Client } from './sdk';
import { DRS_CONNECTION_TIMEOUT_MS, DRS_REQUEST_TIMEOUT_MS, Env } from '../drs/client';

/**
 * The EC2 client of the handler: configured like the DRS client (our retries, the same
 * timeouts); the endpoint is the SDK's standard one (it honours AWS_ENDPOINT_URL_EC2).
 */
export function createEc2Client(env: Env): EC2Client {
  return new EC2Client({
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION,
    maxAttempts: 1,
    requestHandler: { connectionTimeout: DRS_CONNECTION_TIMEOUT_MS, requestTimeout: DRS_REQUEST_TIMEOUT_MS },
  });
}
