import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Annotations, App, Aspects, BootstraplessSynthesizer, IAspect, Lazy, Stack } from 'aws-cdk-lib';
import { Annotations as AnnotationsAssert, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';
import {
  ReplicationEbsEncryption, StackSetCallAs, StackSetTemplateDelivery, StagingAccountTrust, StagingTrustStackSet, StagingTrustStackSetProps,
} from '../../src';
import { CDK_NAG_2_METADATA_CONTEXT } from '../../src/common/nag';
import { trustFromTemplates } from '../local-drs/trust';

const TARGET = '222222222222';
const OU = 'ou-ab12-cdef3456';

const MANAGEMENT_ENV = { account: '999999999999', region: 'eu-west-1' };

function targets(n: number): string[] {
  return Array.from({ length: n }, (_, i) => String(300000000000 + i));
}

function managementStack(env: { account: string; region: string } | undefined = MANAGEMENT_ENV): Stack {
  return new Stack(new App(), 'Management', { env });
}

function stackSetOf(stack: Stack): Record<string, any> {
  const resources = Template.fromStack(stack).findResources('AWS::CloudFormation::StackSet');
  expect(Object.keys(resources)).toHaveLength(1);
  return Object.values(resources)[0].Properties;
}

function build(props: Partial<StagingTrustStackSetProps> = {}, stack = managementStack()): StagingTrustStackSet {
  return new StagingTrustStackSet(stack, 'StagingTrust', { targetAccounts: [TARGET], organizationalUnitIds: [OU], ...props });
}

describe('StagingTrustStackSet', () => {
  test('a service-managed StackSet that deploys to the OUs automatically, in the stack\'s Region', () => {
    const set = build();
    const props = stackSetOf(Stack.of(set));
    expect(props).toEqual({
      StackSetName: 'Management-StagingTrust-EEAF0F35',
      Description: `DRS staging-account trust for target accounts ${TARGET} (cdk-drs-multi-account)`,
      PermissionModel: 'SERVICE_MANAGED',
      CallAs: 'SELF',
      AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: false },
      Capabilities: ['CAPABILITY_NAMED_IAM'],
      ManagedExecution: { Active: true },
      OperationPreferences: { MaxConcurrentPercentage: 100, FailureTolerancePercentage: 0 },
      StackInstancesGroup: [{ DeploymentTargets: { OrganizationalUnitIds: [OU] }, Regions: ['eu-west-1'] }],
      TemplateBody: set.templateBody,
    });
    expect(set.stackSetName).toBe('Management-StagingTrust-EEAF0F35');
    expect(Stack.of(set).resolve(set.stackSetId)).toEqual({ 'Fn::GetAtt': [Stack.of(set).getLogicalId(set.stackSet), 'StackSetId'] });
  });

  test('the template is exactly what StagingAccountTrust synthesizes, without bootstrap parameters or metadata', () => {
    const set = build({ targetAccounts: [TARGET, '333333333333'] });
    const body = JSON.parse(set.templateBody);

    const plain = new Stack(new App({ context: { [CDK_NAG_2_METADATA_CONTEXT]: false } }), 'DrsStagingAccountTrust');
    new StagingAccountTrust(plain, 'Trust', { targetAccounts: [TARGET, '333333333333'] });
    expect(body).toEqual({
      Description: 'DRS staging-account trust (cdk-drs-multi-account, deployed by a StackSet)',
      Resources: Template.fromStack(plain).toJSON().Resources,
    });
    expect(Object.values<any>(body.Resources).map((r) => r.Properties.RoleName))
      .toEqual([`DRSStagingAccountRole_${TARGET}`, 'DRSStagingAccountRole_333333333333']);
    // Compact JSON: the size limit counts every byte.
    expect(set.templateBody).not.toContain('\n');
  });

  test('path and version metadata stay out of the template even when the CDK CLI asks for them', () => {
    const saved = process.env.CDK_CONTEXT_JSON;
    process.env.CDK_CONTEXT_JSON = JSON.stringify({ 'aws:cdk:enable-path-metadata': true, 'aws:cdk:version-reporting': true });
    try {
      const body = JSON.parse(build().templateBody);
      expect(Object.keys(body).sort()).toEqual(['Description', 'Resources']);
      for (const resource of Object.values<any>(body.Resources)) expect(resource.Metadata).toBeUndefined();
    } finally {
      if (saved === undefined) delete process.env.CDK_CONTEXT_JSON;
      else process.env.CDK_CONTEXT_JSON = saved;
    }
  });

  test('options: delegated administrator, Region, name, retention, concurrency', () => {
    const set = build({
      callAs: StackSetCallAs.DELEGATED_ADMIN,
      region: 'us-west-2',
      stackSetName: 'drs-staging-trust',
      retainStacksOnAccountRemoval: true,
      maxConcurrentPercentage: 25,
      failureTolerancePercentage: 10,
      organizationalUnitIds: ['r-ab12', 'ou-ab12-00000000'],
    });
    expect(stackSetOf(Stack.of(set))).toMatchObject({
      StackSetName: 'drs-staging-trust',
      CallAs: 'DELEGATED_ADMIN',
      AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: true },
      OperationPreferences: { MaxConcurrentPercentage: 25, FailureTolerancePercentage: 10 },
      StackInstancesGroup: [{ DeploymentTargets: { OrganizationalUnitIds: ['r-ab12', 'ou-ab12-00000000'] }, Regions: ['us-west-2'] }],
    });
  });

  test('an environment-agnostic stack deploys the instances in its own Region', () => {
    const set = build({}, new Stack(new App(), 'Management'));
    expect(stackSetOf(Stack.of(set)).StackInstancesGroup[0].Regions).toEqual([{ Ref: 'AWS::Region' }]);
  });

  test('many target accounts are counted in the description (at most 1024 characters)', () => {
    expect(stackSetOf(Stack.of(build({ targetAccounts: targets(11) }))).Description)
      .toBe('DRS staging-account trust for 11 target accounts (cdk-drs-multi-account)');
  });

  test('the template is synthesized in a temporary directory that is removed, never in the CLI\'s outdir', () => {
    const stack = managementStack();
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'stack-set-test-'));
    const saved = process.env.CDK_OUTDIR;
    process.env.CDK_OUTDIR = path.join(tmp, 'cli-outdir');
    const outdirs: string[] = [];
    const original = App.prototype.synth;
    const spy = jest.spyOn(App.prototype, 'synth').mockImplementation(function (this: App, options) {
      outdirs.push(this.outdir);
      return original.call(this, options);
    });
    try {
      build({}, stack);
      expect(outdirs).toHaveLength(1);
      expect(path.dirname(outdirs[0])).toBe(os.tmpdir());
      expect(path.basename(outdirs[0])).toMatch(/^cdk-drs-stack-set-/);
      expect(fs.existsSync(outdirs[0])).toBe(false);
      expect(fs.readdirSync(tmp)).toEqual([]);
    } finally {
      spy.mockRestore();
      if (saved === undefined) delete process.env.CDK_OUTDIR;
      else process.env.CDK_OUTDIR = saved;
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  test('warnings and errors of the trust template are reported on the StackSet', () => {
    // A stand-in for whatever StagingAccountTrust may warn about: an aspect on every new App.
    class Warn implements IAspect {
      visit(node: IConstruct): void {
        if (node instanceof iam.Role) {
          Annotations.of(node).addWarningV2('test:warning', 'role warning');
          Annotations.of(node).addError('role error');
        }
      }
    }
    const stack = managementStack();
    const original = App.prototype.synth;
    const spy = jest.spyOn(App.prototype, 'synth').mockImplementation(function (this: App, options) {
      if (this.node.tryFindChild('DrsStagingAccountTrust')) Aspects.of(this).add(new Warn());
      return original.call(this, options);
    });
    try {
      build({}, stack);
    } finally {
      spy.mockRestore();
    }
    const annotations = AnnotationsAssert.fromStack(stack);
    annotations.hasWarning('/Management/StagingTrust', Match.stringLikeRegexp('role warning'));
    annotations.hasError('/Management/StagingTrust', Match.stringLikeRegexp('role error'));
  });

  test('StagingAccountTrust\'s options pass through: its warnings reach the app, its extra roles the template', () => {
    const set = build({ replicationEbsEncryption: ReplicationEbsEncryption.DEFAULT, failbackAndRightSizingRoles: true });
    AnnotationsAssert.fromStack(Stack.of(set)).hasWarning('/Management/StagingTrust',
      Match.stringLikeRegexp('replicationEbsEncryption is DEFAULT'));

    const plain = new Stack(new App({ context: { [CDK_NAG_2_METADATA_CONTEXT]: false } }), 'DrsStagingAccountTrust');
    new StagingAccountTrust(plain, 'Trust', { targetAccounts: [TARGET], failbackAndRightSizingRoles: true });
    const body = JSON.parse(set.templateBody);
    expect(body.Resources).toEqual(Template.fromStack(plain).toJSON().Resources);
    expect(Object.keys(body.Resources).length).toBeGreaterThan(1);
  });

  test('inline up to 51,200 bytes; INLINE above that fails at synth and says what to do', () => {
    const set = build({ targetAccounts: targets(60) });
    expect(Buffer.byteLength(set.templateBody)).toBeLessThanOrEqual(51_200);
    expect(set.templateDelivery).toBe(StackSetTemplateDelivery.INLINE);
    expect(set.templateUrl).toBeUndefined();
    expect(stackSetOf(Stack.of(set)).TemplateURL).toBeUndefined();
    expect(() => build({ targetAccounts: targets(70), templateDelivery: StackSetTemplateDelivery.INLINE }))
      .toThrow(/^StagingTrustStackSet Management\/StagingTrust: the trust template for 70 target accounts is \d+ bytes, more than the 51200 bytes .* use templateDelivery StackSetTemplateDelivery.ASSET \(or leave it out\), or split targetAccounts across several StagingTrustStackSets$/);
  });

  describe('at DRS\'s limit of 100 target accounts', () => {
    const outdirs: string[] = [];
    afterAll(() => outdirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
    function synth100(extra: Partial<StagingTrustStackSetProps> = {}) {
      const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'stack-set-100-'));
      outdirs.push(outdir);
      const stack = new Stack(new App({ outdir }), 'Management', { env: MANAGEMENT_ENV });
      const set = build({ targetAccounts: targets(100), ...extra }, stack);
      (stack.node.root as App).synth();
      return { set, stack, outdir };
    }

    test.each([
      ['the trust roles', {}, 100],
      ['the trust and the failback roles', { failbackAndRightSizingRoles: true }, 400],
    ])('%s: the template goes into the bootstrap bucket as a file asset, and TemplateURL points to it', (_label, extra, resources) => {
      const { set, stack, outdir } = synth100(extra);
      expect(set.templateDelivery).toBe(StackSetTemplateDelivery.ASSET);
      const props = stackSetOf(stack);
      expect(props.TemplateBody).toBeUndefined();

      // The asset the CLI publishes: this very template, in the management account's bootstrap bucket.
      const manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'Management.assets.json'), 'utf8'));
      const entries = Object.entries<any>(manifest.files).filter(([, f]) => f.source.path.endsWith('.stack-set.template.json'));
      expect(entries).toHaveLength(1);
      const [hash, file] = entries[0];
      expect(file.source.packaging).toBe('file');
      expect(fs.readFileSync(path.join(outdir, file.source.path), 'utf8')).toBe(set.templateBody);
      const destination: any = Object.values(file.destinations)[0];
      expect(destination).toMatchObject({ bucketName: 'cdk-hnb659fds-assets-999999999999-eu-west-1', objectKey: `${hash}.json` });
      expect(props.TemplateURL).toEqual({
        'Fn::Sub': `https://s3.eu-west-1.\${AWS::URLSuffix}/cdk-hnb659fds-assets-999999999999-eu-west-1/${hash}.json`,
      });

      // Every target account gets its role; within CloudFormation's template limits.
      const body = JSON.parse(set.templateBody);
      expect(Object.keys(body.Resources)).toHaveLength(resources);
      const names = Object.values<any>(body.Resources).map((r) => r.Properties.RoleName).filter((n) => n.startsWith('DRSStagingAccountRole_'));
      expect(names.sort()).toEqual(targets(100).map((t) => `DRSStagingAccountRole_${t}`).sort());
      expect(Buffer.byteLength(set.templateBody)).toBeLessThanOrEqual(1_048_576);
      expect(Buffer.byteLength(set.templateBody)).toBeGreaterThan(51_200);
      expect(props.Description).toBe('DRS staging-account trust for 100 target accounts (cdk-drs-multi-account)');
    });

    test('a staging account with the uploaded template trusts each of the 100 targets (local DRS trust evaluation), and no other', () => {
      const { set } = synth100();
      const staging = '111111111111';
      const trust = trustFromTemplates([{ account: staging, region: 'eu-west-1', template: JSON.parse(set.templateBody) }]);
      const query = (target: string) => ({
        stagingAccount: staging,
        targetAccount: target,
        region: 'eu-west-1',
        partition: 'aws',
        stagingSourceServerArn: `arn:aws:drs:eu-west-1:${staging}:source-server/s-0123456789abcdef0`,
      });
      const decisions = targets(100).map((t) => trust(query(t)));
      expect(decisions.filter((d) => !d.trusted)).toEqual([]);
      expect(trust(query('300000000100')).trusted).toBe(false);
    });

    test('101 target accounts are refused: DRS trusts at most 100 per staging account', () => {
      expect(() => build({ targetAccounts: targets(101) })).toThrow(/targetAccounts.*100/);
    });

    test('ASSET can be chosen for a small trust too; a stack without file assets is told what to do', () => {
      const small = build({ templateDelivery: StackSetTemplateDelivery.ASSET });
      expect(stackSetOf(Stack.of(small)).TemplateURL).toBeDefined();
      const bootstrapless = new Stack(new App(), 'Management', { env: MANAGEMENT_ENV, synthesizer: new BootstraplessSynthesizer() });
      expect(() => build({ targetAccounts: targets(100) }, bootstrapless))
        .toThrow('StagingTrustStackSet Management/StagingTrust: templateDelivery ASSET needs a stack synthesizer with file assets');
    });
  });

  test.each([
    [{ organizationalUnitIds: [] }, 'organizationalUnitIds must list at least one OU id or the root id'],
    [{ organizationalUnitIds: ['ou-AB12-cdef3456'] }, "organizationalUnitIds[0] must be an OU id like ou-ab12-cdef3456 or a root id like r-ab12, got 'ou-AB12-cdef3456'"],
    [{ organizationalUnitIds: ['123456789012'] }, "organizationalUnitIds[0] must be an OU id like ou-ab12-cdef3456 or a root id like r-ab12, got '123456789012'"],
    [{ organizationalUnitIds: [OU, OU] }, `organizationalUnitIds lists '${OU}' more than once`],
    [{ region: 'us-east' }, "region must be an AWS Region like us-east-1, got 'us-east'"],
    [{ stackSetName: '1-trust' }, "stackSetName must start with a letter and contain only letters, digits and hyphens (at most 128), got '1-trust'"],
    [{ stackSetName: 'a'.repeat(129) }, 'stackSetName must start with a letter'],
    [{ maxConcurrentPercentage: 0 }, 'maxConcurrentPercentage must be a whole number from 1 to 100, got 0'],
    [{ failureTolerancePercentage: 100.5 }, 'failureTolerancePercentage must be a whole number from 0 to 100, got 100.5'],
    [{ targetAccounts: ['2222'] }, "targetAccounts[0] must be a 12-digit AWS account id, got '2222'"],
    [{ targetAccounts: [] }, 'targetAccounts must list at least one account'],
    [{ targetAccounts: [Lazy.string({ produce: () => TARGET })] }, 'targetAccounts must be known at synth'],
  ])('rejects %j at synth', (props, message) => {
    expect(() => build(props)).toThrow(`StagingTrustStackSet Management/StagingTrust: ${message}`);
  });

  test.each(['us-gov-west-1', 'cn-northwest-1', 'ap-southeast-5', 'us-isob-east-1'])('accepts the Region %s', (region) => {
    expect(stackSetOf(Stack.of(build({ region }))).StackInstancesGroup[0].Regions).toEqual([region]);
  });
});
