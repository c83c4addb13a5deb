import { App, Stack, Token } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ExtendedSourceServer, LaunchDisposition, LaunchSettings, RightSizing, StagingAccountExtension } from '../../src';
import { parseExtendedSourceServerProperties } from '../../src/servers/runtime/properties';

const STAGING_ARN = 'arn:aws:drs:us-east-1:111111111111:source-server/s-1234567890abcdef0';

function setup() {
  const stack = new Stack(new App(), 'Target', { env: { account: '222222222222', region: 'us-east-1' } });
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, ipAddresses: ec2.IpAddresses.cidr('10.0.0.0/16') });
  const group = new ec2.SecurityGroup(stack, 'Sg', { vpc });
  return { stack, vpc, group };
}

function declare(stack: Stack, launchSettings: LaunchSettings, id = 'Server1') {
  return new ExtendedSourceServer(stack, id, { stagingSourceServerArn: STAGING_ARN, launchSettings });
}

function properties(stack: Stack) {
  const found = Template.fromStack(stack).findResources('Custom::DrsExtendedSourceServer');
  return Object.values(found)[0].Properties;
}

describe('launchSettings', () => {
  test('renders the contract property, which the handler parses', () => {
    const { stack, vpc, group } = setup();
    const profile = new iam.InstanceProfile(stack, 'Profile', { role: new iam.Role(stack, 'R', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') }) });
    const subnet = vpc.publicSubnets[0];
    declare(stack, {
      rightSizing: RightSizing.NONE,
      copyPrivateIp: false,
      copyTags: true,
      launchDisposition: LaunchDisposition.STARTED,
      byolLicensing: false,
      postLaunchActionsEnabled: true,
      subnet,
      securityGroups: [group],
      instanceType: ec2.InstanceType.of(ec2.InstanceClass.T3, ec2.InstanceSize.LARGE),
      staticPrivateIp: '10.0.0.20',
      instanceProfile: profile,
      recoveryInstanceTags: { app: 'web' },
    });
    const props = properties(stack);
    expect(props.LaunchSettings).toEqual({
      RightSizing: 'NONE',
      CopyPrivateIp: 'false',
      CopyTags: 'true',
      LaunchDisposition: 'STARTED',
      OsByol: 'false',
      PostLaunchEnabled: 'true',
      SubnetId: { Ref: expect.any(String) },
      SecurityGroupIds: [{ 'Fn::GetAtt': [expect.any(String), 'GroupId'] }],
      PrivateIpAddress: '10.0.0.20',
      InstanceType: 't3.large',
      InstanceProfileArn: { 'Fn::GetAtt': [expect.any(String), 'Arn'] },
      InstanceTags: { app: 'web' },
    });
    // With the tokens as CloudFormation resolves them, the handler accepts the property.
    const resolved = {
      ...props,
      LaunchSettings: {
        ...props.LaunchSettings,
        SubnetId: 'subnet-0aaaaaaaaaaaaaaa1',
        SecurityGroupIds: ['sg-0bbbbbbbbbbbbbbb1'],
        InstanceProfileArn: 'arn:aws:iam::222222222222:instance-profile/p',
      },
    };
    expect(parseExtendedSourceServerProperties(resolved).launchSettings?.ec2.instanceType).toBe('t3.large');
  });

  test('absent or empty: no property and no launch-settings grants', () => {
    const { stack } = setup();
    declare(stack, {});
    expect(properties(stack).LaunchSettings).toBeUndefined();
    expect(JSON.stringify(Template.fromStack(stack).findResources('AWS::IAM::Policy'))).not.toContain('LaunchConfiguration');
  });

  test('grants the launch-settings statements once declared', () => {
    const { stack } = setup();
    declare(stack, { copyTags: true });
    const policies = JSON.stringify(Template.fromStack(stack).findResources('AWS::IAM::Policy'));
    expect(policies).toContain('drs:UpdateLaunchConfiguration');
    expect(policies).toContain('ec2:CreateLaunchTemplateVersion');
  });

  test('an instance type needs right-sizing NONE', () => {
    const { stack } = setup();
    expect(() => declare(stack, { instanceType: new ec2.InstanceType('t3.large') }))
      .toThrow(/launchSettings\.instanceType is given but launchSettings\.rightSizing is not set/);
    expect(() => declare(stack, { instanceType: new ec2.InstanceType('t3.large'), rightSizing: RightSizing.BASIC }, 'S2'))
      .toThrow(/launchSettings\.rightSizing is 'BASIC'/);
  });

  test('the subnet and the security groups must be in one VPC', () => {
    const { stack, vpc } = setup();
    const other = new ec2.Vpc(stack, 'Other', { maxAzs: 1, natGateways: 0 });
    const foreignGroup = new ec2.SecurityGroup(stack, 'Foreign', { vpc: other });
    expect(() => declare(stack, { subnet: vpc.publicSubnets[0], securityGroups: [foreignGroup] }))
      .toThrow(/launchSettings\.securityGroups\[0\] \(Target\/Foreign\) is in another VPC than launchSettings\.subnet/);
  });

  test('imported subnets and groups are not checked against each other (their VPC is not known)', () => {
    const { stack } = setup();
    const subnet = ec2.Subnet.fromSubnetId(stack, 'S', 'subnet-0aaaaaaaaaaaaaaa1');
    const group = ec2.SecurityGroup.fromSecurityGroupId(stack, 'G', 'sg-0bbbbbbbbbbbbbbb1');
    expect(() => declare(stack, { subnet, securityGroups: [group], staticPrivateIp: '192.168.1.1' })).not.toThrow();
  });

  test('a static IP must be inside the subnet\'s CIDR when both are known', () => {
    const { stack } = setup();
    const subnet = ec2.Subnet.fromSubnetAttributes(stack, 'S', { subnetId: 'subnet-0aaaaaaaaaaaaaaa1', ipv4CidrBlock: '10.0.1.0/24' });
    expect(() => declare(stack, { subnet, staticPrivateIp: '10.0.2.5' }))
      .toThrow(/launchSettings\.staticPrivateIp '10\.0\.2\.5' is outside launchSettings\.subnet's CIDR 10\.0\.1\.0\/24/);
    expect(() => declare(stack, { subnet, staticPrivateIp: '10.0.1.5' }, 'S2')).not.toThrow();
  });

  test('tokens are not checked at synth', () => {
    const { stack } = setup();
    const ip = Token.asString({ Ref: 'IpParam' });
    const subnet = ec2.Subnet.fromSubnetAttributes(stack, 'S', { subnetId: Token.asString({ Ref: 'SubnetParam' }), ipv4CidrBlock: '10.0.1.0/24' });
    expect(() => declare(stack, { subnet, staticPrivateIp: ip })).not.toThrow();
  });

  test('field shapes are checked with the construct-side names', () => {
    const { stack } = setup();
    expect(() => declare(stack, { staticPrivateIp: '10.0.0.256' })).toThrow(/launchSettings\.staticPrivateIp must be an IPv4 address/);
    expect(() => declare(stack, { staticPrivateIp: '10.0.0.1', copyPrivateIp: true }, 'S2')).toThrow(/keep one/);
    expect(() => declare(stack, { securityGroups: [] }, 'S3')).toThrow(/launchSettings\.securityGroups must list 1-5/);
  });
});

describe('StagingAccountExtension launchSettings', () => {
  test('renders the same property, validated the same way', () => {
    const { stack } = setup();
    new StagingAccountExtension(stack, 'Staging', { stagingAccountId: '111111111111', launchSettings: { launchDisposition: LaunchDisposition.STOPPED } });
    const found = Template.fromStack(stack).findResources('Custom::DrsStagingAccountExtension');
    expect(Object.values(found)[0].Properties.LaunchSettings).toEqual({ LaunchDisposition: 'STOPPED' });
    expect(() => new StagingAccountExtension(stack, 'Staging2', {
      stagingAccountId: '333333333333', launchSettings: { instanceType: new ec2.InstanceType('t3.micro') },
    })).toThrow(/StagingAccountExtension Target\/Staging2: launchSettings\.instanceType is given/);
  });
});
