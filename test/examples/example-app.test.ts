import * as fs from 'fs';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildExampleApp } from '../../examples/basic/app-builder';
import { tmpOutdirs } from '../support/tmp-outdir';

const tmpOutdir = tmpOutdirs('drs-example-');

/** The shape of `validation-report.json` (aws-cdk-lib >= 2.262). */
interface Report {
  readonly pluginReports: Array<{
    readonly pluginName: string;
    readonly conclusion: string;
    readonly violations: Array<{
      readonly ruleName: string;
      readonly violatingConstructs: Array<{ readonly constructPath: string }>;
    }>;
  }>;
}

/** Synthesizes with the example's cdk-nag plugin and returns the validation report CDK wrote. */
function synthReport(extend?: (stacks: ReturnType<typeof buildExampleApp>) => void): Report {
  const outdir = tmpOutdir();
  const built = buildExampleApp({ outdir, context: { '@aws-cdk/core:failSynthOnValidationErrors': 'false' } });
  extend?.(built);
  built.app.synth();
  return JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
}

function findings(report: Report): string[] {
  const all = report.pluginReports.flatMap((r) => r.violations.flatMap((v) =>
    v.violatingConstructs.map((c) => `${v.ruleName} at ${c.constructPath}`)));
  return [...new Set(all)];
}

describe('example app', () => {
  test('builds a staging stack with the trust and a target stack with three extended servers', () => {
    const { stagingStack, targetStack } = buildExampleApp({ outdir: tmpOutdir(), nag: false });
    expect(stagingStack.account).toBe('111111111111');
    expect(targetStack.account).toBe('222222222222');
    expect([stagingStack.region, targetStack.region]).toEqual(['us-east-1', 'us-east-1']);
    expect(targetStack.dependencies).toEqual([stagingStack]);

    Template.fromStack(stagingStack).hasResourceProperties('AWS::IAM::Role', { RoleName: 'DRSStagingAccountRole_222222222222' });
    const arns = Object.values(Template.fromStack(targetStack).findResources('Custom::DrsExtendedSourceServer'))
      .map((r) => r.Properties.StagingSourceServerArn);
    expect(arns).toHaveLength(3);
    arns.forEach((arn) => expect(arn).toMatch(/^arn:aws:drs:us-east-1:111111111111:source-server\/s-[0-9a-f]{17}$/));
  });

  test('context overrides the accounts and the staging servers', () => {
    const { stagingStack, targetStack } = buildExampleApp({
      outdir: tmpOutdir(),
      nag: false,
      context: {
        stagingAccount: '333333333333',
        targetAccount: '444444444444',
        stagingSourceServerArns: 'arn:aws:drs:us-east-1:333333333333:source-server/s-aaaaaaaaaaaaaaaaa, arn:aws:drs:us-east-1:333333333333:source-server/s-bbbbbbbbbbbbbbbbb',
      },
    });
    expect(stagingStack.account).toBe('333333333333');
    Template.fromStack(stagingStack).hasResourceProperties('AWS::IAM::Role', { RoleName: 'DRSStagingAccountRole_444444444444' });
    const arns = Object.values(Template.fromStack(targetStack).findResources('Custom::DrsExtendedSourceServer'))
      .map((r) => r.Properties.StagingSourceServerArn);
    expect(arns).toEqual([
      'arn:aws:drs:us-east-1:333333333333:source-server/s-aaaaaaaaaaaaaaaaa',
      'arn:aws:drs:us-east-1:333333333333:source-server/s-bbbbbbbbbbbbbbbbb',
    ]);
  });

  test('a bad ARN in context fails at synth with the construct and the prop named', () => {
    expect(() => buildExampleApp({ outdir: tmpOutdir(), nag: false, context: { stagingSourceServerArns: 'arn:aws:drs:us-east-1:333333333333:source-server/nope' } }))
      .toThrow('ExtendedSourceServer TargetStack/Server1: stagingSourceServerArn must be a DRS source server ARN');
  });
});

describe('cdk-nag AwsSolutions on the example stacks', () => {
  // CDK prints "Performing Policy Validations" on every synth with a plugin.
  beforeEach(() => jest.spyOn(console, 'error').mockImplementation(() => undefined));
  afterEach(() => jest.restoreAllMocks());

  test('the plugin runs at synth and reports no unacknowledged finding', () => {
    // CDK writes the report only when a plugin ran, and lists only plugins that failed or found something.
    const report = synthReport();
    expect(report.pluginReports).toEqual([]);
  });

  test('the plugin does report a finding that is not acknowledged (the check above can fail)', () => {
    const report = synthReport(({ targetStack }) => {
      new iam.Role(targetStack, 'Unreviewed', {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AdministratorAccess')],
      });
    });
    expect(report.pluginReports[0].conclusion).toBe('failure');
    expect(findings(report)).toEqual([
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AdministratorAccess] at TargetStack/Unreviewed/Resource',
    ]);
  });

  test.each(['stagingStack', 'targetStack'] as const)('the library\'s acknowledgements are what keeps %s clean', (which) => {
    const built = buildExampleApp({ outdir: tmpOutdir(), nag: false });
    built.app.synth();
    // Remove every acknowledgement the library recorded, then check again: the findings that
    // appear are exactly the ones the library acknowledges, with a reason.
    const acknowledged: string[] = [];
    for (const c of built[which].node.findAll()) {
      const entries = c.node.metadata.filter((m) => m.type === 'aws:cdk:acknowledged-rules');
      for (const m of entries) acknowledged.push(...Object.keys(m.data).map((id) => `${id} at ${c.node.path}`));
      (c.node as unknown as { _metadata: unknown[] })._metadata = c.node.metadata.filter((m) => m.type !== 'aws:cdk:acknowledged-rules');
    }
    const raw = new AwsSolutionsChecks().validateScope(built[which] as Stack).violations
      .map((v) => v.ruleName);
    expect(acknowledged.length).toBeGreaterThan(0);
    // This test is about AwsSolutions; test/common/nag-packs.test.ts checks every pack.
    const acknowledgedIds = acknowledged.map((a) => a.split(' at ')[0].replace(/^annotation::/i, ''))
      .filter((id) => id.startsWith('AwsSolutions-'));
    expect([...new Set(raw)].sort()).toEqual([...new Set(acknowledgedIds)].sort());
  });
});
