import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { IConstruct } from 'constructs';
import { DrsHandler, DrsInitialization, ExtendedSourceServer, StagingAccountExtension } from '../../src';
import { allPacks } from '../support/check-nag-packs';

const PARTITION = { Ref: 'AWS::Partition' };
const REGION = { Ref: 'AWS::Region' };
const ACCOUNT = { Ref: 'AWS::AccountId' };
const STAGING_ARN = 'arn:aws:drs:us-east-1:111111111111:source-server/s-0a1b2c3d4e5f60001';

function newStack(): Stack {
  return new Stack(new App(), 'Target', { env: { account: '222222222222', region: 'us-east-1' } });
}

function server(stack: Stack, id = 'Web1'): ExtendedSourceServer {
  return new ExtendedSourceServer(stack, id, { stagingSourceServerArn: STAGING_ARN });
}

/** A VPC without internet access, with the endpoints docs/compliance.md lists. */
function isolatedVpc(stack: Stack): ec2.Vpc {
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    maxAzs: 2,
    natGateways: 0,
    subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
  });
  vpc.addInterfaceEndpoint('Drs', { service: ec2.InterfaceVpcEndpointAwsService.ELASTIC_DISASTER_RECOVERY });
  vpc.addInterfaceEndpoint('CloudFormation', { service: ec2.InterfaceVpcEndpointAwsService.CLOUDFORMATION });
  vpc.addInterfaceEndpoint('Lambda', { service: ec2.InterfaceVpcEndpointAwsService.LAMBDA });
  vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 });
  return vpc;
}

function only(template: Template, type: string): { id: string; resource: any } {
  const found = Object.entries(template.findResources(type));
  expect(found).toHaveLength(1);
  return { id: found[0][0], resource: found[0][1] };
}

function handlerStatements(template: Template): any[] {
  const policies = Object.entries(template.findResources('AWS::IAM::Policy')).filter(([id]) => id.startsWith('CdkDrsMultiAccountHandlerRoleDefaultPolicy'));
  expect(policies).toHaveLength(1);
  return policies[0][1].Properties.PolicyDocument.Statement;
}

/** Unacknowledged findings of the five packs on the library's handler (not on the test's own VPC). */
function openHandlerFindings(stack: Stack): string[] {
  stack.node.root.node.findAll(); // (the tree is complete: constructs were added synchronously)
  Template.fromStack(stack); // synthesizes, so aspects and lazy values are in place
  return allPacks().flatMap((pack) => pack.validateScope(stack).violations
    .flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`)))
    .filter((f) => f.includes('/CdkDrsMultiAccountHandler/'));
}

function acknowledgedRules(scope: IConstruct): string[] {
  return scope.node.findAll().flatMap((c) => c.node.metadata.filter((m) => m.type === 'aws:cdk:acknowledged-rules')
    .flatMap((m) => Object.keys(m.data).map((id) => id.replace(/^annotation::/i, ''))));
}

describe('the handler with the default settings', () => {
  test('its log group is encrypted with a key of its own, which CloudWatch Logs may use and the stack removes', () => {
    const stack = newStack();
    server(stack);
    const template = Template.fromStack(stack);
    const key = only(template, 'AWS::KMS::Key');
    expect(key.resource.Properties.EnableKeyRotation).toBe(true);
    expect(key.resource.DeletionPolicy).toBe('Delete');
    expect(key.resource.Properties.PendingWindowInDays).toBe(7);
    const logs = key.resource.Properties.KeyPolicy.Statement.find((s: any) => s.Sid === 'CloudWatchLogsEncryptsHandlerLogGroup');
    expect(logs).toEqual({
      Sid: 'CloudWatchLogsEncryptsHandlerLogGroup',
      Effect: 'Allow',
      Principal: { Service: { 'Fn::Join': ['', ['logs.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } },
      Action: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      Resource: '*',
      Condition: {
        ArnLike: {
          'kms:EncryptionContext:aws:logs:arn': { 'Fn::Join': ['', ['arn:', PARTITION, ':logs:', REGION, ':', ACCOUNT, ':log-group:*']] },
        },
      },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: { 'Fn::GetAtt': [key.id, 'Arn'] } });
  });

  test('not in a VPC, no reserved concurrency, no tracing, and no VPC statements', () => {
    const stack = newStack();
    server(stack);
    const template = Template.fromStack(stack);
    const fn = only(template, 'AWS::Lambda::Function').resource.Properties;
    expect(fn.VpcConfig).toBeUndefined();
    expect(fn.ReservedConcurrentExecutions).toBeUndefined();
    expect(fn.TracingConfig).toBeUndefined();
    expect(handlerStatements(template).map((s) => s.Sid)).not.toContain('AttachToVpc');
    template.resourceCountIs('AWS::EC2::SecurityGroup', 0);
  });

  test('the five packs find nothing open; the defaults are acknowledged', () => {
    const stack = newStack();
    server(stack);
    expect(openHandlerFindings(stack)).toEqual([]);
    expect(acknowledgedRules(stack)).toEqual(expect.arrayContaining([
      'HIPAA.Security-LambdaInsideVPC', 'PCI.DSS.321-LambdaInsideVPC', 'NIST.800.53.R5-LambdaConcurrency', 'Serverless-LambdaTracing',
    ]));
  });
});

describe('DrsHandler.configure', () => {
  test('in an isolated VPC: the subnets, an HTTPS-only security group, and what Lambda needs to attach the function', () => {
    const stack = newStack();
    const vpc = isolatedVpc(stack);
    DrsHandler.configure(stack, { vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } });
    server(stack);
    const template = Template.fromStack(stack);

    const fn = only(template, 'AWS::Lambda::Function');
    const subnetIds = vpc.isolatedSubnets.map((s) => stack.resolve(s.subnetId));
    expect(fn.resource.Properties.VpcConfig.SubnetIds).toEqual(subnetIds);
    const groups = Object.entries(template.findResources('AWS::EC2::SecurityGroup'))
      .filter(([id]) => id.startsWith('CdkDrsMultiAccountHandler'));
    expect(groups).toHaveLength(1);
    const [groupId, group] = groups[0];
    expect(fn.resource.Properties.VpcConfig.SecurityGroupIds).toEqual([{ 'Fn::GetAtt': [groupId, 'GroupId'] }]);
    expect(group.Properties.SecurityGroupEgress).toEqual([
      expect.objectContaining({ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443 }),
    ]);
    expect(group.Properties.SecurityGroupIngress).toBeUndefined();

    const statements = handlerStatements(template);
    expect(statements.filter((s) => s.Sid === 'AttachToVpc' || s.Sid === 'DescribeVpcNetworkInterfaces')).toEqual([
      {
        Sid: 'AttachToVpc',
        Effect: 'Allow',
        Action: ['ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'],
        Resource: { 'Fn::Join': ['', ['arn:', PARTITION, ':ec2:', REGION, ':', ACCOUNT, ':*/*']] },
      },
      { Sid: 'DescribeVpcNetworkInterfaces', Effect: 'Allow', Action: ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets'], Resource: '*' },
    ]);
    // Lambda attaches the function while CloudFormation creates it: the statements must exist by then.
    const policyId = Object.keys(template.findResources('AWS::IAM::Policy')).find((id) => id.startsWith('CdkDrsMultiAccountHandlerRoleDefaultPolicy'));
    expect(fn.resource.DependsOn).toContain(policyId);
    // No AWS managed policy (AWSLambdaVPCAccessExecutionRole would allow logs:* on every log group).
    expect(only(template, 'AWS::IAM::Role').resource.Properties.ManagedPolicyArns).toBeUndefined();

    expect(openHandlerFindings(stack)).toEqual([]);
    expect(acknowledgedRules(stack)).not.toContain('HIPAA.Security-LambdaInsideVPC');
  });

  test('the interface endpoints of the test VPC accept the handler: HTTPS from the VPC, private DNS on', () => {
    const stack = newStack();
    const vpc = isolatedVpc(stack);
    DrsHandler.configure(stack, { vpc });
    server(stack);
    const template = Template.fromStack(stack);
    const endpoints = Object.values(template.findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Interface' } }));
    expect(endpoints).toHaveLength(3);
    for (const e of endpoints) expect(e.Properties.PrivateDnsEnabled).toBe(true);
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupIngress: [Match.objectLike({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIp: { 'Fn::GetAtt': [Match.anyValue(), 'CidrBlock'] } })],
    });
    // Without subnets given, the function goes into the VPC's isolated subnets (it has no others).
    const fn = only(template, 'AWS::Lambda::Function').resource.Properties;
    expect(fn.VpcConfig.SubnetIds).toEqual(vpc.isolatedSubnets.map((s) => stack.resolve(s.subnetId)));
  });

  test('given security groups are used instead of a new one', () => {
    const stack = newStack();
    const vpc = isolatedVpc(stack);
    const sg = new ec2.SecurityGroup(stack, 'Mine', { vpc, allowAllOutbound: false });
    DrsHandler.configure(stack, { vpc, securityGroups: [sg] });
    server(stack);
    const template = Template.fromStack(stack);
    expect(only(template, 'AWS::Lambda::Function').resource.Properties.VpcConfig.SecurityGroupIds)
      .toEqual([stack.resolve(sg.securityGroupId)]);
    expect(Object.keys(template.findResources('AWS::EC2::SecurityGroup')).filter((id) => id.startsWith('CdkDrsMultiAccountHandler'))).toEqual([]);
  });

  test('reserved concurrency and active tracing, with the X-Ray statement acknowledged', () => {
    const stack = newStack();
    DrsHandler.configure(stack, { reservedConcurrentExecutions: 10, tracing: lambda.Tracing.ACTIVE });
    server(stack);
    const template = Template.fromStack(stack);
    const fn = only(template, 'AWS::Lambda::Function').resource.Properties;
    expect(fn.ReservedConcurrentExecutions).toBe(10);
    expect(fn.TracingConfig).toEqual({ Mode: 'Active' });
    expect(handlerStatements(template)).toContainEqual(
      { Effect: 'Allow', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' });
    expect(openHandlerFindings(stack)).toEqual([]);
    const acked = acknowledgedRules(stack);
    expect(acked).not.toContain('HIPAA.Security-LambdaConcurrency');
    expect(acked).not.toContain('Serverless-LambdaTracing');
  });

  test('a key of the app gets the CloudWatch Logs statement; an imported key warns with it', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'LogKey', { enableKeyRotation: true });
    DrsHandler.configure(stack, { logEncryptionKey: key });
    server(stack);
    const template = Template.fromStack(stack);
    const keys = template.findResources('AWS::KMS::Key');
    expect(Object.keys(keys)).toEqual([stack.getLogicalId(key.node.defaultChild as kms.CfnKey)]);
    expect(JSON.stringify(Object.values(keys)[0].Properties.KeyPolicy)).toContain('CloudWatchLogsEncryptsHandlerLogGroup');

    const other = newStack();
    DrsHandler.configure(other, { logEncryptionKey: kms.Key.fromKeyArn(other, 'Imported', 'arn:aws:kms:us-east-1:222222222222:key/00000000-0000-0000-0000-000000000001') });
    server(other);
    Template.fromStack(other).resourceCountIs('AWS::KMS::Key', 0);
    const warnings = Annotations.fromStack(other).findWarning('*', Match.stringLikeRegexp('logEncryptionKey is imported'));
    expect(warnings).toHaveLength(1);
    expect(String(warnings[0].entry.data)).toContain('logs.<region>.amazonaws.com');
  });

  test('one handler for every DRS construct of the stack; calling configure again with the same settings is fine', () => {
    const stack = newStack();
    const vpc = isolatedVpc(stack);
    const fn = DrsHandler.configure(stack, { vpc, reservedConcurrentExecutions: 5 });
    expect(DrsHandler.configure(stack, { vpc, reservedConcurrentExecutions: 5 })).toBe(fn);
    server(stack);
    new StagingAccountExtension(stack, 'Staging', { stagingAccountId: '111111111111' });
    new DrsInitialization(stack, 'Drs');
    Template.fromStack(stack).resourceCountIs('AWS::Lambda::Function', 1);
    expect(openHandlerFindings(stack)).toEqual([]);
  });

  test('settings that disagree fail at synth naming the settings', () => {
    const stack = newStack();
    const vpc = isolatedVpc(stack);
    DrsHandler.configure(stack, { vpc, reservedConcurrentExecutions: 5 });
    expect(() => DrsHandler.configure(stack, { vpc, reservedConcurrentExecutions: 6, tracing: lambda.Tracing.ACTIVE }))
      .toThrow('DrsHandler.configure(Target): reservedConcurrentExecutions, tracing differ from an earlier DrsHandler.configure call for this stack');
    expect(() => DrsHandler.configure(stack, { vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED }, reservedConcurrentExecutions: 5 }))
      .toThrow(/vpcSubnets differs/);
  });

  test('configure after a DRS construct created the handler fails, saying to call it first', () => {
    const stack = newStack();
    server(stack);
    expect(() => DrsHandler.configure(stack, { reservedConcurrentExecutions: 5 }))
      .toThrow(/reservedConcurrentExecutions differs from the defaults, when the first DRS construct of the stack created the handler.*before its first DRS construct/);
    // The defaults themselves agree.
    expect(() => DrsHandler.configure(stack, {})).not.toThrow();
  });

  test.each([
    [{ vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } }, 'vpcSubnets needs vpc'],
    [{ reservedConcurrentExecutions: 0 }, 'reservedConcurrentExecutions must be a whole number of at least 1'],
    [{ reservedConcurrentExecutions: 2.5 }, 'reservedConcurrentExecutions must be a whole number of at least 1'],
  ])('bad settings fail at synth naming the field (%j)', (props, message) => {
    expect(() => DrsHandler.configure(newStack(), props)).toThrow(`DrsHandler Target: ${message}`);
  });

  test('securityGroups without vpc, and an empty list, are refused', () => {
    const stack = newStack();
    const vpc = isolatedVpc(stack);
    const sg = new ec2.SecurityGroup(stack, 'Mine', { vpc });
    expect(() => DrsHandler.configure(stack, { securityGroups: [sg] })).toThrow('securityGroups needs vpc');
    expect(() => DrsHandler.configure(stack, { vpc, securityGroups: [] })).toThrow('securityGroups must list at least one security group');
  });
});

describe('docs/iam.md', () => {
  test('explains the statements the settings add (VPC, log key) by their Sid', () => {
    const stack = newStack();
    DrsHandler.configure(stack, { vpc: isolatedVpc(stack), tracing: lambda.Tracing.ACTIVE });
    server(stack);
    const template = Template.fromStack(stack);
    const key = only(template, 'AWS::KMS::Key').resource.Properties.KeyPolicy.Statement;
    const sids = [...handlerStatements(template), ...key].map((st: any) => st.Sid).filter((sid: unknown) => typeof sid === 'string');
    expect(sids).toEqual(expect.arrayContaining(['AttachToVpc', 'DescribeVpcNetworkInterfaces', 'CloudWatchLogsEncryptsHandlerLogGroup']));
    const doc = fs.readFileSync(path.join(__dirname, '../../docs/iam.md'), 'utf8');
    const documented = [...doc.matchAll(/^### `([A-Za-z0-9]+)`/gm)].map((m) => m[1]);
    for (const sid of sids) expect(documented).toContain(sid);
  });
});

describe('docs/compliance.md', () => {
  test('lists an endpoint for every AWS service the handler calls, and the S3 gateway endpoint for the response URL', () => {
    const doc = fs.readFileSync(path.join(__dirname, '../../docs/compliance.md'), 'utf8');
    // The clients the handler's entry point reaches through its imports (what esbuild bundles);
    // the coverage report and the drill's steps are functions of their own, outside the VPC.
    const clients = new Set<string>();
    const seen = new Set<string>();
    const follow = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const [, spec] of fs.readFileSync(file, 'utf8').matchAll(/from '([^']+)'/g)) {
        const client = /^@aws-sdk\/client-([a-z0-9-]+)$/.exec(spec)?.[1];
        if (client) clients.add(client);
        if (!spec.startsWith('.')) continue;
        const base = path.resolve(path.dirname(file), spec);
        const next = [`${base}.ts`, path.join(base, 'index.ts')].find((f) => fs.existsSync(f));
        if (next) follow(next);
      }
    };
    follow(path.join(__dirname, '../../src/provider/drs-handler.lambda.ts'));
    expect([...clients]).toContain('drs');
    for (const client of clients) expect(doc).toContain(`com.amazonaws.<region>.${client}`);
    expect(doc).toContain('com.amazonaws.<region>.s3');
  });
});
