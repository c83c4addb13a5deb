import { Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';
import { ipv4InCidr, LaunchSettingsProperty, validateLaunchSettings } from '../contract';

/**
 * How DRS chooses the recovery instance's instance type (`targetInstanceTypeRightSizingMethod`).
 */
export enum RightSizing {
  /** No right-sizing: the instance type of the server's EC2 launch template is used. */
  NONE = 'NONE',
  /** DRS picks an instance type matching the source server's CPU and RAM, overwriting the launch template's. */
  BASIC = 'BASIC',
  /** DRS right-sizes from the source instance's type (servers replicating from AWS), overwriting the launch template's. */
  IN_AWS = 'IN_AWS',
}

/**
 * The state of the recovery instance after launch (`launchDisposition`).
 */
export enum LaunchDisposition {
  /** Launched and left stopped. */
  STOPPED = 'STOPPED',
  /** Launched and started. */
  STARTED = 'STARTED',
}

/**
 * How an extended source server launches in this account: its DRS launch configuration and the
 * EC2 launch template DRS keeps for it. Every field is optional; a field left out is left as it
 * is on the server (DRS's default, or whatever was set before).
 *
 * The handler applies the settings once the server is extended and again on every update that
 * changes them: the DRS launch configuration first (UpdateLaunchConfiguration), then a new
 * version of the server's EC2 launch template, set as its default version, as the DRS user guide
 * documents. Removing a field, or the whole `launchSettings`, leaves the server's settings as they
 * are: nothing is reset.
 */
export interface LaunchSettings {
  /**
   * Instance type right-sizing. With `BASIC` or `IN_AWS` DRS overwrites the launch template's
   * instance type, so `instanceType` requires `NONE`.
   *
   * @default - left as it is (DRS's default for new servers is BASIC)
   */
  readonly rightSizing?: RightSizing;

  /**
   * Whether the recovery instance gets the source server's private IP.
   * The IP must then be inside the subnet's CIDR. Excludes `staticPrivateIp`.
   *
   * @default - left as it is
   */
  readonly copyPrivateIp?: boolean;

  /**
   * Whether the source server's tags are copied to the recovery instance.
   *
   * @default - left as it is
   */
  readonly copyTags?: boolean;

  /**
   * Whether the recovery instance is started or left stopped after launch.
   *
   * @default - left as it is
   */
  readonly launchDisposition?: LaunchDisposition;

  /**
   * Bring your own license for the operating system (`licensing.osByol`).
   *
   * @default - left as it is
   */
  readonly byolLicensing?: boolean;

  /**
   * Whether DRS runs the server's post-launch actions (`postLaunchEnabled`).
   *
   * @default - left as it is
   */
  readonly postLaunchActionsEnabled?: boolean;

  /**
   * The subnet the recovery instance launches in (the launch template's primary network interface).
   *
   * @default - left as it is (DRS's default: the default VPC's subnet)
   */
  readonly subnet?: ec2.ISubnet;

  /**
   * Security groups of the recovery instance's primary network interface (1 to 5), in the
   * subnet's VPC.
   *
   * @default - left as it is
   */
  readonly securityGroups?: ec2.ISecurityGroup[];

  /**
   * The recovery instance's instance type. Only with `rightSizing: RightSizing.NONE`.
   *
   * @default - left as it is
   */
  readonly instanceType?: ec2.InstanceType;

  /**
   * A static private IPv4 address for the recovery instance, inside the subnet's CIDR.
   *
   * @default - left as it is
   */
  readonly staticPrivateIp?: string;

  /**
   * The instance profile of the recovery instance.
   *
   * @default - left as it is
   */
  readonly instanceProfile?: iam.IInstanceProfile;

  /**
   * Tags for the recovery instance (the launch template's instance tags; they replace the
   * template's instance tags).
   *
   * @default - left as they are
   */
  readonly recoveryInstanceTags?: { [key: string]: string };
}

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
 * @internal
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
