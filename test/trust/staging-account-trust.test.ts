import { App, Aws, CfnParameter, Fn, Lazy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { StagingAccountTrust } from '../../src';

const TARGET = '222222222222';

function stagingStack(): Stack {
  return new Stack(new App(), 'Staging', { env: { account: '111111111111', region: 'us-east-1' } });
}

function partitionJoin(suffix: string) {
  return { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, suffix]] };
}

describe('StagingAccountTrust', () => {
  test('creates the role DRS looks for, with the exact trust policy and managed policy', () => {
    const stack = stagingStack();
    new StagingAccountTrust(stack, 'Trust', { targetAccounts: [TARGET] });

    const roles = Template.fromStack(stack).findResources('AWS::IAM::Role');
    expect(Object.values(roles)).toEqual([{
      Type: 'AWS::IAM::Role',
      // cdk-nag 2 reads its acknowledgements from the resource's metadata (cdk-nag 3 from the tree).
      Metadata: {
        cdk_nag: {
          rules_to_suppress: [{
            id: 'AwsSolutions-IAM4',
            reason: 'DRS requires this AWS managed policy on the staging account role; AWS keeps it in step with the service.',
            applies_to: ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSElasticDisasterRecoveryStagingAccountPolicy_v2'],
          }],
        },
      },
      Properties: {
        RoleName: `DRSStagingAccountRole_${TARGET}`,
        Path: '/service-role/',
        Description: expect.stringContaining(TARGET),
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [{
            Effect: 'Allow',
            Principal: { Service: 'drs.amazonaws.com' },
            Action: ['sts:AssumeRole', 'sts:SetSourceIdentity'],
            Condition: {
              StringLike: { 'sts:SourceIdentity': TARGET, 'aws:SourceAccount': TARGET },
              ArnLike: { 'aws:SourceArn': partitionJoin(':drs:*:*:source-server/*') },
            },
          }],
        },
        ManagedPolicyArns: [
          partitionJoin(':iam::aws:policy/service-role/AWSElasticDisasterRecoveryStagingAccountPolicy_v2'),
        ],
      },
    }]);
  });

  test('creates one role per target account and finds each with roleFor', () => {
    const stack = stagingStack();
    const targets = ['222222222222', '333333333333', '444444444444'];
    const trust = new StagingAccountTrust(stack, 'Trust', { targetAccounts: targets });

    const names = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Role'))
      .map((r) => r.Properties.RoleName);
    expect(names.sort()).toEqual(targets.map((t) => `DRSStagingAccountRole_${t}`));
    expect(trust.targetAccounts).toEqual(targets);
    expect(trust.roles).toHaveLength(3);
    targets.forEach((t, i) => expect(trust.roleFor(t)).toBe(trust.roles[i]));
    expect(stack.resolve(trust.roleFor('333333333333').roleName)).toEqual({ Ref: expect.stringMatching(/^TrustRole333333333333/) });
  });

  test('roleFor names the unknown account and the known ones', () => {
    const trust = new StagingAccountTrust(stagingStack(), 'Trust', { targetAccounts: [TARGET] });
    expect(() => trust.roleFor('999999999999'))
      .toThrow(`StagingAccountTrust Staging/Trust: '999999999999' is not one of its targetAccounts (${TARGET})`);
  });

  test('accepts target accounts that are tokens and skips their format check', () => {
    const stack = stagingStack();
    const token = Lazy.string({ produce: () => '555555555555' });
    const trust = new StagingAccountTrust(stack, 'Trust', { targetAccounts: [TARGET, Aws.ACCOUNT_ID, token] });
    expect(trust.roles).toHaveLength(3);
    const names = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Role'))
      .map((r) => JSON.stringify(r.Properties.RoleName));
    expect(names).toContain(JSON.stringify('DRSStagingAccountRole_555555555555'));
    expect(names).toContain(JSON.stringify({ 'Fn::Join': ['', ['DRSStagingAccountRole_', { Ref: 'AWS::AccountId' }]] }));
  });

  describe('validation', () => {
    const cases: Array<[string, string[], string]> = [
      ['empty', [], 'StagingAccountTrust Staging/Trust: targetAccounts must list at least one account'],
      ['not 12 digits', ['12345'], "targetAccounts[0] must be a 12-digit AWS account id, got '12345'"],
      ['letters', [TARGET, '22222222222a'], "targetAccounts[1] must be a 12-digit AWS account id, got '22222222222a'"],
      ['duplicate', [TARGET, '333333333333', TARGET], `targetAccounts lists '${TARGET}' more than once`],
      ['more than 100', Array.from({ length: 101 }, (_, i) => String(100000000000 + i)),
        'targetAccounts lists 101 accounts; at most 100 are allowed'],
    ];
    test.each(cases)('rejects %s', (_name, targetAccounts, message) => {
      expect(() => new StagingAccountTrust(stagingStack(), 'Trust', { targetAccounts })).toThrow(message);
    });

    test.each([
      ['Fn.split of a parameter', (stack: Stack) => Fn.split(',', new CfnParameter(stack, 'Targets').valueAsString)],
      ['a CommaDelimitedList parameter', (stack: Stack) => new CfnParameter(stack, 'Targets', { type: 'CommaDelimitedList' }).valueAsList],
      ['Lazy.list', () => Lazy.list({ produce: () => [TARGET] })],
    ])('rejects a list token (%s) naming the field, instead of making one broken role', (_name, make) => {
      const stack = stagingStack();
      expect(() => new StagingAccountTrust(stack, 'Trust', { targetAccounts: make(stack) }))
        .toThrow('StagingAccountTrust Staging/Trust: targetAccounts is a list token');
      expect(Object.keys(Template.fromStack(stack).findResources('AWS::IAM::Role'))).toHaveLength(0);
    });

    test('rejects a trust of the stack\'s own account, naming the entry', () => {
      const stack = stagingStack();
      expect(() => new StagingAccountTrust(stack, 'Trust', { targetAccounts: [TARGET, stack.account] }))
        .toThrow(`StagingAccountTrust Staging/Trust: targetAccounts[1] ${stack.account} is this stack's own account: an account cannot trust itself for DRS`);
    });

    test('accepts exactly 100 accounts', () => {
      const targetAccounts = Array.from({ length: 100 }, (_, i) => String(100000000000 + i));
      expect(new StagingAccountTrust(stagingStack(), 'Trust', { targetAccounts }).roles).toHaveLength(100);
    });

    test('reports every problem at once', () => {
      expect(() => new StagingAccountTrust(stagingStack(), 'Trust', { targetAccounts: ['x', 'x'] }))
        .toThrow("targetAccounts[0] must be a 12-digit AWS account id, got 'x'; " +
          "targetAccounts[1] must be a 12-digit AWS account id, got 'x'; targetAccounts lists 'x' more than once");
    });
  });
});
