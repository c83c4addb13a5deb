import { App, Lazy, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ExtendedSourceServer } from '../../src';
import { parseExtendedSourceServerProperties } from '../../src/servers/runtime/properties';

const STAGING_ARN = 'arn:aws:drs:us-east-1:111111111111:source-server/s-1234567890abcdef0';
const CR_TYPE = 'Custom::DrsExtendedSourceServer';

function targetStack(env: { account?: string; region?: string } = { account: '222222222222', region: 'us-east-1' }): Stack {
  return new Stack(new App(), 'Target', { env });
}

function onlyResource(stack: Stack, type: string): { logicalId: string; resource: any } {
  const found = Template.fromStack(stack).findResources(type);
  const ids = Object.keys(found);
  expect(ids).toHaveLength(1);
  return { logicalId: ids[0], resource: found[ids[0]] };
}

describe('ExtendedSourceServer', () => {
  test('synthesizes the custom resource with the contract properties and the handler as service token', () => {
    const stack = targetStack();
    new ExtendedSourceServer(stack, 'Server1', { stagingSourceServerArn: STAGING_ARN, tags: { App: 'erp', Env: 'dr' } });

    const { resource } = onlyResource(stack, CR_TYPE);
    const fnId = Object.keys(Template.fromStack(stack).findResources('AWS::Lambda::Function'))[0];
    expect(resource).toEqual({
      Type: CR_TYPE,
      Properties: {
        ServiceToken: { 'Fn::GetAtt': [fnId, 'Arn'] },
        StagingSourceServerArn: STAGING_ARN,
        Tags: { App: 'erp', Env: 'dr' },
      },
      // The declared tags, for a rollback's hand-back (docs/ownership.md).
      Metadata: { 'cdk-drs-multi-account:declared-tags': { App: 'erp', Env: 'dr' } },
      // Its first request already has the handler's on-failure destination.
      DependsOn: [Object.keys(Template.fromStack(stack).findResources('AWS::Lambda::EventInvokeConfig'))[0]],
      UpdateReplacePolicy: 'Delete',
      DeletionPolicy: 'Delete',
    });
  });

  test.each([
    ['no tags', undefined],
    ['empty tags', {}],
  ])('omits Tags with %s', (_name, tags) => {
    const stack = targetStack();
    new ExtendedSourceServer(stack, 'Server1', { stagingSourceServerArn: STAGING_ARN, tags });
    expect(onlyResource(stack, CR_TYPE).resource.Properties).not.toHaveProperty('Tags');
  });

  test('the handler accepts the properties the construct writes', () => {
    const stack = targetStack();
    new ExtendedSourceServer(stack, 'Tagged', { stagingSourceServerArn: STAGING_ARN, tags: { App: 'erp' } });
    new ExtendedSourceServer(stack, 'Plain', { stagingSourceServerArn: STAGING_ARN.replace('abcdef0', 'abcdef1') });
    const parsed = Object.values(Template.fromStack(stack).findResources(CR_TYPE))
      .map((r) => parseExtendedSourceServerProperties({ ...r.Properties, ServiceToken: 'arn:aws:lambda:us-east-1:222222222222:function:f' }));
    expect(parsed.map((p) => [p.stagingSourceServerArn, p.tags])).toEqual([
      [STAGING_ARN, { App: 'erp' }],
      [STAGING_ARN.replace('abcdef0', 'abcdef1'), {}],
    ]);
  });

  test('one staging server, one ExtendedSourceServer per stack: a second fails at synth naming both paths', () => {
    const stack = targetStack();
    new ExtendedSourceServer(stack, 'Web1', { stagingSourceServerArn: STAGING_ARN });
    expect(() => new ExtendedSourceServer(stack, 'Web1Again', { stagingSourceServerArn: STAGING_ARN }))
      .toThrow(`ExtendedSourceServer Target/Web1Again: stagingSourceServerArn '${STAGING_ARN}' is already declared by ExtendedSourceServer Target/Web1 in this stack`);
    // Another staging server, another stack, or an ARN only known at deploy time: allowed.
    new ExtendedSourceServer(stack, 'Web2', { stagingSourceServerArn: STAGING_ARN.replace('s-1234567890abcdef0', 's-1234567890abcdef1') });
    new ExtendedSourceServer(targetStack(), 'Web1', { stagingSourceServerArn: STAGING_ARN });
    const token = Lazy.string({ produce: () => STAGING_ARN });
    new ExtendedSourceServer(stack, 'FromToken1', { stagingSourceServerArn: token });
    new ExtendedSourceServer(stack, 'FromToken2', { stagingSourceServerArn: token });
    expect(Object.keys(Template.fromStack(stack).findResources(CR_TYPE))).toHaveLength(4);
  });

  test('exposes attributes from the handler and the staging account from the ARN', () => {
    const stack = targetStack();
    const server = new ExtendedSourceServer(stack, 'Server1', { stagingSourceServerArn: STAGING_ARN });
    const { logicalId } = onlyResource(stack, CR_TYPE);

    expect(stack.resolve(server.sourceServerId)).toEqual({ 'Fn::GetAtt': [logicalId, 'SourceServerId'] });
    expect(stack.resolve(server.sourceServerArn)).toEqual({ 'Fn::GetAtt': [logicalId, 'SourceServerArn'] });
    expect(server.stagingAccountId).toBe('111111111111');
    expect(server.stagingSourceServerArn).toBe(STAGING_ARN);
  });

  test('takes the staging account from the handler when the ARN is a token', () => {
    const stack = targetStack();
    const arn = Lazy.string({ produce: () => STAGING_ARN });
    const server = new ExtendedSourceServer(stack, 'Server1', { stagingSourceServerArn: arn });
    const { logicalId, resource } = onlyResource(stack, CR_TYPE);

    expect(stack.resolve(server.stagingAccountId)).toEqual({ 'Fn::GetAtt': [logicalId, 'StagingAccountId'] });
    expect(resource.Properties.StagingSourceServerArn).toBe(STAGING_ARN);
  });

  test('RemovalPolicy.RETAIN keeps the server on delete and on replacement', () => {
    const stack = targetStack();
    new ExtendedSourceServer(stack, 'Server1', { stagingSourceServerArn: STAGING_ARN, removalPolicy: RemovalPolicy.RETAIN });
    Template.fromStack(stack).hasResource(CR_TYPE, { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  test('applyRemovalPolicy reaches the custom resource and refuses SNAPSHOT', () => {
    const stack = targetStack();
    const server = new ExtendedSourceServer(stack, 'Server1', { stagingSourceServerArn: STAGING_ARN });
    server.applyRemovalPolicy(RemovalPolicy.RETAIN);
    Template.fromStack(stack).hasResource(CR_TYPE, { DeletionPolicy: 'Retain' });
    expect(() => server.applyRemovalPolicy(RemovalPolicy.SNAPSHOT))
      .toThrow('ExtendedSourceServer Target/Server1: removalPolicy RemovalPolicy.SNAPSHOT is not supported');
  });

  test('grant gives actions on the extended server ARN', () => {
    const stack = targetStack();
    const server = new ExtendedSourceServer(stack, 'Server1', { stagingSourceServerArn: STAGING_ARN });
    const role = new iam.Role(stack, 'Drill', { assumedBy: new iam.AccountRootPrincipal() });
    server.grant(role, 'drs:StartRecovery');

    const { logicalId } = onlyResource(stack, CR_TYPE);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^Drill') }],
      PolicyDocument: {
        Statement: [{ Effect: 'Allow', Action: 'drs:StartRecovery', Resource: { 'Fn::GetAtt': [logicalId, 'SourceServerArn'] } }],
      },
    });
  });

  test('works in an environment-agnostic stack (Region and account checks are skipped)', () => {
    const stack = targetStack({});
    new ExtendedSourceServer(stack, 'Server1', { stagingSourceServerArn: 'arn:aws:drs:eu-west-1:111111111111:source-server/s-1234567890abcdef0' });
    onlyResource(stack, CR_TYPE);
  });

  describe('validation', () => {
    const tooMany: Record<string, string> = {};
    for (let i = 0; i < 48; i++) tooMany[`k${i}`] = 'v';
    const prefix = 'ExtendedSourceServer Target/Server1: ';
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['a malformed ARN', { stagingSourceServerArn: 'arn:aws:drs:us-east-1:111111111111:source-server/i-123' },
        `${prefix}stagingSourceServerArn must be a DRS source server ARN`],
      ['an ARN of another resource type', { stagingSourceServerArn: 'arn:aws:drs:us-east-1:111111111111:recovery-instance/s-1234567890abcdef0' },
        "got 'arn:aws:drs:us-east-1:111111111111:recovery-instance/s-1234567890abcdef0'"],
      ['an empty ARN', { stagingSourceServerArn: '' }, `${prefix}stagingSourceServerArn must be a DRS source server ARN`],
      ['an ARN of another service', { stagingSourceServerArn: 'arn:aws:ec2:us-east-1:111111111111:source-server/s-1234567890abcdef0' },
        `${prefix}stagingSourceServerArn must be a DRS source server ARN`],
      ['an account id of 13 digits', { stagingSourceServerArn: 'arn:aws:drs:us-east-1:1111111111111:source-server/s-1234567890abcdef0' },
        `${prefix}stagingSourceServerArn must be a DRS source server ARN`],
      ['an account id of 11 digits', { stagingSourceServerArn: 'arn:aws:drs:us-east-1:11111111111:source-server/s-1234567890abcdef0' },
        `${prefix}stagingSourceServerArn must be a DRS source server ARN`],
      ['an ARN in another Region', { stagingSourceServerArn: 'arn:aws:drs:eu-west-1:111111111111:source-server/s-1234567890abcdef0' },
        `${prefix}stagingSourceServerArn is in Region 'eu-west-1' but this stack deploys to 'us-east-1'`],
      ['an ARN of the stack\'s own account', { stagingSourceServerArn: 'arn:aws:drs:us-east-1:222222222222:source-server/s-1234567890abcdef0' },
        `${prefix}stagingSourceServerArn belongs to this stack's own account 222222222222`],
      ['48 tags', { tags: tooMany }, `${prefix}tags has 48 tags; at most 47 are allowed`],
      ['a 257-character key', { tags: { ['k'.repeat(257)]: 'v' } }, 'must be 1-256 characters long'],
      ['an empty key', { tags: { '': 'v' } }, "tags key '' must be 1-256 characters long"],
      ['a 257-character value', { tags: { k: 'v'.repeat(257) } }, "tags value for 'k' must be a string of at most 256 characters"],
      ['the aws: prefix', { tags: { 'AWS:Name': 'x' } }, "tags key 'AWS:Name' uses the reserved prefix 'aws:'"],
      ['an owner tag key', { tags: { 'cdk-drs-multi-account:stack-id': 'x' } },
        "tags key 'cdk-drs-multi-account:stack-id' is set by cdk-drs-multi-account to record ownership"],
      ['RemovalPolicy.SNAPSHOT', { removalPolicy: RemovalPolicy.SNAPSHOT },
        `${prefix}removalPolicy RemovalPolicy.SNAPSHOT is not supported`],
    ];
    test.each(cases)('rejects %s', (_name, override, message) => {
      const stack = targetStack();
      expect(() => new ExtendedSourceServer(stack, 'Server1', { stagingSourceServerArn: STAGING_ARN, ...override }))
        .toThrow(message);
    });

    test('accepts 47 tags of maximal length', () => {
      const tags: Record<string, string> = {};
      for (let i = 0; i < 47; i++) tags[`${i}`.padStart(256, 'k')] = 'v'.repeat(256);
      const stack = targetStack();
      new ExtendedSourceServer(stack, 'Server1', { stagingSourceServerArn: STAGING_ARN, tags });
      expect(Object.keys(onlyResource(stack, CR_TYPE).resource.Properties.Tags)).toHaveLength(47);
    });

    test('counts tags whose key or value is a token but does not check their text', () => {
      const token = Lazy.string({ produce: () => 'x'.repeat(300) });
      const stack = targetStack();
      new ExtendedSourceServer(stack, 'Ok', { stagingSourceServerArn: STAGING_ARN, tags: { [token]: 'v', k: token } });

      const tags: Record<string, string> = { ...tooMany };
      delete tags.k0;
      tags[Lazy.string({ produce: () => 'late' })] = 'v';
      expect(() => new ExtendedSourceServer(stack, 'Server1', { stagingSourceServerArn: STAGING_ARN, tags }))
        .toThrow('tags has 48 tags; at most 47 are allowed');
    });

    test('does not create the handler when props are invalid', () => {
      const stack = targetStack();
      expect(() => new ExtendedSourceServer(stack, 'Server1', { stagingSourceServerArn: 'nope' })).toThrow();
      Template.fromStack(stack).resourceCountIs('AWS::Lambda::Function', 0);
    });
  });

  describe('imports', () => {
    test('fromSourceServerId builds a partition-aware ARN in the stack\'s Region and account', () => {
      const stack = targetStack();
      const server = ExtendedSourceServer.fromSourceServerId(stack, 'Imported', 's-0123456789abcdef0');
      expect(server.sourceServerId).toBe('s-0123456789abcdef0');
      expect(stack.resolve(server.sourceServerArn)).toEqual({
        'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':drs:us-east-1:222222222222:source-server/s-0123456789abcdef0']],
      });
      expect(server.stagingAccountId).toBeUndefined();
      expect(server.stagingSourceServerArn).toBeUndefined();
    });

    test('fromSourceServerAttributes takes the staging account from the staging ARN', () => {
      const stack = targetStack({});
      const server = ExtendedSourceServer.fromSourceServerAttributes(stack, 'Imported', {
        sourceServerId: 's-0123456789abcdef0',
        stagingSourceServerArn: STAGING_ARN,
      });
      expect(server.stagingAccountId).toBe('111111111111');
      expect(server.stagingSourceServerArn).toBe(STAGING_ARN);
      expect(stack.resolve(server.sourceServerArn)).toEqual({
        'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':drs:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' },
          ':source-server/s-0123456789abcdef0']],
      });
    });

    test('an imported server can be granted on', () => {
      const stack = targetStack();
      const server = ExtendedSourceServer.fromSourceServerId(stack, 'Imported', 's-0123456789abcdef0');
      const role = new iam.Role(stack, 'Drill', { assumedBy: new iam.AccountRootPrincipal() });
      server.grant(role, 'drs:StartRecovery', 'drs:DescribeRecoverySnapshots');
      Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: [{
            Action: ['drs:StartRecovery', 'drs:DescribeRecoverySnapshots'],
            Resource: stack.resolve(server.sourceServerArn),
          }],
        },
      });
    });

    test.each([
      ['a bad id', { sourceServerId: 'i-0123456789abcdef0' }, "sourceServerId must be a DRS source server id like s-1234567890abcdef0 (s- and 17 letters or digits), got 'i-0123456789abcdef0'"],
      ['a bad staging ARN', { sourceServerId: 's-0123456789abcdef0', stagingSourceServerArn: 'arn:x' }, 'stagingSourceServerArn must be a DRS source server ARN'],
      ['a bad staging account', { sourceServerId: 's-0123456789abcdef0', stagingAccountId: '1' }, "stagingAccountId must be a 12-digit AWS account id, got '1'"],
      ['a staging account that contradicts the ARN', { sourceServerId: 's-0123456789abcdef0', stagingSourceServerArn: STAGING_ARN, stagingAccountId: '333333333333' },
        "stagingAccountId '333333333333' differs from the account in stagingSourceServerArn ('111111111111')"],
    ])('fromSourceServerAttributes rejects %s', (_name, attrs, message) => {
      expect(() => ExtendedSourceServer.fromSourceServerAttributes(targetStack(), 'Imported', attrs))
        .toThrow(`ExtendedSourceServer Target/Imported: ${message}`);
    });

    test('fromSourceServerId rejects a malformed id', () => {
      expect(() => ExtendedSourceServer.fromSourceServerId(targetStack(), 'Imported', 's-short'))
        .toThrow('ExtendedSourceServer Target/Imported: sourceServerId must be a DRS source server id');
    });
  });
});
