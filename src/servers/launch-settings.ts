import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';

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
