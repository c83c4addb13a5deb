import { App, Aws, CfnCondition, CfnResource, Fn, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import {
  CfnTemplate, creationOrder, deletionOrder, DeployContext, evaluateCondition, isResourceActive, resolve,
  resolveResourceProperties, resourceDependencies, roleDefinition, roleDefinitions, stackIdOf, UnsupportedIntrinsicError,
} from './cfn-template';

const ctx: DeployContext = {
  account: '111111111111',
  region: 'eu-west-1',
  partition: 'aws',
  stackName: 'Target',
  stackId: 'arn:aws:cloudformation:eu-west-1:111111111111:stack/Target/0000',
  physicalIds: { Fn1: 'target-handler', Server: 's-0123456789abcdef0' },
  attributes: { Server: { SourceServerArn: 'arn:aws:drs:eu-west-1:111111111111:source-server/s-0123456789abcdef0' } },
};

const template: CfnTemplate = {
  Parameters: {
    BootstrapVersion: { Type: 'AWS::SSM::Parameter::Value<String>', Default: '/cdk-bootstrap/hnb659fds/version' },
    Env: { Type: 'String', Default: 'prod' },
    NoDefault: { Type: 'String' },
  },
  Conditions: {
    IsProd: { 'Fn::Equals': [{ Ref: 'Env' }, 'prod'] },
    IsEu: { 'Fn::Equals': ['eu-west-1', { Ref: 'AWS::Region' }] },
    NotProd: { 'Fn::Not': [{ Condition: 'IsProd' }] },
    ProdAndEu: { 'Fn::And': [{ Condition: 'IsProd' }, { Condition: 'IsEu' }] },
    ProdOrNotEu: { 'Fn::Or': [{ Condition: 'NotProd' }, { 'Fn::Not': [{ Condition: 'IsEu' }] }] },
  },
  Mappings: { Runtime: { 'eu-west-1': { value: 'nodejs20.x' } } },
  Resources: {
    Role1: {
      Type: 'AWS::IAM::Role',
      Properties: { RoleName: 'handler-role', Path: '/service-role/', AssumeRolePolicyDocument: { Statement: [] } },
    },
    Role2: { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: { Statement: [] } } },
    Fn1: { Type: 'AWS::Lambda::Function', Properties: { Role: { 'Fn::GetAtt': ['Role1', 'Arn'] } }, DependsOn: ['Role1Policy'] },
    Role1Policy: { Type: 'AWS::IAM::Policy', Properties: { Roles: [{ Ref: 'Role1' }], PolicyName: 'p', PolicyDocument: { Statement: [] } } },
    Logs: { Type: 'AWS::Logs::LogGroup', Properties: { LogGroupName: { 'Fn::Sub': '/aws/lambda/${Fn1}' } } },
    Server: { Type: 'Custom::DrsExtendedSourceServer', Properties: { ServiceToken: { 'Fn::GetAtt': 'Fn1.Arn' } }, DependsOn: 'Logs' },
    Tagged: { Type: 'AWS::SNS::Topic', Properties: { Name: { 'Fn::Sub': ['${Id}-topic', { Id: { 'Fn::GetAtt': ['Server', 'SourceServerArn'] } }] } } },
    OnlyWhenNotProd: { Type: 'AWS::SNS::Topic', Condition: 'NotProd' },
  },
};

describe('resolve', () => {
  test('Ref resolves pseudo parameters', () => {
    expect(resolve(template, [
      { Ref: 'AWS::AccountId' }, { Ref: 'AWS::Region' }, { Ref: 'AWS::Partition' },
      { Ref: 'AWS::StackName' }, { Ref: 'AWS::StackId' }, { Ref: 'AWS::URLSuffix' },
    ], ctx)).toEqual(['111111111111', 'eu-west-1', 'aws', 'Target', ctx.stackId, 'amazonaws.com']);
    expect(resolve(template, { Ref: 'AWS::URLSuffix' }, { ...ctx, partition: 'aws-cn' })).toBe('amazonaws.com.cn');
  });

  test('a stack id is derived deterministically when none is given', () => {
    const id = stackIdOf({ account: '111111111111', region: 'us-east-1', stackName: 'S' });
    expect(id).toMatch(/^arn:aws:cloudformation:us-east-1:111111111111:stack\/S\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(stackIdOf({ account: '111111111111', region: 'us-east-1', stackName: 'S' })).toBe(id);
  });

  test('AWS::NoValue removes the property or list element', () => {
    expect(resolve(template, { a: { Ref: 'AWS::NoValue' }, b: ['x', { Ref: 'AWS::NoValue' }, 'y'] }, ctx)).toEqual({ b: ['x', 'y'] });
    expect(resolve(template, { a: { 'Fn::If': ['IsProd', { Ref: 'AWS::NoValue' }, 'v'] } }, ctx)).toEqual({});
  });

  test('Ref to a parameter gives its default, or the value passed in the context', () => {
    expect(resolve(template, { Ref: 'BootstrapVersion' }, ctx)).toBe('/cdk-bootstrap/hnb659fds/version');
    expect(resolve(template, { Ref: 'Env' }, ctx)).toBe('prod');
    expect(resolve(template, { Ref: 'Env' }, { ...ctx, parameters: { Env: 'dev' } })).toBe('dev');
    expect(() => resolve(template, { Ref: 'NoDefault' }, ctx)).toThrow(/Ref NoDefault: parameter has no Default; pass it in context.parameters/);
  });

  test('Ref to a resource gives the physical id, the name property, or a stable generated name', () => {
    expect(resolve(template, { Ref: 'Fn1' }, ctx)).toBe('target-handler');
    expect(resolve(template, { Ref: 'Role1' }, ctx)).toBe('handler-role');
    const generated = resolve(template, { Ref: 'Role2' }, ctx);
    expect(generated).toMatch(/^Target-Role2-[0-9A-F]{12}$/);
    expect(resolve(template, { Ref: 'Role2' }, ctx)).toBe(generated);
    expect(() => resolve(template, { Ref: 'Server' }, { ...ctx, physicalIds: {} }))
      .toThrow(/custom resource Server \(Custom::DrsExtendedSourceServer\) is only known after it is created/);
    expect(() => resolve(template, { Ref: 'Nope' }, ctx)).toThrow(/Ref Nope: no parameter, resource or pseudo parameter/);
  });

  test('Fn::GetAtt in both forms, from the context or derived for well-known types', () => {
    expect(resolve(template, { 'Fn::GetAtt': ['Role1', 'Arn'] }, ctx)).toBe('arn:aws:iam::111111111111:role/service-role/handler-role');
    expect(resolve(template, { 'Fn::GetAtt': 'Fn1.Arn' }, ctx)).toBe('arn:aws:lambda:eu-west-1:111111111111:function:target-handler');
    expect(resolve(template, { 'Fn::GetAtt': ['Server', 'SourceServerArn'] }, ctx)).toBe(ctx.attributes!.Server.SourceServerArn);
    expect(resolve(template, { 'Fn::GetAtt': ['Logs', 'Arn'] }, ctx)).toBe('arn:aws:logs:eu-west-1:111111111111:log-group:/aws/lambda/target-handler:*');
    expect(() => resolve(template, { 'Fn::GetAtt': ['Server', 'SourceServerId'] }, ctx))
      .toThrow(/Server.SourceServerId: attribute of Custom::DrsExtendedSourceServer is not known before deployment; pass it in context.attributes.Server/);
    expect(() => resolve(template, { 'Fn::GetAtt': ['Missing', 'Arn'] }, ctx)).toThrow(/no resource Missing/);
  });

  test('Fn::Join, Fn::Select, Fn::Split', () => {
    expect(resolve(template, { 'Fn::Join': [':', ['arn', { Ref: 'AWS::Partition' }, 'drs']] }, ctx)).toBe('arn:aws:drs');
    expect(resolve(template, { 'Fn::Select': ['1', { 'Fn::Split': ['/', 'a/b/c'] }] }, ctx)).toBe('b');
    expect(resolve(template, { 'Fn::Select': [2, { 'Fn::Split': [':', { 'Fn::GetAtt': ['Role1', 'Arn'] }] }] }, ctx)).toBe('iam');
    expect(() => resolve(template, { 'Fn::Select': [5, ['a']] }, ctx)).toThrow(/index 5 is out of range for a list of 1/);
  });

  test('Fn::Sub in both forms, with pseudo parameters, Refs, GetAtts and literals', () => {
    expect(resolve(template, { 'Fn::Sub': 'arn:${AWS::Partition}:drs:${AWS::Region}:${AWS::AccountId}:source-server/*' }, ctx))
      .toBe('arn:aws:drs:eu-west-1:111111111111:source-server/*');
    expect(resolve(template, { 'Fn::Sub': '${Fn1}|${Role1.Arn}|${!Literal}|${Env}' }, ctx))
      .toBe('target-handler|arn:aws:iam::111111111111:role/service-role/handler-role|${Literal}|prod');
    expect(resolve(template, { 'Fn::Sub': ['${A}-${AWS::Region}', { A: { Ref: 'Fn1' } }] }, ctx)).toBe('target-handler-eu-west-1');
  });

  test('Fn::If and conditions with Fn::Equals, Fn::Not, Fn::And, Fn::Or', () => {
    expect(evaluateCondition(template, 'IsProd', ctx)).toBe(true);
    expect(evaluateCondition(template, 'NotProd', ctx)).toBe(false);
    expect(evaluateCondition(template, 'ProdAndEu', ctx)).toBe(true);
    expect(evaluateCondition(template, 'ProdAndEu', { ...ctx, region: 'us-east-1' })).toBe(false);
    expect(evaluateCondition(template, 'ProdOrNotEu', ctx)).toBe(false);
    expect(evaluateCondition(template, 'ProdOrNotEu', { ...ctx, region: 'us-east-1' })).toBe(true);
    expect(resolve(template, { 'Fn::If': ['IsProd', 'a', 'b'] }, ctx)).toBe('a');
    expect(resolve(template, { 'Fn::If': ['IsProd', 'a', 'b'] }, { ...ctx, parameters: { Env: 'dev' } })).toBe('b');
    expect(() => evaluateCondition(template, 'Nope', ctx)).toThrow(/Condition Nope is not declared/);
  });

  test('Fn::FindInMap, Fn::Base64, Fn::ToJsonString, Fn::Length', () => {
    expect(resolve(template, { 'Fn::FindInMap': ['Runtime', { Ref: 'AWS::Region' }, 'value'] }, ctx)).toBe('nodejs20.x');
    expect(() => resolve(template, { 'Fn::FindInMap': ['Runtime', 'us-east-1', 'value'] }, ctx)).toThrow(/no value for Runtime.us-east-1.value/);
    expect(resolve(template, { 'Fn::Base64': 'hi' }, ctx)).toBe('aGk=');
    expect(resolve(template, { 'Fn::ToJsonString': { a: { Ref: 'Fn1' } } }, ctx)).toBe('{"a":"target-handler"}');
    expect(resolve(template, { 'Fn::Length': ['a', 'b'] }, ctx)).toBe(2);
  });

  test('unsupported intrinsics throw a clear error', () => {
    expect(() => resolve(template, { 'Fn::GetAZs': '' }, ctx)).toThrow(UnsupportedIntrinsicError);
    expect(() => resolve(template, { 'Fn::GetAZs': '' }, ctx)).toThrow(/Fn::GetAZs is not supported by the local deployment/);
    expect(() => resolve(template, { 'Fn::ImportValue': 'x' }, ctx)).toThrow(/Fn::ImportValue is not supported/);
    expect(() => resolve(template, { 'Fn::Whatever': 'x' }, ctx)).toThrow(/Fn::Whatever is not supported/);
  });

  test('a circular reference is reported, not a stack overflow', () => {
    const t: CfnTemplate = { Resources: { A: { Type: 'AWS::IAM::Role', Properties: { RoleName: { 'Fn::Sub': '${A}-x' } } } } };
    expect(() => resolve(t, { Ref: 'A' }, ctx)).toThrow(/circular reference \(A -> A\)/);
  });

  test('resource properties and conditional resources', () => {
    expect(resolveResourceProperties(template, 'Logs', ctx)).toEqual({ LogGroupName: '/aws/lambda/target-handler' });
    expect(resolveResourceProperties(template, 'Tagged', ctx))
      .toEqual({ Name: 'arn:aws:drs:eu-west-1:111111111111:source-server/s-0123456789abcdef0-topic' });
    expect(isResourceActive(template, 'OnlyWhenNotProd', ctx)).toBe(false);
    expect(isResourceActive(template, 'OnlyWhenNotProd', { ...ctx, parameters: { Env: 'dev' } })).toBe(true);
  });
});

describe('ordering', () => {
  test('dependencies come from DependsOn, Ref, GetAtt (both forms) and Sub', () => {
    const deps = resourceDependencies(template);
    expect(deps.Fn1.sort()).toEqual(['Role1', 'Role1Policy']);
    expect(deps.Logs).toEqual(['Fn1']);
    expect(deps.Server.sort()).toEqual(['Fn1', 'Logs']);
    expect(deps.Tagged).toEqual(['Server']);
    expect(deps.Role1).toEqual([]);
  });

  test('creation order puts dependencies first and keeps template order for ties; deletion is the reverse', () => {
    const order = creationOrder(template);
    expect(order).toEqual(['Role1', 'Role2', 'Role1Policy', 'Fn1', 'Logs', 'Server', 'Tagged', 'OnlyWhenNotProd']);
    expect(deletionOrder(template)).toEqual([...order].reverse());
    expect(creationOrder(template, ctx)).not.toContain('OnlyWhenNotProd');
  });

  test('cycles and dangling DependsOn are reported', () => {
    expect(() => creationOrder({
      Resources: {
        A: { Type: 'AWS::SNS::Topic', DependsOn: 'B' },
        B: { Type: 'AWS::SNS::Topic', Properties: { X: { 'Fn::Sub': '${A.TopicArn}' } } },
        C: { Type: 'AWS::SNS::Topic' },
      },
    })).toThrow(/circular dependency between resources: A, B/);
    expect(() => creationOrder({ Resources: { A: { Type: 'AWS::SNS::Topic', DependsOn: 'Z' } } })).toThrow(/A DependsOn Z, which is not a resource/);
  });

  test('a Sub variable that shadows a resource name is not a dependency', () => {
    const t: CfnTemplate = {
      Resources: {
        A: { Type: 'AWS::SNS::Topic' },
        B: { Type: 'AWS::SNS::Topic', Properties: { N: { 'Fn::Sub': ['${A}${!B}', { A: 'x' }] } } },
      },
    };
    expect(resourceDependencies(t).B).toEqual([]);
  });
});

describe('roles and policies', () => {
  function synthesized(): { template: CfnTemplate; roleId: string } {
    const app = new App();
    const stack = new Stack(app, 'Target', { env: { account: '111111111111', region: 'eu-west-1' } });
    const role = new iam.Role(stack, 'Handler', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaBasicExecutionRole')],
      inlinePolicies: { Inline: new iam.PolicyDocument({ statements: [new iam.PolicyStatement({ actions: ['drs:ListStagingAccounts'], resources: ['*'] })] }) },
    });
    role.addToPolicy(new iam.PolicyStatement({ actions: ['drs:DescribeSourceServers'], resources: ['*'] }));
    role.addManagedPolicy(new iam.ManagedPolicy(stack, 'ViaRole', {
      statements: [new iam.PolicyStatement({ actions: ['drs:ListTagsForResource'], resources: [`arn:${Aws.PARTITION}:drs:${Aws.REGION}:${Aws.ACCOUNT_ID}:source-server/*`] })],
    }));
    new iam.ManagedPolicy(stack, 'ViaPolicy', { roles: [role], statements: [new iam.PolicyStatement({ actions: ['drs:TagResource'], resources: ['*'] })] });
    const other = new iam.Role(stack, 'Other', { assumedBy: new iam.AccountRootPrincipal() });
    other.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] }));
    const cond = new CfnCondition(stack, 'Never', { expression: Fn.conditionEquals(Aws.REGION, 'nowhere') });
    const conditional = new iam.Policy(stack, 'Conditional', { roles: [role], statements: [new iam.PolicyStatement({ actions: ['drs:DeleteSourceServer'], resources: ['*'] })] });
    (conditional.node.defaultChild as CfnResource).cfnOptions.condition = cond;
    const t = app.synth().getStackByName('Target').template as CfnTemplate;
    return { template: t, roleId: stack.getLogicalId(role.node.defaultChild as CfnResource) };
  }

  const deploy: DeployContext = { account: '111111111111', region: 'eu-west-1', partition: 'aws', stackName: 'Target' };

  test('a CDK role with addToPolicy, an AWS managed policy and two customer managed policies', () => {
    const { template: t, roleId } = synthesized();
    const role = roleDefinition(t, roleId, deploy);
    expect(role.path).toBe('/');
    expect(role.hasExplicitName).toBe(false);
    expect(role.arn).toBe(`arn:aws:iam::111111111111:role/${role.roleName}`);
    expect(role.assumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } }],
    });
    expect(role.inlinePolicies).toEqual([expect.objectContaining({
      name: 'Inline',
      document: { Version: '2012-10-17', Statement: [{ Action: 'drs:ListStagingAccounts', Effect: 'Allow', Resource: '*' }] },
    })]);
    expect(role.managedPolicyArns[0]).toBe('arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole');
    expect(role.managedPolicyArns).toHaveLength(3);
    expect(role.managedPolicyArns.slice(1)).toEqual(expect.arrayContaining([expect.stringMatching(/^arn:aws:iam::111111111111:policy\/Target-ViaRole/)]));
    const actions = role.attachedPolicies.map((p) => (p.document.Statement as { Action: string }[]).map((s) => s.Action)).flat().sort();
    expect(actions).toEqual(['drs:DescribeSourceServers', 'drs:ListTagsForResource', 'drs:TagResource']);
    const viaRole = role.attachedPolicies.find((p) => p.source.startsWith('ViaRole'))!;
    expect((viaRole.document.Statement as { Resource: string }[])[0].Resource).toBe('arn:aws:drs:eu-west-1:111111111111:source-server/*');
  });

  test('a role name set as a literal in a policy Roles list attaches too', () => {
    const t: CfnTemplate = {
      Resources: {
        R: { Type: 'AWS::IAM::Role', Properties: { RoleName: 'named', AssumeRolePolicyDocument: { Statement: [] } } },
        P: { Type: 'AWS::IAM::Policy', Properties: { PolicyName: 'byName', Roles: ['named'], PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'drs:*', Resource: '*' }] } } },
        Q: { Type: 'AWS::IAM::Policy', Properties: { PolicyName: 'otherRole', Roles: ['someone-else'], PolicyDocument: { Statement: [] } } },
      },
    };
    expect(roleDefinition(t, 'R', deploy).attachedPolicies.map((p) => p.name)).toEqual(['byName']);
  });

  test('roleDefinitions lists every role; non-roles are refused by roleDefinition', () => {
    const { template: t } = synthesized();
    expect(roleDefinitions(t, deploy).map((r) => r.logicalId).sort()).toEqual([expect.stringMatching(/^Handler/), expect.stringMatching(/^Other/)]);
    const policyId = Object.keys(t.Resources!).find((id) => t.Resources![id].Type === 'AWS::IAM::Policy')!;
    expect(() => roleDefinition(t, policyId, deploy)).toThrow(/is a AWS::IAM::Policy, not an AWS::IAM::Role/);
  });
});
