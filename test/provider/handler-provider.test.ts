import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ExtendedSourceServer } from '../../src';
import { DrsHandlerProvider } from '../../src/provider/handler-provider';

const STACK_ID = { Ref: 'AWS::StackId' };
const OWN_SOURCE_SERVERS = {
  'Fn::Join': ['', [
    'arn:', { Ref: 'AWS::Partition' }, ':drs:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':source-server/*',
  ]],
};
const OWNER_KEYS = ['cdk-drs-multi-account:stack-id', 'cdk-drs-multi-account:logical-id'];

function stackWithServers(count: number): Stack {
  const stack = new Stack(new App(), 'Target', { env: { account: '222222222222', region: 'us-east-1' } });
  for (let i = 1; i <= count; i++) {
    new ExtendedSourceServer(stack, `Server${i}`, {
      stagingSourceServerArn: `arn:aws:drs:us-east-1:111111111111:source-server/s-${String(i).padStart(17, '0')}`,
    });
  }
  return stack;
}

function logicalIdOf(template: Template, type: string): string {
  const ids = Object.keys(template.findResources(type));
  expect(ids).toHaveLength(1);
  return ids[0];
}

describe('DrsHandlerProvider', () => {
  test('one function, one role, its two policies and one log group serve five servers', () => {
    const template = Template.fromStack(stackWithServers(5));
    template.resourceCountIs('Custom::DrsExtendedSourceServer', 5);
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.resourceCountIs('AWS::IAM::Role', 1);
    // The role's default policy, and the self-invoke policy (continuations, on-failure destination).
    template.resourceCountIs('AWS::IAM::Policy', 2);
    template.resourceCountIs('AWS::Logs::LogGroup', 1);

    const fnId = logicalIdOf(template, 'AWS::Lambda::Function');
    const tokens = Object.values(template.findResources('Custom::DrsExtendedSourceServer')).map((r) => r.Properties.ServiceToken);
    expect(tokens).toEqual(Array(5).fill({ 'Fn::GetAtt': [fnId, 'Arn'] }));
  });

  test('each stack gets its own provider', () => {
    const app = new App();
    const stacks = ['A', 'B'].map((id) => new Stack(app, id, { env: { account: '222222222222', region: 'us-east-1' } }));
    const providers = stacks.map((s) => DrsHandlerProvider.getOrCreate(s));
    expect(providers[0]).not.toBe(providers[1]);
    expect(DrsHandlerProvider.getOrCreate(stacks[0])).toBe(providers[0]);
    expect(providers[0].node.path).toBe('A/CdkDrsMultiAccountHandler');
  });

  test('the function: 15-minute timeout, 256 MB, its log group', () => {
    const template = Template.fromStack(stackWithServers(1));
    const logGroupId = logicalIdOf(template, 'AWS::Logs::LogGroup');
    const roleId = logicalIdOf(template, 'AWS::IAM::Role');
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Runtime: 'nodejs22.x',
      Timeout: 900,
      MemorySize: 256,
      Role: { 'Fn::GetAtt': [roleId, 'Arn'] },
      LoggingConfig: { LogGroup: { Ref: logGroupId } },
    });
    // Lambda's two retries (the handler adopts what a crashed attempt created), then the function
    // itself as on-failure destination, which answers FAILED; an event older than an hour is useless.
    const fnId = logicalIdOf(template, 'AWS::Lambda::Function');
    const selfInvoke = Object.keys(template.findResources('AWS::IAM::Policy')).find((id) => id.includes('SelfInvokePolicy'))!;
    template.resourceCountIs('AWS::Lambda::EventInvokeConfig', 1);
    template.hasResource('AWS::Lambda::EventInvokeConfig', {
      Properties: {
        FunctionName: { Ref: fnId },
        Qualifier: '$LATEST',
        MaximumRetryAttempts: 2,
        MaximumEventAgeInSeconds: 3600,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [fnId, 'Arn'] } } },
      },
      DependsOn: [selfInvoke],
    });
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { RetentionInDays: 365 },
      DeletionPolicy: 'Delete',
      UpdateReplacePolicy: 'Delete',
    });
  });

  test('the role trusts Lambda only and has no managed policies', () => {
    const template = Template.fromStack(stackWithServers(1));
    const role = Object.values(template.findResources('AWS::IAM::Role'))[0];
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
    ]);
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });

  test('the role policy holds exactly the least-privilege statements', () => {
    const template = Template.fromStack(stackWithServers(2));
    const logGroupId = logicalIdOf(template, 'AWS::Logs::LogGroup');
    const policy = Object.values(template.findResources('AWS::IAM::Policy'))[0];
    expect(policy.Properties.PolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] },
      },
      {
        Sid: 'ReadOwnStack',
        Effect: 'Allow',
        Action: ['cloudformation:DescribeStackResource', 'cloudformation:DescribeStacks', 'cloudformation:ListStackResources'],
        Resource: STACK_ID,
      },
      {
        Sid: 'ReadSourceServers',
        Effect: 'Allow',
        Action: 'drs:DescribeSourceServers',
        Resource: '*',
      },
      {
        Sid: 'ExtendOnlyWithOwnerTag',
        Effect: 'Allow',
        Action: 'drs:CreateExtendedSourceServer',
        Resource: '*',
        Condition: {
          StringEquals: { 'aws:RequestTag/cdk-drs-multi-account:stack-id': STACK_ID },
          Null: { 'aws:RequestTag/cdk-drs-multi-account:logical-id': 'false' },
        },
      },
      {
        Sid: 'TagOnExtend',
        Effect: 'Allow',
        Action: 'drs:TagResource',
        Resource: OWN_SOURCE_SERVERS,
        Condition: {
          StringEquals: {
            'aws:RequestTag/cdk-drs-multi-account:stack-id': STACK_ID,
            'drs:CreateAction': 'CreateExtendedSourceServer',
          },
          Null: { 'aws:RequestTag/cdk-drs-multi-account:logical-id': 'false' },
        },
      },
      {
        Sid: 'ManageOwnedServers',
        Effect: 'Allow',
        Action: ['drs:TagResource', 'drs:UntagResource', 'drs:DisconnectSourceServer', 'drs:DeleteSourceServer'],
        Resource: OWN_SOURCE_SERVERS,
        Condition: { StringEquals: { 'aws:ResourceTag/cdk-drs-multi-account:stack-id': STACK_ID } },
      },
      {
        Sid: 'KeepStackIdFromCreate',
        Effect: 'Deny',
        Action: 'drs:TagResource',
        Resource: '*',
        Condition: {
          'ForAnyValue:StringEquals': { 'aws:TagKeys': ['cdk-drs-multi-account:stack-id'] },
          'StringNotEquals': { 'drs:CreateAction': 'CreateExtendedSourceServer' },
        },
      },
      {
        Sid: 'HandOverOnlyWithinThisStack',
        Effect: 'Deny',
        Action: ['drs:TagResource', 'drs:UntagResource'],
        Resource: '*',
        Condition: {
          'ForAnyValue:StringEquals': { 'aws:TagKeys': ['cdk-drs-multi-account:logical-id', 'cdk-drs-multi-account:previous-logical-id'] },
          'StringNotEquals': { 'aws:ResourceTag/cdk-drs-multi-account:stack-id': STACK_ID, 'drs:CreateAction': 'CreateExtendedSourceServer' },
        },
      },
      {
        Sid: 'NeverRemoveOwnerTags',
        Effect: 'Deny',
        Action: 'drs:UntagResource',
        Resource: '*',
        Condition: { 'ForAnyValue:StringEquals': { 'aws:TagKeys': OWNER_KEYS } },
      },
    ]);
  });

  test('custom resources wait for the invocation configuration, so their first request has the on-failure destination', () => {
    const template = Template.fromStack(stackWithServers(2));
    const config = logicalIdOf(template, 'AWS::Lambda::EventInvokeConfig');
    for (const r of Object.values(template.findResources('Custom::DrsExtendedSourceServer'))) {
      expect(r.DependsOn).toEqual(expect.arrayContaining([config]));
    }
  });

  test('the function waits for its whole policy before it can be invoked', () => {
    const template = Template.fromStack(stackWithServers(1));
    const fn = Object.values(template.findResources('AWS::Lambda::Function'))[0];
    const defaultPolicy = Object.keys(template.findResources('AWS::IAM::Policy')).find((id) => id.includes('DefaultPolicy'))!;
    expect(fn.DependsOn).toEqual(expect.arrayContaining([defaultPolicy]));
  });

  test('a stack without DRS resources gets only the log statement', () => {
    const stack = new Stack(new App(), 'Empty');
    DrsHandlerProvider.getOrCreate(stack);
    const policies = Template.fromStack(stack).findResources('AWS::IAM::Policy');
    const statements = policies[Object.keys(policies).find((id) => id.includes('DefaultPolicy'))!].Properties.PolicyDocument.Statement;
    expect(statements.map((s: { Action: unknown }) => s.Action)).toEqual([['logs:CreateLogStream', 'logs:PutLogEvents']]);
  });

  test('addStatementsFor is idempotent and refuses unknown resource types', () => {
    const stack = new Stack(new App(), 'S');
    const provider = DrsHandlerProvider.getOrCreate(stack);
    provider.addStatementsFor('Custom::DrsExtendedSourceServer');
    provider.addStatementsFor('Custom::DrsExtendedSourceServer');
    const statements = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'))[0]
      .Properties.PolicyDocument.Statement;
    expect(statements).toHaveLength(9);
    expect(() => provider.addStatementsFor('Custom::Nope'))
      .toThrow("DrsHandlerProvider: no IAM statements are defined for resource type 'Custom::Nope'");
  });
});
