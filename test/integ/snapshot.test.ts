import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { compareAssemblies, integTests, snapshotDir, synthesize, verifySnapshot } from './snapshot';

const FIX = 'run `npx projen integ:snapshot` and commit test/integ if the change is intended';

describe('integ test snapshots', () => {
  const tests = integTests();

  test('there is at least one integ test, each with a committed snapshot', () => {
    expect(tests.map((t) => path.basename(t))).toContain('integ.multi-account.ts');
    for (const test of tests) expect(fs.existsSync(path.join(snapshotDir(test), 'integ.json'))).toBe(true);
  });

  test.each(tests.map((t) => [path.basename(t), t]))('%s synthesizes to its snapshot', (_name, test) => {
    const problems = verifySnapshot(test);
    if (problems.length > 0) throw new Error(`${path.basename(test)} no longer matches its snapshot (${FIX}):\n  ${problems.join('\n  ')}`);
  });

  test('the integ app deploys staging, then target, then asserts in the target account', () => {
    const dir = snapshotDir(path.join(__dirname, 'integ.multi-account.ts'));
    const integ = JSON.parse(fs.readFileSync(path.join(dir, 'integ.json'), 'utf8'));
    expect(integ.testCases['DrsMultiAccount/DefaultTest']).toMatchObject({
      stacks: ['DrsIntegStaging', 'DrsIntegTarget'],
      assertionStack: 'DrsIntegAssertions',
      stackUpdateWorkflow: false,
    });
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    const env = (stack: string) => manifest.artifacts[stack].environment;
    expect(env('DrsIntegStaging')).toBe('aws://111111111111/us-east-1');
    expect(env('DrsIntegTarget')).toBe('aws://222222222222/us-east-1');
    expect(env('DrsIntegAssertions')).toBe('aws://222222222222/us-east-1');
    expect(manifest.artifacts.DrsIntegTarget.dependencies).toContain('DrsIntegStaging');

    const assertions = JSON.parse(fs.readFileSync(path.join(dir, 'DrsIntegAssertions.template.json'), 'utf8'));
    const call = Object.values<any>(assertions.Resources).find((r) => r.Type === 'Custom::DeployAssert@SdkCalldrsDescribeSourceServers');
    expect(call.Properties).toMatchObject({ service: 'drs', api: 'DescribeSourceServers' });
    const equals = Object.values<any>(assertions.Resources).filter((r) => r.Type === 'Custom::DeployAssert@AssertEquals');
    expect(equals.map((r) => [r.Properties.expected, r.Properties.failDeployment])).toEqual([
      ['{"$Exact":"EXTENDED"}', true],
      ['{"$Exact":"111111111111"}', true],
    ]);
  });
});

test('a real run takes the accounts, Region and server from DRS_INTEG_* variables', () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'integ-real-'));
  try {
    synthesize(path.join(__dirname, 'integ.multi-account.ts'), outdir, {
      DRS_INTEG_STAGING_ACCOUNT: '111122223333',
      DRS_INTEG_TARGET_ACCOUNT: '444455556666',
      DRS_INTEG_REGION: 'eu-west-1',
      DRS_INTEG_SOURCE_SERVER_ID: 's-0000000000000000a',
    });
    const manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'manifest.json'), 'utf8'));
    expect(manifest.artifacts.DrsIntegStaging.environment).toBe('aws://111122223333/eu-west-1');
    expect(manifest.artifacts.DrsIntegTarget.environment).toBe('aws://444455556666/eu-west-1');
    expect(manifest.artifacts.DrsIntegAssertions.environment).toBe('aws://444455556666/eu-west-1');
    const target = fs.readFileSync(path.join(outdir, 'DrsIntegTarget.template.json'), 'utf8');
    expect(target).toContain('"StagingSourceServerArn": "arn:aws:drs:eu-west-1:111122223333:source-server/s-0000000000000000a"');
    const staging = fs.readFileSync(path.join(outdir, 'DrsIntegStaging.template.json'), 'utf8');
    expect(staging).toContain('DRSStagingAccountRole_444455556666');
    expect(process.env.DRS_INTEG_STAGING_ACCOUNT).toBeUndefined();
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
});

describe('compareAssemblies', () => {
  const snapshot = snapshotDir(path.join(__dirname, 'integ.multi-account.ts'));
  let copy: string;

  beforeEach(() => {
    copy = fs.mkdtempSync(path.join(os.tmpdir(), 'integ-compare-'));
    fs.cpSync(snapshot, copy, { recursive: true });
  });
  afterEach(() => fs.rmSync(copy, { recursive: true, force: true }));

  function editTemplate(name: string, edit: (template: any) => void): void {
    const file = path.join(copy, name);
    const template = JSON.parse(fs.readFileSync(file, 'utf8'));
    edit(template);
    fs.writeFileSync(file, JSON.stringify(template, undefined, 1));
  }

  test('an identical assembly has no differences', () => {
    expect(compareAssemblies(snapshot, copy)).toEqual([]);
  });

  test('a changed property is reported with its path', () => {
    editTemplate('DrsIntegStaging.template.json', (t) => {
      const role = Object.values<any>(t.Resources).find((r) => r.Type === 'AWS::IAM::Role');
      role.Properties.Path = '/changed/';
    });
    const problems = compareAssemblies(snapshot, copy);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^DrsIntegStaging\.template\.json: Resources\.\w+\.Properties\.Path: snapshot "\/service-role\/", synthesized "\/changed\/"$/);
  });

  test('new asset hashes and assertion salts are not differences', () => {
    editTemplate('DrsIntegTarget.template.json', (t) => {
      const fn = Object.values<any>(t.Resources).find((r) => r.Type === 'AWS::Lambda::Function');
      fn.Properties.Code.S3Key = `${'f'.repeat(64)}.zip`;
    });
    editTemplate('DrsIntegAssertions.template.json', (t) => {
      for (const r of Object.values<any>(t.Resources)) if (r.Properties?.salt) r.Properties.salt = '1';
    });
    expect(compareAssemblies(snapshot, copy)).toEqual([]);
  });

  test('a stack that appears or disappears is reported', () => {
    fs.renameSync(path.join(copy, 'DrsIntegTarget.template.json'), path.join(copy, 'Other.template.json'));
    expect(compareAssemblies(snapshot, copy)).toEqual([
      'DrsIntegTarget.template.json: in the snapshot but no longer synthesized',
      'Other.template.json: synthesized but not in the snapshot',
    ]);
  });

  test('changed test cases are reported', () => {
    const file = path.join(copy, 'integ.json');
    const integ = JSON.parse(fs.readFileSync(file, 'utf8'));
    integ.testCases['DrsMultiAccount/DefaultTest'].stacks.pop();
    fs.writeFileSync(file, JSON.stringify(integ));
    expect(compareAssemblies(snapshot, copy)).toEqual([
      expect.stringMatching(/^integ\.json testCases\.DrsMultiAccount\/DefaultTest\.stacks\.1: snapshot "DrsIntegTarget", synthesized undefined$/),
    ]);
  });

  test('a missing snapshot is reported', () => {
    expect(compareAssemblies(path.join(copy, 'nope'), copy)).toEqual([expect.stringMatching(/^no snapshot at /)]);
  });
});
