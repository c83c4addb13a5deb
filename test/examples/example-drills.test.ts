import * as fs from 'fs';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildExampleApp } from '../../examples/drills/app-builder';
import { tmpOutdirs } from '../support/tmp-outdir';

const tmpOutdir = tmpOutdirs('drs-drills-example-');

interface Report {
  readonly pluginReports: Array<{
    readonly conclusion: string;
    readonly violations: Array<{ readonly ruleName: string; readonly violatingConstructs: Array<{ readonly constructPath: string }> }>;
  }>;
}

function synthReport(extend?: (built: ReturnType<typeof buildExampleApp>) => void): Report {
  const outdir = tmpOutdir();
  const built = buildExampleApp({ outdir, context: { '@aws-cdk/core:failSynthOnValidationErrors': 'false' } });
  extend?.(built);
  built.app.synth();
  const file = path.join(outdir, 'validation-report.json');
  return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : { pluginReports: [] };
}

describe('drills example', () => {
  test('a target stack with two drills: by servers in waves with an RTO, by a whole extension with a keep time', () => {
    const { targetStack, serversDrill, extensionDrill } = buildExampleApp({ outdir: tmpOutdir(), nag: false });
    const t = Template.fromStack(targetStack);
    t.resourceCountIs('AWS::StepFunctions::StateMachine', 2);
    t.resourceCountIs('AWS::Events::Rule', 4); // two schedules, two results-to-topic rules
    t.resourceCountIs('AWS::CloudWatch::Alarm', 2);
    expect([serversDrill.drillName, extensionDrill.drillName]).toEqual(['monthly-core', 'weekly-staging-account']);
    const definition = JSON.stringify(targetStack.resolve(
      (serversDrill.stateMachine.node.defaultChild as any).definitionString));
    expect(definition).toContain('DrWave');
    expect(definition).toContain('RecoveryTimeObjectiveSeconds\\":1800');
  });
});

describe('cdk-nag AwsSolutions on the drills example', () => {
  beforeEach(() => jest.spyOn(console, 'error').mockImplementation(() => undefined));
  afterEach(() => jest.restoreAllMocks());

  test('no unacknowledged finding', () => {
    expect(synthReport().pluginReports).toEqual([]);
  });

  test('a finding that is not acknowledged is reported (the check above can fail)', () => {
    const report = synthReport(({ targetStack }) => {
      new iam.Role(targetStack, 'Unreviewed', {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AdministratorAccess')],
      });
    });
    expect(report.pluginReports[0].conclusion).toBe('failure');
  });

  test('the AwsSolutions acknowledgements are exactly its findings', () => {
    const built = buildExampleApp({ outdir: tmpOutdir(), nag: false });
    built.app.synth();
    const acknowledged: string[] = [];
    for (const c of built.targetStack.node.findAll()) {
      for (const m of c.node.metadata.filter((x) => x.type === 'aws:cdk:acknowledged-rules')) acknowledged.push(...Object.keys(m.data));
      (c.node as unknown as { _metadata: unknown[] })._metadata = c.node.metadata.filter((m) => m.type !== 'aws:cdk:acknowledged-rules');
    }
    const raw = new AwsSolutionsChecks().validateScope(built.targetStack as Stack).violations.map((v) => v.ruleName);
    // AwsSolutions here; test/common/nag-packs.test.ts checks every pack on every example.
    const awsSolutions = acknowledged.map((a) => a.replace(/^annotation::/i, '')).filter((a) => a.startsWith('AwsSolutions-'));
    expect([...new Set(raw)].sort()).toEqual([...new Set(awsSolutions)].sort());
  });
});
