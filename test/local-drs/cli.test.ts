/**
 * The AWS CLI (botocore's own serializer) against the local DRS: a second, independent client.
 * Skipped where no `aws` command is installed.
 */
import { execFile, spawnSync } from 'child_process';
import { REGION, STAGING } from './helpers';
import { LocalDrs } from './index';

const hasCli = spawnSync('aws', ['--version']).status === 0;

(hasCli ? describe : describe.skip)('aws drs --endpoint-url', () => {
  let drs: LocalDrs;
  let run: (...args: string[]) => Promise<{ code: number; stdout: string; stderr: string }>;

  beforeAll(async () => {
    drs = await LocalDrs.start();
    const credentials = drs.addAccount(STAGING);
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_DEFAULT_REGION: REGION,
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      AWS_PAGER: '',
    };
    // Asynchronous on purpose: the server runs in this process and must keep answering.
    run = (...args) => new Promise((resolve) => {
      execFile('aws', ['--endpoint-url', drs.endpoint, '--output', 'json', 'drs', ...args], { env }, (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
      });
    });
  });
  afterAll(async () => drs.stop());

  test('describe, untag with a querystring list, list tags, and a modelled error', async () => {
    const s = drs.addReplicatingServer(STAGING, REGION, { hostname: 'cli-1', tags: { a: '1', b: '2', c: '3' } });

    const described = await run('describe-source-servers', '--max-results', '5');
    expect(described.code).toBe(0);
    expect(JSON.parse(described.stdout).items.map((i: { arn: string }) => i.arn)).toEqual([s.arn]);

    expect((await run('untag-resource', '--resource-arn', s.arn, '--tag-keys', 'a', 'b')).code).toBe(0);
    expect(JSON.parse((await run('list-tags-for-resource', '--resource-arn', s.arn)).stdout)).toEqual({ tags: { c: '3' } });

    const failed = await run('disconnect-source-server', '--source-server-id', 's-0000000000000000a');
    expect(failed.code).not.toBe(0);
    expect(failed.stderr).toContain('(ResourceNotFoundException)');
  });
});
