import { createDrsClient, drsClientConfig } from '../../../src/handlers/drs/client';

describe('drsClientConfig', () => {
  test('region from the environment, one attempt (retries are ours), bounded timeouts', () => {
    const config = drsClientConfig({ AWS_REGION: 'eu-west-1' });
    expect(config).toEqual({ region: 'eu-west-1', maxAttempts: 1, requestHandler: { connectionTimeout: 5000, requestTimeout: 60000 } });
    expect('endpoint' in config).toBe(false);
  });

  test('DRS_ENDPOINT_URL sets the endpoint only when present', () => {
    expect(drsClientConfig({ AWS_REGION: 'eu-west-1', DRS_ENDPOINT_URL: 'http://127.0.0.1:4566' }).endpoint).toBe('http://127.0.0.1:4566');
    expect('endpoint' in drsClientConfig({ AWS_REGION: 'eu-west-1', DRS_ENDPOINT_URL: '' })).toBe(false);
  });

  test('the client resolves the endpoint override and a single attempt', async () => {
    const client = createDrsClient({ AWS_REGION: 'eu-west-1', DRS_ENDPOINT_URL: 'http://127.0.0.1:4566' });
    const endpoint = await client.config.endpoint!();
    expect(endpoint.hostname).toBe('127.0.0.1');
    expect(endpoint.port).toBe(4566);
    expect(await client.config.maxAttempts()).toBe(1);
    expect(await client.config.region()).toBe('eu-west-1');
  });
});
