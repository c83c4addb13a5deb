/**
 * Launch settings (issue 17): parses the `LaunchSettings` property and applies it to one source
 * server the stack owns. Callers check ownership first; nothing here looks at tags.
 *
 * What DRS documents (AWS Elastic Disaster Recovery User Guide):
 * - "Launch settings ... are composed of DRS launch settings and EC2 launch template"
 *   (launching-target-servers.html); DRS keeps one EC2 launch template per source server, whose id
 *   GetLaunchConfiguration returns as `ec2LaunchTemplateID`.
 * - The EC2 launch template is changed the EC2 way: launch templates are immutable, so a change is
 *   a new version, set as the default version (EC2 User Guide, manage-launch-template-versions.html;
 *   DRS launches from the default version).
 * - "Key considerations for EC2 launch templates" (ec2-key-considerations.html): DRS uses the
 *   template's instance type unless instance type right-sizing is active, which overrides it
 *   (so an instance type is written only with right-sizing NONE, and the DRS launch
 *   configuration is updated before the template); with Copy private IP the IP must be inside the
 *   subnet's CIDR; DRS manages the primary network interface (device index 0), so the subnet,
 *   security groups and private IP go on that interface; the template name and device names must
 *   not be altered (they are not touched here).
 * - "Default AWS DRS launch settings" (default-drs-launch-settings.html): with right-sizing
 *   active, "any modification you make to the instance type in the EC2 launch template are
 *   overwritten by the service".
 *
 * Calls per server: GetLaunchConfiguration always; UpdateLaunchConfiguration when a declared DRS
 * field differs; DescribeLaunchTemplateVersions when an EC2 field is declared; then
 * CreateLaunchTemplateVersion + ModifyLaunchTemplate when a declared EC2 field differs. A server
 * already as declared costs 1 or 2 reads.
 */
import { createHash } from 'crypto';
import { HandlerError } from '../../aws/drs/errors';
import { DrsClient, GetLaunchConfigurationCommand, LaunchConfiguration, UpdateLaunchConfigurationCommand, UpdateLaunchConfigurationRequest } from '../../aws/drs/sdk';
import {
  CreateLaunchTemplateVersionCommand,
  DescribeLaunchTemplateVersionsCommand,
  EC2Client,
  LaunchTemplateInstanceNetworkInterfaceSpecificationRequest,
  LaunchTemplateTagSpecificationRequest,
  ModifyLaunchTemplateCommand,
  RequestLaunchTemplateData,
} from '../../aws/ec2/sdk';
import { Logger, silentLogger } from '../../common/runtime/log';
import {
  LAUNCH_SETTINGS_FIELDS,
  LAUNCH_TEMPLATE_VERSION_DESCRIPTION,
  LaunchSettingsProperty,
  validateLaunchSettings,
} from '../../contract';

/** Parsed launch settings: what to write, in the APIs' own shapes. Absent fields are left as they are. */
export interface LaunchSettingsInput {
  /** Fields for UpdateLaunchConfiguration (without sourceServerID); empty when none are declared. */
  readonly drs: Omit<UpdateLaunchConfigurationRequest, 'sourceServerID'>;
  readonly ec2: {
    readonly subnetId?: string;
    readonly securityGroupIds?: readonly string[];
    readonly privateIpAddress?: string;
    readonly instanceType?: string;
    readonly instanceProfileArn?: string;
    readonly instanceTags?: Readonly<Record<string, string>>;
  };
}

const bool = (v: string | undefined) => (v === undefined ? undefined : v === 'true');

/**
 * Parses the `LaunchSettings` property; undefined when absent. Problems (naming
 * `LaunchSettings.<field>`) go into `problems`.
 */
export function parseLaunchSettings(raw: unknown, problems: string[]): LaunchSettingsInput | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    problems.push(`LaunchSettings must be an object, got ${JSON.stringify(raw)}`);
    return undefined;
  }
  const r = raw as Record<string, unknown>;
  const before = problems.length;
  for (const key of Object.keys(r)) {
    if (!Object.prototype.hasOwnProperty.call(LAUNCH_SETTINGS_FIELDS, key)) {
      problems.push(`unknown property 'LaunchSettings.${key}' (expected ${Object.keys(LAUNCH_SETTINGS_FIELDS).join(', ')})`);
    }
  }
  for (const [key, value] of Object.entries(r)) {
    if (key === 'SecurityGroupIds') {
      if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) problems.push('LaunchSettings.SecurityGroupIds must be a list of strings');
    } else if (key === 'InstanceTags') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) problems.push('LaunchSettings.InstanceTags must be a map of key to value');
    } else if (typeof value !== 'string') {
      problems.push(`LaunchSettings.${key} must be a string, got ${JSON.stringify(value)}`);
    }
  }
  if (problems.length > before) return undefined;
  const s = r as LaunchSettingsProperty;
  const found = validateLaunchSettings('LaunchSettings', s, () => true);
  problems.push(...found);
  if (found.length > 0) return undefined;
  const drs: Record<string, unknown> = {
    targetInstanceTypeRightSizingMethod: s.RightSizing,
    copyPrivateIp: bool(s.CopyPrivateIp),
    copyTags: bool(s.CopyTags),
    launchDisposition: s.LaunchDisposition,
    licensing: s.OsByol === undefined ? undefined : { osByol: s.OsByol === 'true' },
    postLaunchEnabled: bool(s.PostLaunchEnabled),
  };
  const ec2: Record<string, unknown> = {
    subnetId: s.SubnetId,
    securityGroupIds: s.SecurityGroupIds && [...s.SecurityGroupIds],
    privateIpAddress: s.PrivateIpAddress,
    instanceType: s.InstanceType,
    instanceProfileArn: s.InstanceProfileArn,
    instanceTags: s.InstanceTags && { ...s.InstanceTags },
  };
  const defined = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  return { drs: defined(drs), ec2: defined(ec2) };
}

/** Whether two parsed settings ask for the same (undefined = no settings). */
export function sameLaunchSettings(a: LaunchSettingsInput | undefined, b: LaunchSettingsInput | undefined): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

/** What applying needs: the clients and the lifecycle's retrying call. */
export interface LaunchSettingsDeps {
  readonly drs: DrsClient;
  /** Needed only when EC2 fields are declared. */
  readonly ec2?: EC2Client;
  readonly call: <T>(operation: string, fn: () => Promise<T>) => Promise<T>;
  /** Wraps a failed call into the error to report. */
  readonly failure: (operation: string, err: unknown) => Error;
  readonly log?: Logger;
}

/** What an application did (for logs, tests and the issue's call counts). */
export interface LaunchSettingsOutcome {
  readonly drsUpdated: boolean;
  /** The new default version, when one was created. */
  readonly templateVersion?: number;
  readonly calls: readonly string[];
}

/** The DRS fields declared in `wanted` that differ in `current`. */
export function drsChanges(wanted: LaunchSettingsInput['drs'], current: LaunchConfiguration): Partial<LaunchSettingsInput['drs']> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(wanted)) {
    if (canonical(value) !== canonical((current as Record<string, unknown>)[key])) out[key] = value;
  }
  return out;
}

type TemplateData = NonNullable<import('../../aws/ec2/sdk').LaunchTemplateVersion['LaunchTemplateData']>;

/**
 * The launch-template data to write for `wanted` over the default version's `current` data,
 * or undefined when the current data already is as declared. Only the declared fields change;
 * the new version is created from the current default (SourceVersion), so the rest is kept.
 */
export function templateChanges(wanted: LaunchSettingsInput['ec2'], current: TemplateData): RequestLaunchTemplateData | undefined {
  const out: RequestLaunchTemplateData = {};
  let changed = false;
  if (wanted.instanceType !== undefined && current.InstanceType !== wanted.instanceType) {
    out.InstanceType = wanted.instanceType as RequestLaunchTemplateData['InstanceType'];
    changed = true;
  }
  if (wanted.instanceProfileArn !== undefined && current.IamInstanceProfile?.Arn !== wanted.instanceProfileArn) {
    out.IamInstanceProfile = { Arn: wanted.instanceProfileArn };
    changed = true;
  }
  if (wanted.subnetId !== undefined || wanted.securityGroupIds !== undefined || wanted.privateIpAddress !== undefined) {
    const interfaces = (current.NetworkInterfaces ?? []) as LaunchTemplateInstanceNetworkInterfaceSpecificationRequest[];
    const primary = interfaces.find((n) => (n.DeviceIndex ?? 0) === 0);
    const next: LaunchTemplateInstanceNetworkInterfaceSpecificationRequest = { ...(primary ?? {}), DeviceIndex: 0 };
    if (wanted.subnetId !== undefined) next.SubnetId = wanted.subnetId;
    if (wanted.securityGroupIds !== undefined) next.Groups = [...wanted.securityGroupIds];
    if (wanted.privateIpAddress !== undefined) {
      next.PrivateIpAddress = wanted.privateIpAddress;
      // One primary address only: a list of addresses would contradict it.
      delete next.PrivateIpAddresses;
      delete next.SecondaryPrivateIpAddressCount;
    }
    const sortedGroups = (g?: readonly string[]) => canonical([...(g ?? [])].sort());
    if (!primary || primary.SubnetId !== next.SubnetId || sortedGroups(primary.Groups) !== sortedGroups(next.Groups) ||
      primary.PrivateIpAddress !== next.PrivateIpAddress) {
      // The whole list is written (a launch template field replaces the source version's), with the
      // other interfaces as they were.
      out.NetworkInterfaces = [next, ...interfaces.filter((n) => n !== primary)];
      changed = true;
    }
  }
  if (wanted.instanceTags !== undefined) {
    const specs = (current.TagSpecifications ?? []) as LaunchTemplateTagSpecificationRequest[];
    const instanceSpec = specs.find((t) => t.ResourceType === 'instance');
    const tagsOf = (tags?: { Key?: string; Value?: string }[]) => canonical(Object.fromEntries((tags ?? []).map((t) => [t.Key, t.Value])));
    if (tagsOf(instanceSpec?.Tags) !== canonical(wanted.instanceTags)) {
      const tags = Object.entries(wanted.instanceTags).map(([Key, Value]) => ({ Key, Value }));
      out.TagSpecifications = [
        ...specs.filter((t) => t.ResourceType !== 'instance'),
        ...(tags.length > 0 ? [{ ResourceType: 'instance' as const, Tags: tags }] : []),
      ];
      changed = true;
    }
  }
  return changed ? out : undefined;
}

/**
 * Applies `settings` to the owned server `sourceServerId`: the DRS launch configuration first
 * (right-sizing must be NONE before an instance type is written), then a new version of the
 * server's EC2 launch template, made the default. Idempotent: fields already as declared are not
 * written, and a retried CreateLaunchTemplateVersion carries the same client token.
 */
export async function applyLaunchSettings(
  deps: LaunchSettingsDeps, sourceServerId: string, settings: LaunchSettingsInput,
): Promise<LaunchSettingsOutcome> {
  const log = deps.log ?? silentLogger;
  const calls: string[] = [];
  const run = async <T>(operation: string, fn: () => Promise<T>): Promise<T> => {
    calls.push(operation);
    try {
      return await deps.call(operation, fn);
    } catch (err) {
      throw deps.failure(operation, err);
    }
  };
  const config = await run('GetLaunchConfiguration', () => deps.drs.send(new GetLaunchConfigurationCommand({ sourceServerID: sourceServerId })));
  const drsDue = drsChanges(settings.drs, config);
  let drsUpdated = false;
  if (Object.keys(drsDue).length > 0) {
    await run('UpdateLaunchConfiguration', () => deps.drs.send(new UpdateLaunchConfigurationCommand({ sourceServerID: sourceServerId, ...drsDue })));
    drsUpdated = true;
    log('updated the DRS launch configuration', { sourceServerId, fields: Object.keys(drsDue) });
  }
  if (Object.keys(settings.ec2).length === 0) return { drsUpdated, calls };

  const templateId = config.ec2LaunchTemplateID;
  if (!templateId) {
    throw new HandlerError(`GetLaunchConfiguration for ${sourceServerId} returned no ec2LaunchTemplateID: DRS has not made the server's ` +
      'EC2 launch template yet; deploy again in a few minutes');
  }
  const ec2 = deps.ec2;
  if (!ec2) throw new HandlerError('launch settings for the EC2 launch template need an EC2 client, and the handler has none');
  const described = await run('DescribeLaunchTemplateVersions', () =>
    ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: templateId, Versions: ['$Default'] })));
  const current = described.LaunchTemplateVersions?.[0];
  if (current?.VersionNumber === undefined) {
    throw new HandlerError(`launch template ${templateId} of ${sourceServerId} has no default version`);
  }
  const data = templateChanges(settings.ec2, current.LaunchTemplateData ?? {});
  if (!data) return { drsUpdated, calls };
  const sourceVersion = String(current.VersionNumber);
  // The same request gets the same token: a retry after a lost answer creates no second version.
  const clientToken = createHash('sha256').update(canonical({ templateId, sourceVersion, data })).digest('hex').slice(0, 64);
  const created = await run('CreateLaunchTemplateVersion', () => ec2.send(new CreateLaunchTemplateVersionCommand({
    LaunchTemplateId: templateId,
    SourceVersion: sourceVersion,
    VersionDescription: LAUNCH_TEMPLATE_VERSION_DESCRIPTION,
    LaunchTemplateData: data,
    ClientToken: clientToken,
  })));
  const version = created.LaunchTemplateVersion?.VersionNumber;
  if (version === undefined) throw new HandlerError(`CreateLaunchTemplateVersion on ${templateId} returned no version number`);
  await run('ModifyLaunchTemplate', () => ec2.send(new ModifyLaunchTemplateCommand({ LaunchTemplateId: templateId, DefaultVersion: String(version) })));
  log('set a new default launch template version', { sourceServerId, launchTemplateId: templateId, version, fields: Object.keys(data) });
  return { drsUpdated, templateVersion: version, calls };
}
