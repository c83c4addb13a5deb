/**
 * Renders `LaunchSettings` into the contract's property and checks them at synth. Internal: not
 * exported from the package's index (jsii publishes no free functions).
 */
import { Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { IConstruct } from 'constructs';
import type { LaunchSettings } from './launch-settings';
import { ipv4InCidr, LaunchSettingsProperty, validateLaunchSettings } from '../contract';

/** Construct-side names of the contract's fields, for messages. */
const NAMES: Partial<Record<keyof LaunchSettingsProperty, string>> = {
  RightSizing: 'rightSizing',
  CopyPrivateIp: 'copyPrivateIp',
  CopyTags: 'copyTags',
  LaunchDisposition: 'launchDisposition',
  OsByol: 'byolLicensing',
  PostLaunchEnabled: 'postLaunchActionsEnabled',
  SubnetId: 'subnet',
  SecurityGroupIds: 'securityGroups',
  PrivateIpAddress: 'staticPrivateIp',
  InstanceType: 'instanceType',
  InstanceProfileArn: 'instanceProfile',
  InstanceTags: 'recoveryInstanceTags',
};

const flag = (v: boolean | undefined) => (v === undefined ? undefined : String(v));

/**
 * Renders `settings` into the contract's `LaunchSettings` property (undefined when nothing is
 * declared) and collects the synth-time problems, each naming `${field}.<prop>`.
 */
export function renderLaunchSettings(
  scope: IConstruct, field: string, settings: LaunchSettings | undefined,
): { property?: LaunchSettingsProperty; problems: string[] } {
  if (settings === undefined) return { problems: [] };
  const property: LaunchSettingsProperty = defined({
    RightSizing: settings.rightSizing,
    CopyPrivateIp: flag(settings.copyPrivateIp),
    CopyTags: flag(settings.copyTags),
    LaunchDisposition: settings.launchDisposition,
    OsByol: flag(settings.byolLicensing),
    PostLaunchEnabled: flag(settings.postLaunchActionsEnabled),
    SubnetId: settings.subnet?.subnetId,
    SecurityGroupIds: settings.securityGroups?.map((g) => g.securityGroupId),
    PrivateIpAddress: settings.staticPrivateIp,
    InstanceType: settings.instanceType?.toString(),
    InstanceProfileArn: settings.instanceProfile?.instanceProfileArn,
    InstanceTags: settings.recoveryInstanceTags && { ...settings.recoveryInstanceTags },
  });
  const problems = validateLaunchSettings(field, property, (v) => !Token.isUnresolved(v), NAMES);
  problems.push(...sameVpc(scope, field, settings), ...ipInSubnet(field, settings));
  return { property: Object.keys(property).length > 0 ? property : undefined, problems };
}

function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/**
 * The VPC of a subnet or security group defined in this app (its L1's VpcId, resolved), or
 * undefined when not known at synth (imported ones).
 */
function vpcOf(scope: IConstruct, construct: IConstruct): string | undefined {
  const child = construct.node.defaultChild;
  let vpcId: unknown;
  if (child instanceof ec2.CfnSubnet) vpcId = child.vpcId;
  else if (child instanceof ec2.CfnSecurityGroup) vpcId = child.vpcId;
  if (typeof vpcId !== 'string') return undefined;
  return JSON.stringify(Stack.of(scope).resolve(vpcId));
}

function sameVpc(scope: IConstruct, field: string, settings: LaunchSettings): string[] {
  const { subnet, securityGroups } = settings;
  if (!subnet || !securityGroups) return [];
  const subnetVpc = vpcOf(scope, subnet);
  if (subnetVpc === undefined) return [];
  const problems: string[] = [];
  securityGroups.forEach((group, i) => {
    const groupVpc = vpcOf(scope, group);
    if (groupVpc !== undefined && groupVpc !== subnetVpc) {
      problems.push(`${field}.securityGroups[${i}] (${group.node.path}) is in another VPC than ${field}.subnet (${subnet.node.path}): ` +
        'the recovery instance\'s network interface needs security groups of its subnet\'s VPC');
    }
  });
  return problems;
}

function ipInSubnet(field: string, settings: LaunchSettings): string[] {
  const ip = settings.staticPrivateIp;
  if (ip === undefined || Token.isUnresolved(ip) || !settings.subnet) return [];
  let cidr: string | undefined;
  try {
    cidr = settings.subnet.ipv4CidrBlock;
  } catch {
    return []; // an imported subnet without its CIDR
  }
  if (cidr === undefined || Token.isUnresolved(cidr)) return [];
  return ipv4InCidr(ip, cidr) === false
    ? [`${field}.staticPrivateIp '${ip}' is outside ${field}.subnet's CIDR ${cidr}: the launch would fail; choose an address inside it`]
    : [];
}
