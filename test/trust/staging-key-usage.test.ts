/**
 * StagingAccountTrust's encryption extras: the key policy statements of grantKeyUsage (evaluated
 * with the IAM simulator), the warnings where the library can tell extension would fail, and the
 * optional failback roles.
 */
import { runUnsafeSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { ReplicationEbsEncryption, StagingAccountTrust } from '../../src';
import { CfnTemplate, resolve } from '../support/cfn-template';

const STAGING = '111111111111';
const TARGET = '222222222222';
const REGION = 'us-east-1';
const STAGING_ROLE = `arn:aws:iam::${STAGING}:role/service-role/DRSStagingAccountRole_${TARGET}`;
const KEY_ARN = `arn:aws:kms:${REGION}:${STAGING}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;

function stagingStack(): Stack {
  return new Stack(new App(), 'Staging', { env: { account: STAGING, region: REGION } });
}

function keyPolicy(stack: Stack): { Statement: Array<Record<string, unknown>> } {
  const template = Template.fromStack(stack).toJSON() as CfnTemplate;
  const key = Object.values(template.Resources!).find((r) => r.Type === 'AWS::KMS::Key')!;
  return resolve(template, key.Properties!.KeyPolicy, { account: STAGING, region: REGION, stackName: 'Staging' }) as any;
}

/** Whether `principal` may call `action` on the key, with the key policy and an identity policy allowing all of KMS. */
function mayUseKey(policy: unknown, principal: string, action: string, context: Record<string, string>): boolean {
  const simulation: Simulation = {
    request: { principal, action, resource: { resource: KEY_ARN, accountId: STAGING }, contextVariables: context },
    // Only principals of other accounts need their own permission as well; same-account ones are
    // given none, so that the key policy alone decides for them.
    identityPolicies: principal.includes(`::${STAGING}:`)
      ? []
      : [{ name: 'caller', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'kms:*', Resource: '*' }] } }],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: { __validated: true, policyDocument: policy, metadata: { name: 'key policy' }, errors: [] },
  };
  return runUnsafeSimulation(simulation, {}) === 'Allowed';
}

const via = (region: string, account: string) => ({ 'kms:ViaService': `ec2.${region}.amazonaws.com`, 'kms:CallerAccount': account });

describe('StagingAccountTrust.grantKeyUsage', () => {
  test('adds the two documented statements per target account to the key policy', () => {
    const stack = stagingStack();
    const trust = new StagingAccountTrust(stack, 'Trust', { targetAccounts: [TARGET] });
    trust.grantKeyUsage(new kms.Key(stack, 'Key', { enableKeyRotation: true }));
    const added = keyPolicy(stack).Statement.slice(1);
    expect(added).toEqual([
      {
        Effect: 'Allow',
        Principal: { AWS: STAGING_ROLE },
        Action: 'kms:ReEncrypt*',
        Resource: '*',
        Condition: { StringEquals: via(REGION, STAGING) },
      },
      {
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${TARGET}:root` },
        Action: 'kms:ReEncrypt*',
        Resource: '*',
        Condition: { StringEquals: via(REGION, TARGET) },
      },
    ]);
  });

  test('the staging role and the target account may re-encrypt through EC2 in this Region, and no one else', () => {
    const stack = stagingStack();
    const trust = new StagingAccountTrust(stack, 'Trust', { targetAccounts: [TARGET, '333333333333'] });
    trust.grantKeyUsage(new kms.Key(stack, 'Key', { enableKeyRotation: true }));
    const policy = keyPolicy(stack);
    const targetRole = `arn:aws:iam::${TARGET}:role/SomeRole`;

    expect(mayUseKey(policy, STAGING_ROLE, 'kms:ReEncryptFrom', via(REGION, STAGING))).toBe(true);
    expect(mayUseKey(policy, targetRole, 'kms:ReEncryptTo', via(REGION, TARGET))).toBe(true);
    expect(mayUseKey(policy, STAGING_ROLE.replace(TARGET, '333333333333'), 'kms:ReEncryptFrom', via(REGION, STAGING))).toBe(true);

    // Not directly (without EC2), not through EC2 elsewhere, not for other uses of the key.
    expect(mayUseKey(policy, STAGING_ROLE, 'kms:ReEncryptFrom', { 'kms:CallerAccount': STAGING })).toBe(false);
    expect(mayUseKey(policy, targetRole, 'kms:ReEncryptTo', via('eu-west-1', TARGET))).toBe(false);
    expect(mayUseKey(policy, targetRole, 'kms:Decrypt', via(REGION, TARGET))).toBe(false);
    // Not an untrusted account, not another role of the staging account.
    expect(mayUseKey(policy, 'arn:aws:iam::444444444444:role/SomeRole', 'kms:ReEncryptTo', via(REGION, '444444444444'))).toBe(false);
    expect(mayUseKey(policy, `arn:aws:iam::${STAGING}:role/Other`, 'kms:ReEncryptFrom', via(REGION, STAGING))).toBe(false);
  });

  test('an imported key cannot be changed: a warning gives the statements to add by hand', () => {
    const stack = stagingStack();
    const trust = new StagingAccountTrust(stack, 'Trust', { targetAccounts: [TARGET] });
    trust.grantKeyUsage(kms.Key.fromKeyArn(stack, 'Key', KEY_ARN));
    Template.fromStack(stack).resourceCountIs('AWS::KMS::Key', 0);
    Annotations.fromStack(stack).hasWarning('/Staging/Trust', Match.stringLikeRegexp(
      `the policy of the imported key ${KEY_ARN} cannot be changed.*kms:ReEncrypt\\*.*ec2\\.${REGION}\\.amazonaws\\.com.*` +
      `arn:<partition>:iam::${STAGING}:role/service-role/DRSStagingAccountRole_<target>.*arn:<partition>:iam::<target>:root.*target accounts: ${TARGET}`));
  });

  test.each([
    ['an alias', (s: Stack) => kms.Alias.fromAliasName(s, 'Ebs', 'alias/aws/ebs')],
    ['an alias ARN', (s: Stack) => kms.Key.fromKeyArn(s, 'Ebs', `arn:aws:kms:${REGION}:${STAGING}:alias/aws/ebs`)],
  ])('the default EBS key (as %s) is refused with a warning, and no policy change is attempted', (_, key) => {
    const stack = stagingStack();
    const trust = new StagingAccountTrust(stack, 'Trust', { targetAccounts: [TARGET] });
    trust.grantKeyUsage(key(stack));
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.anyValue()).map((w) => String(w.entry.data));
    expect(warnings).toEqual([expect.stringMatching(/^grantKeyUsage: alias\/aws\/ebs is the AWS managed default EBS key.*customer managed KMS key/)]);
  });

  test('another alias is not mistaken for the default EBS key', () => {
    const stack = stagingStack();
    const trust = new StagingAccountTrust(stack, 'Trust', { targetAccounts: [TARGET] });
    trust.grantKeyUsage(kms.Alias.fromAliasName(stack, 'Mine', 'alias/drs-replication'));
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('default EBS key'));
    Annotations.fromStack(stack).hasWarning('/Staging/Trust', Match.stringLikeRegexp('cannot be changed'));
  });
});

describe('StagingAccountTrust replicationEbsEncryption', () => {
  test('DEFAULT warns at synth that such servers cannot be extended, naming the fix', () => {
    const stack = stagingStack();
    new StagingAccountTrust(stack, 'Trust', { targetAccounts: [TARGET], replicationEbsEncryption: ReplicationEbsEncryption.DEFAULT });
    Annotations.fromStack(stack).hasWarning('/Staging/Trust', Match.stringLikeRegexp(
      'replicationEbsEncryption is DEFAULT.*cannot extend servers whose volumes use the default EBS key.*grantKeyUsage'));
  });

  test.each([ReplicationEbsEncryption.CUSTOM, ReplicationEbsEncryption.NONE, undefined])('%s: no warning', (encryption) => {
    const stack = stagingStack();
    new StagingAccountTrust(stack, 'Trust', { targetAccounts: [TARGET], replicationEbsEncryption: encryption });
    expect(Annotations.fromStack(stack).findWarning('*', Match.anyValue())).toEqual([]);
  });
});

describe('StagingAccountTrust failbackAndRightSizingRoles', () => {
  test('adds the three failback roles per target account when asked, and none by default', () => {
    const withRoles = stagingStack();
    const trust = new StagingAccountTrust(withRoles, 'Trust', { targetAccounts: [TARGET, '333333333333'], failbackAndRightSizingRoles: true });
    const names = Object.values(Template.fromStack(withRoles).findResources('AWS::IAM::Role')).map((r) => r.Properties.RoleName).sort();
    expect(names).toEqual([
      'DRSCrossAccountAgentAuthorizedRole_222222222222', 'DRSCrossAccountAgentAuthorizedRole_333333333333',
      'DRSCrossAccountAgentRole_222222222222', 'DRSCrossAccountAgentRole_333333333333',
      'DRSCrossAccountReplicationRole_222222222222', 'DRSCrossAccountReplicationRole_333333333333',
      'DRSStagingAccountRole_222222222222', 'DRSStagingAccountRole_333333333333',
    ]);
    expect(trust.failbackRoles?.trustedAccounts).toEqual([TARGET, '333333333333']);

    const without = stagingStack();
    expect(new StagingAccountTrust(without, 'Trust', { targetAccounts: [TARGET] }).failbackRoles).toBeUndefined();
    Template.fromStack(without).resourceCountIs('AWS::IAM::Role', 1);
  });
});
