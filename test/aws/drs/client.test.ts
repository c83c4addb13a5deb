import * as http from 'http';
import { AddressInfo } from 'net';
import { DescribeSourceServersCommand } from '@aws-sdk/client-drs';
import { createDrsClient, drsClientConfig } from '../../../src/aws/drs/client';

describe('drsClientConfig', () => {
  test('region from the environment, one attempt (retries are ours), bounded timeouts, no endpoint of its own', () => {
    const config = drsClientConfig({ AWS_REGION: 'eu-west-1', DRS_ENDPOINT_URL: 'http://127.0.0.1:4566' });
    expect(config).toEqual({ region: 'eu-west-1', maxAttempts: 1, requestHandler: { connectionTimeout: 5000, requestTimeout: 20000 } });
    expect('endpoint' in config).toBe(false);
  });

  test('the endpoint is the SDK\'s standard one: AWS_ENDPOINT_URL_DRS, never DRS_ENDPOINT_URL', async () => {
    const hits: string[] = [];
    const listen = async (name: string) => {
      const server = http.createServer((req, res) => {
        hits.push(name);
        req.resume();
        req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"items":[]}'));
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
    };
    const standard = await listen('AWS_ENDPOINT_URL_DRS');
    const old = await listen('DRS_ENDPOINT_URL');
    const saved = { ...process.env };
    const client = createDrsClient({ AWS_REGION: 'eu-west-1' });
    try {
      Object.assign(process.env, {
        AWS_ENDPOINT_URL_DRS: standard.url, DRS_ENDPOINT_URL: old.url, AWS_ACCESS_KEY_ID: 'AKIDLOCAL', AWS_SECRET_ACCESS_KEY: 'local',
      });
      await client.send(new DescribeSourceServersCommand({}));
      expect(hits).toEqual(['AWS_ENDPOINT_URL_DRS']);
      expect(await client.config.maxAttempts()).toBe(1);
    } finally {
      process.env = saved;
      client.destroy();
      standard.server.close();
      old.server.close();
    }
  });
});
