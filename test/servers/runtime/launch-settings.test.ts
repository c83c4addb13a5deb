import {
  CreateExtendedSourceServerCommand,
  DescribeSourceServersCommand,
  DrsClient,
  GetLaunchConfigurationCommand,
  UpdateLaunchConfigurationCommand,
} from '@aws-sdk/client-drs';
import {
  CreateLaunchTemplateVersionCommand,
  DescribeLaunchTemplateVersionsCommand,
  EC2Client,
  ModifyLaunchTemplateCommand,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { HandlerError } from '../../../src/aws/drs/errors';
import { LaunchSettingsProperty } from '../../../src/contract';
import { createExtendedSourceServer, updateExtendedSourceServer } from '../../../src/servers/runtime/extended-source-server';
import {
  applyLaunchSettings, LaunchSettingsDeps, LaunchSettingsInput, parseLaunchSettings, sameLaunchSettings, templateChanges,
} from '../../../src/servers/runtime/launch-settings';
import { parseExtendedSourceServerProperties, PropertyError } from '../../../src/servers/runtime/properties';
import {
  extendedServer, FakeClock, input, lifecycleOptions, OWNER, REGION, SERVER_ID, STAGING, STAGING_ARN,
} from '../../support/handler-fixtures';

const drs = mockClient(DrsClient);
const ec2 = mockClient(EC2Client);
const drsClient = new DrsClient({ region: REGION });
const ec2Client = new EC2Client({ region: REGION });
const TEMPLATE = 'lt-0123456789abcdef0';

beforeEach(() => {
  drs.reset();
  ec2.reset();
});

function parse(raw: LaunchSettingsProperty): LaunchSettingsInput {
  const problems: string[] = [];
  const out = parseLaunchSettings(raw, problems);
  expect(problems).toEqual([]);
  return out!;
}

const FULL: LaunchSettingsProperty = {
  RightSizing: 'NONE',
  CopyPrivateIp: 'false',
  CopyTags: 'true',
  LaunchDisposition: 'STARTED',
  OsByol: 'true',
  PostLaunchEnabled: 'false',
  SubnetId: 'subnet-0aaaaaaaaaaaaaaa1',
  SecurityGroupIds: ['sg-0bbbbbbbbbbbbbbb1'],
  PrivateIpAddress: '10.0.1.20',
  InstanceType: 't3.large',
  InstanceProfileArn: 'arn:aws:iam::222222222222:instance-profile/recovery',
  InstanceTags: { app: 'web' },
};

/** DRS's template as made for a new server (a guess: test/local-drs/README.md). */
const DEFAULT_DATA: any = {
  InstanceType: 'm5.xlarge',
  NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: 'subnet-0ddddddddddddddd1', Groups: ['sg-0ddddddddddddddd1'], AssociatePublicIpAddress: false }],
  TagSpecifications: [{ ResourceType: 'volume' as const, Tags: [{ Key: 'v', Value: '1' }] }],
};

function world(config: Record<string, unknown> = {}, data: Record<string, unknown> = DEFAULT_DATA, version = 1) {
  drs.on(GetLaunchConfigurationCommand).resolves({
    sourceServerID: SERVER_ID,
    ec2LaunchTemplateID: TEMPLATE,
    targetInstanceTypeRightSizingMethod: 'BASIC',
    copyPrivateIp: false,
    copyTags: false,
    launchDisposition: 'STOPPED',
    licensing: { osByol: false },
    postLaunchEnabled: true,
    ...config,
  });
  drs.on(UpdateLaunchConfigurationCommand).resolves({});
  ec2.on(DescribeLaunchTemplateVersionsCommand).resolves({
    LaunchTemplateVersions: [{ LaunchTemplateId: TEMPLATE, VersionNumber: version, DefaultVersion: true, LaunchTemplateData: data }],
  });
  ec2.on(CreateLaunchTemplateVersionCommand).resolves({ LaunchTemplateVersion: { VersionNumber: version + 1 } });
  ec2.on(ModifyLaunchTemplateCommand).resolves({});
}

function deps(overrides: Partial<LaunchSettingsDeps> = {}): LaunchSettingsDeps {
  return { drs: drsClient, ec2: ec2Client, call: (_op, fn) => fn(), failure: (op, err) => new HandlerError(`${op}: ${(err as Error).message}`), ...overrides };
}

describe('parseLaunchSettings', () => {
  test('maps the contract onto the DRS and EC2 shapes, leaving absent fields out', () => {
    expect(parse(FULL)).toEqual({
      drs: {
        targetInstanceTypeRightSizingMethod: 'NONE',
        copyPrivateIp: false,
        copyTags: true,
        launchDisposition: 'STARTED',
        licensing: { osByol: true },
        postLaunchEnabled: false,
      },
      ec2: {
        subnetId: FULL.SubnetId,
        securityGroupIds: FULL.SecurityGroupIds,
        privateIpAddress: '10.0.1.20',
        instanceType: 't3.large',
        instanceProfileArn: FULL.InstanceProfileArn,
        instanceTags: { app: 'web' },
      },
    });
    expect(parse({ CopyTags: 'false' })).toEqual({ drs: { copyTags: false }, ec2: {} });
  });

  test.each([
    [{ RightSizing: 'BIG' }, 'LaunchSettings.RightSizing must be one of NONE, BASIC, IN_AWS'],
    [{ InstanceType: 't3.large' }, 'LaunchSettings.InstanceType is given but LaunchSettings.RightSizing is not set'],
    [{ InstanceType: 't3.large', RightSizing: 'BASIC' }, "LaunchSettings.RightSizing is 'BASIC'"],
    [{ SubnetId: 'sub-1' }, 'LaunchSettings.SubnetId must be a subnet id'],
    [{ SecurityGroupIds: [] }, 'LaunchSettings.SecurityGroupIds must list 1-5'],
    [{ PrivateIpAddress: '10.0.300.1' }, 'LaunchSettings.PrivateIpAddress must be an IPv4 address'],
    [{ PrivateIpAddress: '10.0.0.1', CopyPrivateIp: 'true' }, 'keep one'],
    [{ CopyTags: 'yes' }, "LaunchSettings.CopyTags must be 'true' or 'false'"],
    [{ Color: 'red' }, "unknown property 'LaunchSettings.Color'"],
    [{ InstanceTags: { 'aws:x': '1' } }, 'reserved prefix'],
  ])('rejects %j naming the field', (raw, message) => {
    const problems: string[] = [];
    expect(parseLaunchSettings(raw, problems)).toBeUndefined();
    expect(problems.join('; ')).toContain(message);
  });

  test('the resource properties carry them; a bad field fails the request naming it', () => {
    const props = parseExtendedSourceServerProperties({ StagingSourceServerArn: STAGING_ARN, LaunchSettings: { CopyTags: 'true' } });
    expect(props.launchSettings).toEqual({ drs: { copyTags: true }, ec2: {} });
    expect(() => parseExtendedSourceServerProperties({ StagingSourceServerArn: STAGING_ARN, LaunchSettings: { LaunchDisposition: 'ON' } }))
      .toThrow(PropertyError);
  });

  test('sameLaunchSettings ignores key order and tells changes apart', () => {
    expect(sameLaunchSettings(parse({ CopyTags: 'true', OsByol: 'false' }), parse({ OsByol: 'false', CopyTags: 'true' }))).toBe(true);
    expect(sameLaunchSettings(parse({ CopyTags: 'true' }), parse({ CopyTags: 'false' }))).toBe(false);
    expect(sameLaunchSettings(undefined, parse({ CopyTags: 'true' }))).toBe(false);
  });
});

describe('templateChanges', () => {
  test('writes the primary interface with the declared subnet, groups and IP, keeping its other fields and the other interfaces', () => {
    const current = {
      NetworkInterfaces: [
        { DeviceIndex: 1, SubnetId: 'subnet-0eeeeeeeeeeeeeee1' },
        { DeviceIndex: 0, SubnetId: 'subnet-0ddddddddddddddd1', Groups: ['sg-0ddddddddddddddd1'], DeleteOnTermination: true, PrivateIpAddresses: [{ Primary: true, PrivateIpAddress: '10.9.9.9' }] },
      ],
    };
    const out = templateChanges(parse({ SubnetId: 'subnet-0aaaaaaaaaaaaaaa1', PrivateIpAddress: '10.0.1.20' }).ec2, current);
    expect(out).toEqual({
      NetworkInterfaces: [
        { DeviceIndex: 0, SubnetId: 'subnet-0aaaaaaaaaaaaaaa1', Groups: ['sg-0ddddddddddddddd1'], DeleteOnTermination: true, PrivateIpAddress: '10.0.1.20' },
        { DeviceIndex: 1, SubnetId: 'subnet-0eeeeeeeeeeeeeee1' },
      ],
    });
  });

  test('nothing to write when the template already is as declared (groups in any order)', () => {
    const current: any = {
      InstanceType: 't3.large',
      NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: 'subnet-0aaaaaaaaaaaaaaa1', Groups: ['sg-0bbbbbbbbbbbbbbb2', 'sg-0bbbbbbbbbbbbbbb1'] }],
      TagSpecifications: [{ ResourceType: 'instance' as const, Tags: [{ Key: 'app', Value: 'web' }] }],
    };
    const wanted = parse({
      RightSizing: 'NONE',
      InstanceType: 't3.large',
      SubnetId: 'subnet-0aaaaaaaaaaaaaaa1',
      SecurityGroupIds: ['sg-0bbbbbbbbbbbbbbb1', 'sg-0bbbbbbbbbbbbbbb2'],
      InstanceTags: { app: 'web' },
    }).ec2;
    expect(templateChanges(wanted, current)).toBeUndefined();
  });

  test('instance tags replace the instance tag specification and keep the others', () => {
    expect(templateChanges(parse({ InstanceTags: { app: 'web' } }).ec2, DEFAULT_DATA)).toEqual({
      TagSpecifications: [DEFAULT_DATA.TagSpecifications[0], { ResourceType: 'instance', Tags: [{ Key: 'app', Value: 'web' }] }],
    });
  });
});

describe('applyLaunchSettings', () => {
  test('everything declared: DRS first, then a new template version from the default one, set as the default', async () => {
    world();
    const outcome = await applyLaunchSettings(deps(), SERVER_ID, parse(FULL));

    expect(outcome).toEqual({
      drsUpdated: true,
      templateVersion: 2,
      calls: ['GetLaunchConfiguration', 'UpdateLaunchConfiguration', 'DescribeLaunchTemplateVersions', 'CreateLaunchTemplateVersion', 'ModifyLaunchTemplate'],
    });
    expect(drs.commandCalls(UpdateLaunchConfigurationCommand)[0].args[0].input).toEqual({
      sourceServerID: SERVER_ID,
      targetInstanceTypeRightSizingMethod: 'NONE',
      copyTags: true,
      launchDisposition: 'STARTED',
      licensing: { osByol: true },
      postLaunchEnabled: false,
    }); // copyPrivateIp is already false: not written
    expect(ec2.commandCalls(DescribeLaunchTemplateVersionsCommand)[0].args[0].input).toEqual({ LaunchTemplateId: TEMPLATE, Versions: ['$Default'] });
    const create = ec2.commandCalls(CreateLaunchTemplateVersionCommand)[0].args[0].input;
    expect(create).toMatchObject({
      LaunchTemplateId: TEMPLATE,
      SourceVersion: '1',
      LaunchTemplateData: {
        InstanceType: 't3.large',
        IamInstanceProfile: { Arn: FULL.InstanceProfileArn },
        NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: FULL.SubnetId, Groups: FULL.SecurityGroupIds, PrivateIpAddress: '10.0.1.20', AssociatePublicIpAddress: false }],
      },
    });
    expect(create.ClientToken).toMatch(/^[0-9a-f]{64}$/);
    expect(ec2.commandCalls(ModifyLaunchTemplateCommand)[0].args[0].input).toEqual({ LaunchTemplateId: TEMPLATE, DefaultVersion: '2' });
  });

  test('a server already as declared costs two reads and no write', async () => {
    world({ targetInstanceTypeRightSizingMethod: 'NONE' }, { InstanceType: 't3.large' });
    const outcome = await applyLaunchSettings(deps(), SERVER_ID, parse({ RightSizing: 'NONE', InstanceType: 't3.large' }));
    expect(outcome.calls).toEqual(['GetLaunchConfiguration', 'DescribeLaunchTemplateVersions']);
  });

  test('DRS fields only: no EC2 call at all', async () => {
    world();
    const outcome = await applyLaunchSettings(deps({ ec2: undefined }), SERVER_ID, parse({ CopyTags: 'true' }));
    expect(outcome.calls).toEqual(['GetLaunchConfiguration', 'UpdateLaunchConfiguration']);
    expect(ec2.calls()).toHaveLength(0);
  });

  test('the same change retried carries the same client token', async () => {
    world();
    await applyLaunchSettings(deps(), SERVER_ID, parse({ SubnetId: 'subnet-0aaaaaaaaaaaaaaa1' }));
    await applyLaunchSettings(deps(), SERVER_ID, parse({ SubnetId: 'subnet-0aaaaaaaaaaaaaaa1' }));
    const tokens = ec2.commandCalls(CreateLaunchTemplateVersionCommand).map((c) => c.args[0].input.ClientToken);
    expect(tokens[0]).toBe(tokens[1]);
  });

  test('no launch template yet: a clear error, nothing written to EC2', async () => {
    world({ ec2LaunchTemplateID: undefined, targetInstanceTypeRightSizingMethod: 'NONE' });
    await expect(applyLaunchSettings(deps(), SERVER_ID, parse({ SubnetId: 'subnet-0aaaaaaaaaaaaaaa1' })))
      .rejects.toThrow(/returned no ec2LaunchTemplateID/);
    expect(ec2.calls()).toHaveLength(0);
  });

  test('a failed call is reported through the lifecycle\'s failure, naming the operation', async () => {
    world();
    ec2.on(CreateLaunchTemplateVersionCommand).rejects(Object.assign(new Error('InvalidSubnetID.NotFound'), { name: 'InvalidSubnetID.NotFound' }));
    await expect(applyLaunchSettings(deps(), SERVER_ID, parse({ SubnetId: 'subnet-0aaaaaaaaaaaaaaa1' })))
      .rejects.toThrow('CreateLaunchTemplateVersion: InvalidSubnetID.NotFound');
    expect(ec2.commandCalls(ModifyLaunchTemplateCommand)).toHaveLength(0);
  });
});

describe('in the lifecycle', () => {
  const clock = () => new FakeClock();
  const withSettings = (raw: LaunchSettingsProperty) => ({ ...input(), launchSettings: parse(raw) });

  test('create applies them once the server is EXTENDED', async () => {
    world();
    drs.on(DescribeSourceServersCommand, { filters: { stagingAccountIDs: [STAGING] } }).resolves({ items: [] });
    drs.on(CreateExtendedSourceServerCommand).resolves({ sourceServer: extendedServer() });
    await createExtendedSourceServer(drsClient, { owner: OWNER, props: withSettings({ CopyTags: 'true' }) }, lifecycleOptions(clock(), { ec2: ec2Client }));
    expect(drs.commandCalls(UpdateLaunchConfigurationCommand)).toHaveLength(1);
  });

  test('a create whose settings fail deletes the new server again', async () => {
    world();
    drs.on(UpdateLaunchConfigurationCommand).rejects(Object.assign(new Error('bad'), { name: 'ValidationException' }));
    drs.on(DescribeSourceServersCommand, { filters: { stagingAccountIDs: [STAGING] } }).resolves({ items: [] });
    drs.on(DescribeSourceServersCommand, { filters: { sourceServerIDs: [SERVER_ID] } }).resolves({ items: [extendedServer()] });
    drs.on(CreateExtendedSourceServerCommand).resolves({ sourceServer: extendedServer() });
    const err = await createExtendedSourceServer(drsClient, { owner: OWNER, props: withSettings({ CopyTags: 'true' }) },
      lifecycleOptions(clock(), { ec2: ec2Client })).catch((e) => e);
    expect((err as Error).message).toMatch(/was deleted again/);
    expect(drs.calls().map((c) => c.args[0].constructor.name)).toContain('DeleteSourceServerCommand');
  });

  test('update applies them only when they changed; removing them changes nothing', async () => {
    world();
    const server = extendedServer({ tags: { ...extendedServer().tags, team: 'dr' } });
    drs.on(DescribeSourceServersCommand, { filters: { sourceServerIDs: [SERVER_ID] } }).resolves({ items: [server] });
    const update = (props: ReturnType<typeof withSettings> | ReturnType<typeof input>, oldProps: typeof props) =>
      updateExtendedSourceServer(drsClient, { owner: OWNER, props, oldProps, physicalResourceId: SERVER_ID },
        lifecycleOptions(clock(), { ec2: ec2Client }));

    await update(withSettings({ CopyTags: 'true' }), withSettings({ CopyTags: 'true' }));
    expect(drs.commandCalls(GetLaunchConfigurationCommand)).toHaveLength(0);
    await update(withSettings({ CopyTags: 'true' }), withSettings({ CopyTags: 'false' }));
    expect(drs.commandCalls(UpdateLaunchConfigurationCommand)).toHaveLength(1);
    await update(input(), withSettings({ CopyTags: 'true' }));
    expect(drs.commandCalls(GetLaunchConfigurationCommand)).toHaveLength(1);
  });

  test('an update on a server without this resource\'s owner tags changes no launch settings', async () => {
    world();
    drs.on(DescribeSourceServersCommand, { filters: { sourceServerIDs: [SERVER_ID] } }).resolves({ items: [extendedServer({ tags: { other: 'x' } })] });
    await expect(updateExtendedSourceServer(drsClient, {
      owner: OWNER, props: withSettings({ CopyTags: 'true' }), oldProps: input(), physicalResourceId: SERVER_ID,
    }, lifecycleOptions(clock(), { ec2: ec2Client }))).rejects.toThrow(/refusing/);
    expect(drs.commandCalls(GetLaunchConfigurationCommand)).toHaveLength(0);
    expect(drs.commandCalls(UpdateLaunchConfigurationCommand)).toHaveLength(0);
  });
});
