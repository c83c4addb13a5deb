import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Annotations, App, BootstraplessSynthesizer, FileAssetPackaging, Names, Stack, Stage, Token } from 'aws-cdk-lib';
import * as cloudformation from 'aws-cdk-lib/aws-cloudformation';
import { Construct } from 'constructs';
import { StagingAccountTrust, StagingAccountTrustProps } from './staging-account-trust';
import { CDK_NAG_2_METADATA_CONTEXT } from '../common/nag';
import { checkAccountList, throwIfProblems } from '../common/validation';
import { Limits } from '../contract';

/**
 * In which capacity the StackSet is managed: from the organization's management account, or
 * from a member account registered as a delegated administrator for CloudFormation StackSets.
 */
export enum StackSetCallAs {
  /** The stack is deployed in the organization's management account. */
  SELF = 'SELF',
  /** The stack is deployed in a delegated administrator account for StackSets. */
  DELEGATED_ADMIN = 'DELEGATED_ADMIN',
}

/**
 * How the StackSet receives the template its stack instances deploy.
 */
export enum StackSetTemplateDelivery {
  /**
   * In the StackSet's `TemplateBody`: nothing to upload, but CloudFormation accepts at most
   * 51,200 bytes there (about 60 target accounts).
   */
  INLINE = 'INLINE',
  /**
   * As a file asset in the management stack's CDK bootstrap bucket, referenced by `TemplateURL`
   * (up to 1 MB: DRS's limit of 100 target accounts fits). Needs a stack synthesizer with file
   * assets (the default one, with the account bootstrapped), and the role that deploys the stack
   * must be able to read the asset (`s3:GetObject`, and `kms:Decrypt` for a bootstrap bucket key).
   */
  ASSET = 'ASSET',
}

/**
 * Properties for a `StagingTrustStackSet`: the trust (as for `StagingAccountTrust`) and where
 * the StackSet rolls it out.
 */
export interface StagingTrustStackSetProps extends StagingAccountTrustProps {
  /**
   * The organizational units (`ou-xxxx-yyyyyyyy`) or the organization root (`r-xxxx`) whose
   * accounts become staging accounts. Accounts in nested OUs are included; accounts that join
   * later get the trust automatically.
   */
  readonly organizationalUnitIds: string[];

  /**
   * The Region of the stack instances. The trust is a set of IAM roles, which are global, so
   * one Region serves DRS in every Region of the staging account (a second Region would try to
   * create the same role names again and fail).
   *
   * @default - this stack's Region
   */
  readonly region?: string;

  /**
   * Whether this stack is deployed in the management account or in a delegated administrator
   * account. The StackSet cannot be managed from any other account.
   *
   * @default StackSetCallAs.SELF
   */
  readonly callAs?: StackSetCallAs;

  /**
   * The StackSet's name (letters, digits and hyphens, starting with a letter, at most 128).
   *
   * @default - generated from the construct path
   */
  readonly stackSetName?: string;

  /**
   * Whether an account's roles stay when the account leaves the OUs. When false the roles, and
   * with them the trust, are removed.
   *
   * @default false
   */
  readonly retainStacksOnAccountRemoval?: boolean;

  /**
   * The percentage of accounts deployed at the same time (1-100).
   *
   * @default 100
   */
  readonly maxConcurrentPercentage?: number;

  /**
   * The percentage of accounts that may fail before CloudFormation stops the operation (0-100).
   *
   * @default 0
   */
  readonly failureTolerancePercentage?: number;

  /**
   * How the template reaches the StackSet.
   *
   * @default - `INLINE` while the template fits in `TemplateBody` (51,200 bytes), `ASSET` above
   */
  readonly templateDelivery?: StackSetTemplateDelivery;
}

/** CloudFormation accepts at most this many bytes in a StackSet's TemplateBody. */
const MAX_STACK_SET_TEMPLATE_BODY_BYTES = 51_200;
/** ... and at most 1 MB in a template that TemplateURL points to. */
const MAX_STACK_SET_TEMPLATE_URL_BYTES = 1_048_576;
/** Resources per CloudFormation template. */
const MAX_TEMPLATE_RESOURCES = 500;

/** AWS Organizations ids as the StackSets API accepts them (DeploymentTargets.OrganizationalUnitIds). */
const OU_ID = /^(ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}|r-[a-z0-9]{4,32})$/;
const REGION = /^[a-z]{2,4}(-[a-z]+)+-[0-9]{1,2}$/;
const STACK_SET_NAME = /^[a-zA-Z][-a-zA-Z0-9]{0,127}$/;
const INNER_STACK_ID = 'DrsStagingAccountTrust';

/**
 * Rolls the staging-account trust (the roles of `StagingAccountTrust`) out to every account of
 * some organizational units with a service-managed CloudFormation StackSet, including accounts
 * that join the OUs later.
 *
 * The StackSet's template is synthesized from `StagingAccountTrust` itself, so the roles are
 * exactly those a per-account stack would create. Deploy this stack in the organization's
 * management account (or a delegated administrator account, with
 * `callAs: StackSetCallAs.DELEGATED_ADMIN`), with trusted access for StackSets enabled in AWS
 * Organizations. StackSets never deploys to the management account itself. DRS must still be
 * initialized in each staging account.
 *
 * @example
 * import { App, Stack } from 'aws-cdk-lib';
 * import { StagingTrustStackSet } from 'cdk-drs-multi-account';
 *
 * const app = new App();
 * const management = new Stack(app, 'DrsOrgTrust', { env: { account: '999999999999', region: 'us-east-1' } });
 *
 * new StagingTrustStackSet(management, 'StagingTrust', {
 *   targetAccounts: ['222222222222'],
 *   organizationalUnitIds: ['ou-ab12-cdef3456'],
 * });
 */
export class StagingTrustStackSet extends Construct {
  /** The underlying `AWS::CloudFormation::StackSet`. */
  public readonly stackSet: cloudformation.CfnStackSet;

  /** The StackSet's name. */
  public readonly stackSetName: string;

  /**
   * The StackSet's id.
   *
   * @attribute
   */
  public readonly stackSetId: string;

  /** The trusted target accounts, as given. */
  public readonly targetAccounts: string[];

  /** The template every stack instance deploys (JSON), as synthesized from `StagingAccountTrust`. */
  public readonly templateBody: string;

  /** How the template reaches the StackSet. */
  public readonly templateDelivery: StackSetTemplateDelivery;

  /**
   * The template's URL in the bootstrap bucket, with `StackSetTemplateDelivery.ASSET`.
   *
   * @default - none: the template is inline
   */
  public readonly templateUrl?: string;

  constructor(scope: Construct, id: string, props: StagingTrustStackSetProps) {
    super(scope, id);
    throwIfProblems('StagingTrustStackSet', this, [
      ...checkConcrete('targetAccounts', props.targetAccounts),
      ...checkAccountList('targetAccounts', props.targetAccounts, Limits.MAX_TRUSTED_ACCOUNTS),
      ...checkOrganizationalUnitIds(props.organizationalUnitIds),
      ...checkRegion(props.region),
      ...checkName(props.stackSetName),
      ...checkPercentage('maxConcurrentPercentage', props.maxConcurrentPercentage, 1),
      ...checkPercentage('failureTolerancePercentage', props.failureTolerancePercentage, 0),
    ]);

    this.targetAccounts = [...props.targetAccounts];
    this.templateBody = this.synthesizeTrustTemplate(props);
    const bytes = Buffer.byteLength(this.templateBody, 'utf8');
    this.templateDelivery = props.templateDelivery
      ?? (bytes <= MAX_STACK_SET_TEMPLATE_BODY_BYTES ? StackSetTemplateDelivery.INLINE : StackSetTemplateDelivery.ASSET);
    throwIfProblems('StagingTrustStackSet', this, checkTemplateSize(this.templateBody, this.targetAccounts.length, this.templateDelivery));
    this.templateUrl = this.templateDelivery === StackSetTemplateDelivery.ASSET ? this.uploadTemplate() : undefined;

    this.stackSetName = props.stackSetName ?? Names.uniqueResourceName(this, { maxLength: 128, separator: '-' });
    this.stackSet = new cloudformation.CfnStackSet(this, 'Resource', {
      stackSetName: this.stackSetName,
      description: `DRS staging-account trust for ${describeAccounts(this.targetAccounts)} (cdk-drs-multi-account)`,
      permissionModel: 'SERVICE_MANAGED',
      callAs: props.callAs ?? StackSetCallAs.SELF,
      autoDeployment: {
        enabled: true,
        retainStacksOnAccountRemoval: props.retainStacksOnAccountRemoval ?? false,
      },
      // The roles have fixed names (DRS looks them up by name).
      capabilities: ['CAPABILITY_NAMED_IAM'],
      // Operations queue instead of failing while another one runs (e.g. an auto-deployment).
      managedExecution: { Active: true },
      operationPreferences: {
        maxConcurrentPercentage: props.maxConcurrentPercentage ?? 100,
        failureTolerancePercentage: props.failureTolerancePercentage ?? 0,
      },
      stackInstancesGroup: [{
        deploymentTargets: { organizationalUnitIds: [...props.organizationalUnitIds] },
        regions: [props.region ?? Stack.of(this).region],
      }],
      templateBody: this.templateUrl === undefined ? this.templateBody : undefined,
      templateUrl: this.templateUrl,
    });
    this.stackSetId = this.stackSet.attrStackSetId;
  }

  /**
   * Adds the template as a file asset of this stack (written into the cloud assembly now, like
   * any staged asset) and returns its URL for `TemplateURL`.
   */
  private uploadTemplate(): string {
    const stack = Stack.of(this);
    if (stack.synthesizer instanceof BootstraplessSynthesizer) {
      throw new Error(`StagingTrustStackSet ${this.node.path}: templateDelivery ASSET needs a stack synthesizer with file ` +
        "assets (the default one, with a bootstrapped account); this stack's BootstraplessSynthesizer has none. " +
        'Use templateDelivery INLINE with at most about 60 targetAccounts, or another synthesizer');
    }
    const hash = crypto.createHash('sha256').update(this.templateBody).digest('hex');
    const fileName = `asset.${hash}.stack-set.template.json`;
    const stage = Stage.of(this);
    if (!stage) throw new Error(`StagingTrustStackSet ${this.node.path}: templateDelivery ASSET needs the stack to be in an App`);
    const outdir = stage.assetOutdir;
    fs.mkdirSync(outdir, { recursive: true });
    fs.writeFileSync(path.join(outdir, fileName), this.templateBody);
    return stack.synthesizer.addFileAsset({ fileName, packaging: FileAssetPackaging.FILE, sourceHash: hash }).httpUrl;
  }

  /**
   * Synthesizes `StagingAccountTrust` in an app of its own (in a temporary directory, removed
   * afterwards) and returns its template; warnings and errors of that synthesis are reported
   * on this construct.
   */
  private synthesizeTrustTemplate(props: StagingTrustStackSetProps): string {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-drs-stack-set-'));
    try {
      const app = new App({
        outdir,
        autoSynth: false,
        analyticsReporting: false,
        treeMetadata: false,
        stackTraces: false,
        // After the CLI's context (inherited through the environment): keep the template lean.
        // No cdk-nag 2 acknowledgements either: cdk-nag checks the StackSet, not this template.
        postCliContext: { 'aws:cdk:enable-path-metadata': false, 'aws:cdk:version-reporting': false, [CDK_NAG_2_METADATA_CONTEXT]: false },
      });
      // No bootstrap version parameter or rule: the stack instances are deployed by StackSets.
      const stack = new Stack(app, INNER_STACK_ID, {
        synthesizer: new BootstraplessSynthesizer(),
        description: 'DRS staging-account trust (cdk-drs-multi-account, deployed by a StackSet)',
      });
      new StagingAccountTrust(stack, 'Trust', props);
      const artifact = app.synth().getStackArtifact(stack.artifactId);
      for (const message of artifact.messages) {
        const text = `${message.id}: ${String(message.entry.data)}`;
        if (message.level === 'error') Annotations.of(this).addError(text);
        else if (message.level === 'warning') Annotations.of(this).addWarningV2('cdk-drs-multi-account:stackSetTemplate', text);
      }
      return JSON.stringify(artifact.template);
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  }
}

function checkTemplateSize(body: string, accounts: number, delivery: StackSetTemplateDelivery): string[] {
  const bytes = Buffer.byteLength(body, 'utf8');
  const resources = Object.keys(JSON.parse(body).Resources ?? {}).length;
  const problems: string[] = [];
  if (delivery === StackSetTemplateDelivery.INLINE && bytes > MAX_STACK_SET_TEMPLATE_BODY_BYTES) {
    problems.push(`the trust template for ${accounts} target accounts is ${bytes} bytes, more than the ` +
      `${MAX_STACK_SET_TEMPLATE_BODY_BYTES} bytes CloudFormation accepts in a StackSet's TemplateBody; ` +
      'use templateDelivery StackSetTemplateDelivery.ASSET (or leave it out), or split targetAccounts across several StagingTrustStackSets');
  }
  if (bytes > MAX_STACK_SET_TEMPLATE_URL_BYTES) {
    problems.push(`the trust template for ${accounts} target accounts is ${bytes} bytes, more than the ` +
      `${MAX_STACK_SET_TEMPLATE_URL_BYTES} bytes CloudFormation accepts from a TemplateURL; split targetAccounts across several StagingTrustStackSets`);
  }
  if (resources > MAX_TEMPLATE_RESOURCES) {
    problems.push(`the trust template for ${accounts} target accounts has ${resources} resources, more than the ` +
      `${MAX_TEMPLATE_RESOURCES} of a CloudFormation template; split targetAccounts across several StagingTrustStackSets`);
  }
  return problems;
}

/** The StackSet description is limited to 1024 characters: list a few accounts, count many. */
function describeAccounts(accounts: readonly string[]): string {
  return accounts.length <= 10 ? `target accounts ${accounts.join(', ')}` : `${accounts.length} target accounts`;
}

function checkConcrete(field: string, values: readonly string[]): string[] {
  if (Token.isUnresolved(values) || values.some((v) => Token.isUnresolved(v))) {
    return [`${field} must be known at synth (the StackSet's template is rendered then), not tokens`];
  }
  return [];
}

function checkOrganizationalUnitIds(ids: readonly string[]): string[] {
  if (Token.isUnresolved(ids)) return [];
  const problems: string[] = [];
  if (ids.length === 0) problems.push('organizationalUnitIds must list at least one OU id or the root id');
  ids.forEach((id, i) => {
    if (!Token.isUnresolved(id) && !OU_ID.test(id)) {
      problems.push(`organizationalUnitIds[${i}] must be an OU id like ou-ab12-cdef3456 or a root id like r-ab12, got '${id}'`);
    }
  });
  const seen = new Set<string>();
  for (const id of ids.filter((v) => !Token.isUnresolved(v))) {
    if (seen.has(id)) problems.push(`organizationalUnitIds lists '${id}' more than once`);
    seen.add(id);
  }
  return problems;
}

function checkRegion(region: string | undefined): string[] {
  if (region === undefined || Token.isUnresolved(region) || REGION.test(region)) return [];
  return [`region must be an AWS Region like us-east-1, got '${region}'`];
}

function checkName(name: string | undefined): string[] {
  if (name === undefined || Token.isUnresolved(name) || STACK_SET_NAME.test(name)) return [];
  return [`stackSetName must start with a letter and contain only letters, digits and hyphens (at most 128), got '${name}'`];
}

function checkPercentage(field: string, value: number | undefined, min: number): string[] {
  if (value === undefined || Token.isUnresolved(value)) return [];
  if (Number.isInteger(value) && value >= min && value <= 100) return [];
  return [`${field} must be a whole number from ${min} to 100, got ${value}`];
}
