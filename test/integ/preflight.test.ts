import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { checkIntegSettings, INTEG_VARIABLES } from './preflight';

const ROOT = path.join(__dirname, '..', '..');
const VALID = {
  DRS_INTEG_STAGING_ACCOUNT: '111122223333',
  DRS_INTEG_TARGET_ACCOUNT: '444455556666',
  DRS_INTEG_REGION: 'eu-west-1',
  DRS_INTEG_SOURCE_SERVER_ID: 's-1234567890abcdef0',
};

describe('checkIntegSettings', () => {
  test('names every variable that is not set, with what it is', () => {
    const problems = checkIntegSettings({ DRS_INTEG_REGION: 'us-east-1', DRS_INTEG_TARGET_ACCOUNT: '' });
    expect(problems[0]).toBe('set DRS_INTEG_STAGING_ACCOUNT, DRS_INTEG_TARGET_ACCOUNT, DRS_INTEG_SOURCE_SERVER_ID ' +
      '(see the README, "The integration test in your accounts"):');
    expect(problems.slice(1)).toEqual([
      expect.stringMatching(/^ {2}DRS_INTEG_STAGING_ACCOUNT: the staging account id/),
      expect.stringMatching(/^ {2}DRS_INTEG_TARGET_ACCOUNT: the target account id/),
      expect.stringMatching(/^ {2}DRS_INTEG_SOURCE_SERVER_ID: a replicating source server/),
    ]);
  });

  test('accepts a complete, well-formed set', () => {
    expect(checkIntegSettings(VALID)).toEqual([]);
    expect(checkIntegSettings({ ...VALID, DRS_INTEG_REGION: 'us-gov-west-1' })).toEqual([]);
  });

  test.each([
    ['DRS_INTEG_STAGING_ACCOUNT', '1111-2222-3333', /DRS_INTEG_STAGING_ACCOUNT must be a 12-digit AWS account id, got '1111-2222-3333'/],
    ['DRS_INTEG_TARGET_ACCOUNT', '44445555666', /DRS_INTEG_TARGET_ACCOUNT must be a 12-digit AWS account id/],
    ['DRS_INTEG_REGION', 'Ireland', /DRS_INTEG_REGION must be a Region name like us-east-1, got 'Ireland'/],
    ['DRS_INTEG_SOURCE_SERVER_ID', 'arn:aws:drs:eu-west-1:111122223333:source-server/s-1234567890abcdef0',
      /DRS_INTEG_SOURCE_SERVER_ID must be a DRS source server id like s-1234567890abcdef0/],
    ['DRS_INTEG_SOURCE_SERVER_ID', ' s-1234567890abcdef0', /got ' s-1234567890abcdef0'/],
  ])('%s=%s is refused with the variable named', (name, value, message) => {
    const problems = checkIntegSettings({ ...VALID, [name]: value });
    expect(problems).toEqual([expect.stringMatching(message)]);
  });

  test('the staging and the target account must differ', () => {
    expect(checkIntegSettings({ ...VALID, DRS_INTEG_TARGET_ACCOUNT: VALID.DRS_INTEG_STAGING_ACCOUNT })).toEqual([
      "DRS_INTEG_STAGING_ACCOUNT and DRS_INTEG_TARGET_ACCOUNT are both '111122223333': DRS extends servers into another account",
    ]);
  });

  test('covers the settings the integ app reads', () => {
    const app = fs.readFileSync(path.join(__dirname, 'integ.multi-account.ts'), 'utf8');
    const read = [...app.matchAll(/setting\('([a-z-]+)'/g)].map((m) => `DRS_INTEG_${m[1].toUpperCase().replace(/-/g, '_')}`);
    expect(INTEG_VARIABLES.map(([name]) => name).sort()).toEqual(read.sort());
  });
});

describe('integ:deploy stops before deploying', () => {
  let home: string;
  beforeAll(() => { home = fs.mkdtempSync(path.join(os.tmpdir(), 'integ-preflight-')); });
  afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

  /** The environment of a machine without AWS configuration: no AWS_* or DRS_INTEG_* variables. */
  function bareEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(process.env)) {
      if (!key.startsWith('AWS_') && !key.startsWith('DRS_INTEG_') && !key.startsWith('CDK_')) env[key] = value;
    }
    return {
      ...env,
      HOME: home, // no ~/.aws
      AWS_CONFIG_FILE: path.join(home, 'no-config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'no-credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
      JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '20',
      ...extra,
    };
  }

  function preflight(env: NodeJS.ProcessEnv) {
    const run = spawnSync(process.execPath, [require.resolve('ts-node/dist/bin'), '--transpile-only',
      '--project', path.join(ROOT, 'test', 'tsconfig.json'), path.join(__dirname, 'preflight.ts')],
    { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
    return { status: run.status, output: `${run.stdout}${run.stderr}` };
  }

  test('npx projen integ:deploy without DRS_INTEG_* variables stops with what to set, before the bundle and cdk deploy', () => {
    const run = spawnSync('npx', ['projen', 'integ:deploy'], { cwd: ROOT, env: bareEnv(), encoding: 'utf8', timeout: 50_000 });
    const output = `${run.stdout}${run.stderr}`;
    expect(run.status).not.toBe(0);
    expect(output).toContain('integ:deploy stopped before deploying anything:');
    for (const [name] of INTEG_VARIABLES) expect(output).toContain(`  ${name}: `);
    // projen prints each step before running it: neither the bundle nor the CLI ran.
    expect(output).not.toMatch(/bundle »|cdk deploy|cdk destroy/);
  });

  test('without AWS credentials it stops and says how to provide them', () => {
    const run = preflight(bareEnv(VALID));
    expect(run.status).toBe(1);
    expect(run.output).toMatch(/integ:deploy stopped before deploying anything:\n- no AWS credentials found \(.+\): the CDK CLI needs credentials/);
    expect(run.output).toContain('set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY');
  });

  test('with a profile that does not exist it stops too', () => {
    const run = preflight(bareEnv({ ...VALID, AWS_PROFILE: 'drs-integ-no-such-profile' }));
    expect(run.status).toBe(1);
    expect(run.output).toMatch(/- no AWS credentials found with AWS_PROFILE=drs-integ-no-such-profile \(.+\): the CDK CLI needs/);
  });

  test('with the variables and credentials it lets the deployment start', () => {
    const run = preflight(bareEnv({ ...VALID, AWS_ACCESS_KEY_ID: 'AKIAEXAMPLEEXAMPLE00', AWS_SECRET_ACCESS_KEY: 'example' }));
    expect(run.output).toContain('integ:deploy: staging account 111122223333, target account 444455556666, ' +
      'Region eu-west-1, server s-1234567890abcdef0; AWS credentials found');
    expect(run.status).toBe(0);
  });

  test('malformed variables stop it before credentials are looked at', () => {
    const run = preflight(bareEnv({ ...VALID, DRS_INTEG_REGION: 'Ireland' }));
    expect(run.status).toBe(1);
    expect(run.output).toContain("- DRS_INTEG_REGION must be a Region name like us-east-1, got 'Ireland'");
    expect(run.output).not.toContain('credentials');
  });
});
