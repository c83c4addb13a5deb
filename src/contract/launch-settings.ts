/**
 * The contract of launch settings (issue 17): the `LaunchSettings` property that
 * `Custom::DrsExtendedSourceServer` and `Custom::DrsStagingAccountExtension` carry, written by
 * the constructs and parsed by the handler. CloudFormation passes every scalar as a string, so
 * the booleans are 'true' / 'false'. An absent field is left as it is on the server.
 */

/**
 * The `LaunchSettings` property. The first six fields are the server's DRS launch configuration
 * (UpdateLaunchConfiguration, names from drs-service-2.json); the others go into the EC2 launch
 * template DRS keeps for the server (a new version, set as the default).
 */
export interface LaunchSettingsProperty {
  /** targetInstanceTypeRightSizingMethod: NONE | BASIC | IN_AWS. */
  readonly RightSizing?: string;
  /** copyPrivateIp. */
  readonly CopyPrivateIp?: string;
  /** copyTags. */
  readonly CopyTags?: string;
  /** launchDisposition: STOPPED | STARTED. */
  readonly LaunchDisposition?: string;
  /** licensing.osByol. */
  readonly OsByol?: string;
  /** postLaunchEnabled. */
  readonly PostLaunchEnabled?: string;
  /** Primary network interface (device index 0): subnet. */
  readonly SubnetId?: string;
  /** Primary network interface: security groups. */
  readonly SecurityGroupIds?: string[];
  /** Primary network interface: private IPv4 address. */
  readonly PrivateIpAddress?: string;
  /** InstanceType; only with RightSizing NONE (right-sizing overwrites it). */
  readonly InstanceType?: string;
  /** IamInstanceProfile.Arn. */
  readonly InstanceProfileArn?: string;
  /** TagSpecifications for resource type `instance`. */
  readonly InstanceTags?: Record<string, string>;
}

/** The name of the property on both resource types. */
export const LAUNCH_SETTINGS_PROPERTY = 'LaunchSettings';

/** Every field of `LaunchSettingsProperty`: the parser rejects others (constructs and handler ship together). */
export const LAUNCH_SETTINGS_FIELDS: Record<keyof LaunchSettingsProperty, true> = {
  RightSizing: true,
  CopyPrivateIp: true,
  CopyTags: true,
  LaunchDisposition: true,
  OsByol: true,
  PostLaunchEnabled: true,
  SubnetId: true,
  SecurityGroupIds: true,
  PrivateIpAddress: true,
  InstanceType: true,
  InstanceProfileArn: true,
  InstanceTags: true,
};

/** Enumerations of the DRS API model (drs-service-2.json). */
export const RIGHT_SIZING_METHODS: readonly string[] = ['NONE', 'BASIC', 'IN_AWS'];
export const LAUNCH_DISPOSITIONS: readonly string[] = ['STOPPED', 'STARTED'];

/** EC2 id and value shapes (EC2 API reference); checked at synth when known and again by the handler. */
export const LaunchSettingsPatterns = {
  SUBNET_ID: /^subnet-[0-9a-f]{8,17}$/,
  SECURITY_GROUP_ID: /^sg-[0-9a-f]{8,17}$/,
  /** family.size, e.g. t3.micro, m7i-flex.large, u-6tb1.metal. */
  INSTANCE_TYPE: /^[a-z][a-z0-9-]*\.[a-z0-9-]+$/,
  INSTANCE_PROFILE_ARN: /^arn:[a-z-]+:iam::[0-9]{12}:instance-profile\/[\w+=,.@/-]+$/,
} as const;

/** EC2 allows at most 5 security groups per network interface (default quota). */
export const MAX_SECURITY_GROUPS = 5;

/** Version description of the launch template versions the handler creates. */
export const LAUNCH_TEMPLATE_VERSION_DESCRIPTION = 'cdk-drs-multi-account launch settings';

/** Parses a dotted IPv4 address into a number, or undefined. */
export function ipv4ToNumber(ip: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0] * 256 + parts[1]) * 256 + parts[2]) * 256 + parts[3];
}

/** Whether `ip` lies inside `cidr` (a.b.c.d/n); undefined when either does not parse. */
export function ipv4InCidr(ip: string, cidr: string): boolean | undefined {
  const [base, bits] = cidr.split('/');
  const n = Number(bits);
  const a = ipv4ToNumber(ip);
  const b = ipv4ToNumber(base ?? '');
  if (a === undefined || b === undefined || !Number.isInteger(n) || n < 0 || n > 32) return undefined;
  // Same network: the same quotient by the block size (arithmetic, no 32-bit bitwise pitfalls).
  const size = 2 ** (32 - n);
  return Math.floor(a / size) === Math.floor(b / size);
}

/**
 * Checks the rules between fields and each field's shape. `isKnown` says whether a value is known
 * (not a CloudFormation token); unknown values are not checked. Messages name the field as
 * `${field}.<name>` with construct-side names from `names`.
 */
export function validateLaunchSettings(
  field: string, s: LaunchSettingsProperty, isKnown: (value: string) => boolean, names: Partial<Record<keyof LaunchSettingsProperty, string>> = {},
): string[] {
  const problems: string[] = [];
  const name = (k: keyof LaunchSettingsProperty) => `${field}.${names[k] ?? k}`;
  const known = (v: string | undefined): v is string => v !== undefined && isKnown(v);
  if (known(s.RightSizing) && !RIGHT_SIZING_METHODS.includes(s.RightSizing)) {
    problems.push(`${name('RightSizing')} must be one of ${RIGHT_SIZING_METHODS.join(', ')}, got '${s.RightSizing}'`);
  }
  if (known(s.LaunchDisposition) && !LAUNCH_DISPOSITIONS.includes(s.LaunchDisposition)) {
    problems.push(`${name('LaunchDisposition')} must be one of ${LAUNCH_DISPOSITIONS.join(', ')}, got '${s.LaunchDisposition}'`);
  }
  for (const k of ['CopyPrivateIp', 'CopyTags', 'OsByol', 'PostLaunchEnabled'] as const) {
    const v = s[k];
    if (known(v) && v !== 'true' && v !== 'false') problems.push(`${name(k)} must be 'true' or 'false', got '${v}'`);
  }
  if (known(s.SubnetId) && !LaunchSettingsPatterns.SUBNET_ID.test(s.SubnetId)) {
    problems.push(`${name('SubnetId')} must be a subnet id like subnet-0123456789abcdef0, got '${s.SubnetId}'`);
  }
  if (s.SecurityGroupIds !== undefined) {
    if (s.SecurityGroupIds.length === 0 || s.SecurityGroupIds.length > MAX_SECURITY_GROUPS) {
      problems.push(`${name('SecurityGroupIds')} must list 1-${MAX_SECURITY_GROUPS} security groups, got ${s.SecurityGroupIds.length}`);
    }
    for (const id of s.SecurityGroupIds) {
      if (known(id) && !LaunchSettingsPatterns.SECURITY_GROUP_ID.test(id)) {
        problems.push(`${name('SecurityGroupIds')} must hold security group ids like sg-0123456789abcdef0, got '${id}'`);
      }
    }
  }
  if (known(s.InstanceType) && !LaunchSettingsPatterns.INSTANCE_TYPE.test(s.InstanceType)) {
    problems.push(`${name('InstanceType')} must be an EC2 instance type like t3.micro, got '${s.InstanceType}'`);
  }
  if (s.InstanceType !== undefined && s.RightSizing !== 'NONE') {
    problems.push(`${name('InstanceType')} is given but ${name('RightSizing')} is ${s.RightSizing === undefined ? 'not set' : `'${s.RightSizing}'`}: ` +
      'DRS right-sizing (BASIC or IN_AWS) overwrites the launch template\'s instance type; set right-sizing to NONE, or drop the instance type');
  }
  if (known(s.PrivateIpAddress) && ipv4ToNumber(s.PrivateIpAddress) === undefined) {
    problems.push(`${name('PrivateIpAddress')} must be an IPv4 address like 10.0.1.10, got '${s.PrivateIpAddress}'`);
  }
  if (s.PrivateIpAddress !== undefined && s.CopyPrivateIp === 'true') {
    problems.push(`${name('PrivateIpAddress')} and ${name('CopyPrivateIp')} both set the recovery instance's private IP; keep one`);
  }
  if (known(s.InstanceProfileArn) && !LaunchSettingsPatterns.INSTANCE_PROFILE_ARN.test(s.InstanceProfileArn)) {
    problems.push(`${name('InstanceProfileArn')} must be an instance profile ARN, got '${s.InstanceProfileArn}'`);
  }
  if (s.InstanceTags !== undefined) {
    const keys = Object.keys(s.InstanceTags);
    if (keys.length > 50) problems.push(`${name('InstanceTags')} has ${keys.length} tags; EC2 allows 50`);
    for (const key of keys) {
      if (!isKnown(key)) continue;
      if (key.length === 0 || key.length > 128) problems.push(`${name('InstanceTags')} key '${key}' must be 1-128 characters long`);
      if (key.toLowerCase().startsWith('aws:')) problems.push(`${name('InstanceTags')} key '${key}' uses the reserved prefix 'aws:'; choose another key`);
      const v = s.InstanceTags[key];
      if (typeof v !== 'string' || v.length > 256) problems.push(`${name('InstanceTags')} value for '${key}' must be a string of at most 256 characters`);
    }
  }
  return problems;
}
