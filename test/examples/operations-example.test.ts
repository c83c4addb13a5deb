import * as fs from 'fs';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildExampleApp } from '../../examples/operations/app-builder';
import { tmpOutdirs } from '../support/tmp-outdir';

const tmpOutdir = tmpOutdirs('drs-operations-');

describe('operations example', () => {
  test('staging: initialization, trust with failback roles, a rotated replication key the target account may use', () => {
    const { stagingStack } = buildExampleApp({ outdir: tmpOutdir(), nag: false });
    const t = Template.fromStack(stagingStack);
    t.resourceCountIs('Custom::DrsServiceInitialization', 1);
    const names = Object.values(t.findResources('AWS::IAM::Role')).map((r) => r.Properties.RoleName).filter(Boolean).sort();
    expect(names).toEqual([
      'DRSCrossAccountAgentAuthorizedRole_222222222222', 'DRSCrossAccountAgentRole_222222222222',
      'DRSCrossAccountReplicationRole_222222222222', 'DRSStagingAccountRole_222222222222',
    ]);
    // The replication key (the other key encrypts the handler's log group).
    const key = Object.values(t.findResources('AWS::KMS::Key'))
      .map((r) => r.Properties).find((p) => p.Description.startsWith('Encrypts DRS replicated volumes'));
    expect(key.EnableKeyRotation).toBe(true);
    const principals = key.KeyPolicy.Statement.filter((s: { Action: unknown }) => s.Action === 'kms:ReEncrypt*').map((s: { Principal: unknown }) => s.Principal);
    expect(principals).toHaveLength(2);
    expect(Annotations.fromStack(stagingStack).findWarning('*', Match.anyValue())).toEqual([]);
  });

  test('target: servers wait for initialization; monitoring to an encrypted topic; a runbook role scoped to the stack', () => {
    const { targetStack } = buildExampleApp({ outdir: tmpOutdir(), nag: false, context: { lagThresholdMinutes: '15' } });
    const t = Template.fromStack(targetStack);
    const initId = Object.keys(t.findResources('Custom::DrsServiceInitialization'))[0];
    const servers = Object.values(t.findResources('Custom::DrsExtendedSourceServer'));
    expect(servers).toHaveLength(2);
    // And on the handler's invocation configuration (its on-failure destination).
    const configId = Object.keys(t.findResources('AWS::Lambda::EventInvokeConfig'))[0];
    for (const server of servers) expect(server.DependsOn).toEqual([configId, initId].sort());
    t.resourceCountIs('AWS::Events::Rule', 2);
    expect(Object.values(t.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties.Threshold)).toEqual([900, 900]);
    t.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyName: Match.stringLikeRegexp('DrRunbookRoleDrsStartRecoveryPolicy'),
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: ['drs:StartRecovery', 'drs:DescribeRecoverySnapshots'] })]) },
    });
  });

  test('cdk-nag finds nothing unacknowledged in either stack, and every acknowledgement has a reason', () => {
    const outdir = tmpOutdir();
    jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const built = buildExampleApp({ outdir });
    built.app.synth();
    jest.restoreAllMocks();
    expect(JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')).pluginReports).toEqual([]);
    for (const stack of [built.stagingStack, built.targetStack] as Stack[]) {
      const reasons = stack.node.findAll().flatMap((c) => c.node.metadata
        .filter((m) => m.type === 'aws:cdk:acknowledged-rules')
        .flatMap((m) => Object.values(m.data as Record<string, string>)));
      expect(reasons.length).toBeGreaterThan(0);
      for (const reason of reasons) expect(reason.length).toBeGreaterThan(30);
    }
  });

  test('without the acknowledgements, the findings are exactly the acknowledged ones', () => {
    const built = buildExampleApp({ outdir: tmpOutdir(), nag: false });
    built.app.synth();
    for (const stack of [built.stagingStack, built.targetStack] as Stack[]) {
      const acknowledged = new Set<string>();
      for (const c of stack.node.findAll()) {
        for (const m of c.node.metadata.filter((x) => x.type === 'aws:cdk:acknowledged-rules')) {
          // This test is about AwsSolutions; test/common/nag-packs.test.ts checks every pack.
          Object.keys(m.data).map((id) => id.replace(/^annotation::/i, '')).filter((id) => id.startsWith('AwsSolutions-'))
            .forEach((id) => acknowledged.add(id));
        }
        (c.node as unknown as { _metadata: unknown[] })._metadata = c.node.metadata.filter((x) => x.type !== 'aws:cdk:acknowledged-rules');
      }
      const raw = new Set(new AwsSolutionsChecks().validateScope(stack).violations.map((v) => v.ruleName));
      expect([...raw].sort()).toEqual([...acknowledged].sort());
    }
  });
});
