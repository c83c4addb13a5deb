import { CfnResource, CustomResource, IResource, RemovalPolicy, Resource, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { recordPerServerDeclaration } from './per-server-declarations';
import { grantOnSourceServers } from '../common/drs-actions';
import { acknowledgeFinding, acknowledgeInlinePolicy } from '../common/nag';
import {
  checkAccountId,
  checkRemovalPolicy,
  checkSingleClaimant,
  checkSourceServerId,
  checkStagingArnAgainstStack,
  checkStagingSourceServerArn,
  checkUserTags,
  stagingAccountOf,
  throwIfProblems,
} from '../common/validation';
import {
  DECLARED_TAGS_METADATA_KEY,
  ExtendedSourceServerAttributes as Attr,
  ExtendedSourceServerResourceProperties,
  OwnerTags,
  RESERVED_TAG_KEYS,
  ResourceTypes,
} from '../contract';
import { DrsHandlerProvider } from '../provider/handler-provider';

/**
 * A DRS source server in this (target) account, extended from a staging account.
 */
export interface IExtendedSourceServer extends IResource {
  /**
   * The id of the source server in this account (`s-...`).
   *
   * @attribute
   */
  readonly sourceServerId: string;

  /**
   * The ARN of the source server in this account.
   *
   * @attribute
   */
  readonly sourceServerArn: string;

  /**
   * The staging account that replicates the server.
   *
   * @default - unknown (imported by id only)
   */
  readonly stagingAccountId?: string;

  /**
   * The ARN of the source server in the staging account.
   *
   * @default - unknown (imported by id only)
   */
  readonly stagingSourceServerArn?: string;

  /**
   * Grants DRS `actions` (for example `drs:StartRecovery`) on this source server to `grantee`.
   * Actions that IAM authorizes only on `*` (for example `drs:DescribeSourceServers`) are granted
   * on `*` in a statement of their own; actions that act on no source server are refused.
   */
  grant(grantee: iam.IGrantable, ...actions: string[]): iam.Grant;

  /**
   * Lets `grantee` launch drills and recoveries of this server, for DR runbooks (see
   * `ExtendedSourceServer.grantStartRecoveryOnStack` for what is granted).
   */
  grantStartRecovery(grantee: iam.IGrantable): iam.Grant;
}

/**
 * Properties for an `ExtendedSourceServer`.
 */
export interface ExtendedSourceServerProps {
  /**
   * The ARN of the source server in the staging account, e.g.
   * `arn:aws:drs:us-east-1:111122223333:source-server/s-1234567890abcdef0`.
   *
   * It must be in this stack's Region and in another account, and the staging account must
   * trust this account (see `StagingAccountTrust`). Changing it replaces the extended server.
   */
  readonly stagingSourceServerArn: string;

  /**
   * Tags for the extended source server.
   *
   * At most 47 (DRS allows 50 per server; the library adds two tags recording the owning stack
   * and resource, and a third while a rename or move within the stack hands the server over).
   * Keys must not start with `aws:`.
   *
   * @default - no tags besides the owner tags
   */
  readonly tags?: { [key: string]: string };

  /**
   * What happens to the extended server when it leaves the stack. `DESTROY` disconnects and
   * deletes it in this account (replication in the staging account is not touched); `RETAIN`
   * leaves it in place. `SNAPSHOT` is not supported.
   *
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Attributes to import an extended source server defined elsewhere.
 */
export interface ExtendedSourceServerAttributes {
  /**
   * The id of the source server in this account (`s-...`).
   */
  readonly sourceServerId: string;

  /**
   * The ARN of the source server in the staging account.
   *
   * @default - unknown
   */
  readonly stagingSourceServerArn?: string;

  /**
   * The staging account that replicates the server.
   *
   * @default - taken from `stagingSourceServerArn` when that is given, else unknown
   */
  readonly stagingAccountId?: string;
}

abstract class ExtendedSourceServerBase extends Resource implements IExtendedSourceServer {
  public abstract readonly sourceServerId: string;
  public abstract readonly sourceServerArn: string;
  public abstract readonly stagingAccountId?: string;
  public abstract readonly stagingSourceServerArn?: string;

  public grant(grantee: iam.IGrantable, ...actions: string[]): iam.Grant {
    return grantOnSourceServers(`ExtendedSourceServer ${this.node.path}`, grantee, actions, [this.sourceServerArn]);
  }

  public grantStartRecovery(grantee: iam.IGrantable): iam.Grant {
    return startRecoveryGrant(grantee, [this.sourceServerArn]);
  }
}

/**
 * Extends a source server of a staging account into this (target) account, where drills and
 * recoveries can be launched for it.
 *
 * Backed by a custom resource served by one handler function per stack. The handler tags the
 * new server with the owning stack and resource, and only ever disconnects or deletes servers
 * carrying those tags.
 */
export class ExtendedSourceServer extends ExtendedSourceServerBase {
  /**
   * Lets `grantee` launch drills and recoveries of every extended server that `stack` owns (by
   * its owner tag, so servers added to the stack later are included), for DR runbooks.
   *
   * Grants `drs:StartRecovery` and `drs:DescribeRecoverySnapshots` on those servers,
   * `drs:TagResource` on them for any tag but the owner tags, and the reads without
   * resource-level permissions (`drs:DescribeSourceServers`, `drs:DescribeJobs`,
   * `drs:DescribeJobLogItems`, `drs:DescribeRecoveryInstances`). Drills and recoveries are one
   * IAM action: `isDrill` is a request field, not a condition key, so this grants both.
   * Terminating drill instances (`drs:TerminateRecoveryInstances` on recovery instances) is not
   * included. For a role, user or group the statements go into a policy of their own
   * (`DrsStartRecoveryPolicy`), where their wildcards are acknowledged for cdk-nag with reasons.
   *
   * @example
   * import { App, Stack } from 'aws-cdk-lib';
   * import * as iam from 'aws-cdk-lib/aws-iam';
   * import { ExtendedSourceServer } from 'cdk-drs-multi-account';
   *
   * const app = new App();
   * const target = new Stack(app, 'DrsTarget', { env: { account: '222222222222', region: 'us-east-1' } });
   * new ExtendedSourceServer(target, 'Web1', {
   *   stagingSourceServerArn: 'arn:aws:drs:us-east-1:111111111111:source-server/s-0a1b2c3d4e5f60001',
   * });
   *
   * const runbook = new iam.Role(target, 'DrRunbook', { assumedBy: new iam.AccountRootPrincipal() });
   * ExtendedSourceServer.grantStartRecoveryOnStack(runbook, target);
   *
   * @param grantee the principal, in the stack's account
   * @param stack the stack whose extended servers may be recovered
   */
  public static grantStartRecoveryOnStack(grantee: iam.IGrantable, stack: Stack): iam.Grant {
    return startRecoveryGrant(grantee, [ownedServersArn(stack)], { StringEquals: { [`aws:ResourceTag/${OwnerTags.STACK_ID}`]: stack.stackId } });
  }

  /**
   * Imports an extended source server by its id in this account.
   */
  public static fromSourceServerId(scope: Construct, id: string, sourceServerId: string): IExtendedSourceServer {
    return ExtendedSourceServer.fromSourceServerAttributes(scope, id, { sourceServerId });
  }

  /**
   * Imports an extended source server from its attributes. Its ARN is built in this stack's
   * partition, Region and account.
   */
  public static fromSourceServerAttributes(scope: Construct, id: string, attrs: ExtendedSourceServerAttributes): IExtendedSourceServer {
    class Import extends ExtendedSourceServerBase {
      public readonly sourceServerId = attrs.sourceServerId;
      public readonly sourceServerArn = Stack.of(scope).formatArn({
        service: 'drs',
        resource: 'source-server',
        resourceName: attrs.sourceServerId,
      });
      public readonly stagingSourceServerArn = attrs.stagingSourceServerArn;
      public readonly stagingAccountId = attrs.stagingAccountId ??
        (attrs.stagingSourceServerArn === undefined ? undefined : stagingAccountOf(attrs.stagingSourceServerArn));
    }
    const imported = new Import(scope, id);
    throwIfProblems('ExtendedSourceServer', imported, [
      ...checkSourceServerId('sourceServerId', attrs.sourceServerId),
      ...(attrs.stagingSourceServerArn === undefined ? [] : checkStagingSourceServerArn('stagingSourceServerArn', attrs.stagingSourceServerArn)),
      ...(attrs.stagingAccountId === undefined ? [] : checkAccountId('stagingAccountId', attrs.stagingAccountId)),
      ...accountMismatch(attrs),
    ]);
    return imported;
  }

  public readonly sourceServerId: string;
  public readonly sourceServerArn: string;
  /**
   * The staging account: taken from `stagingSourceServerArn` at synth when that is not a
   * token, else from the handler at deploy time. Always set (optional only because imported
   * servers may not know it).
   */
  public readonly stagingAccountId?: string;
  /** The staging server's ARN, as given. Always set (optional only as for `stagingAccountId`). */
  public readonly stagingSourceServerArn?: string;

  private readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: ExtendedSourceServerProps) {
    super(scope, id);
    const field = 'stagingSourceServerArn';
    throwIfProblems('ExtendedSourceServer', this, [
      ...checkStagingSourceServerArn(field, props.stagingSourceServerArn),
      ...checkStagingArnAgainstStack(field, props.stagingSourceServerArn, this.stack),
      ...checkUserTags('tags', props.tags),
      ...checkRemovalPolicy('removalPolicy', props.removalPolicy),
    ]);
    throwIfProblems('ExtendedSourceServer', this, checkSingleClaimant(this, 'ExtendedSourceServer', field, props.stagingSourceServerArn));

    const provider = DrsHandlerProvider.getOrCreate(this);
    provider.addStatementsFor(ResourceTypes.EXTENDED_SOURCE_SERVER);

    this.resource = new CustomResource(this, 'Resource', {
      resourceType: ResourceTypes.EXTENDED_SOURCE_SERVER,
      serviceToken: provider.serviceToken,
      properties: renderProperties(props),
      removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
    });
    provider.serve(this.resource);
    // The declared tags also go into the Metadata: the rollback of a takeover (by a rename, or by
    // a StagingAccountExtension) hands the server back with them (docs/ownership.md).
    (this.resource.node.defaultChild as CfnResource).addMetadata(DECLARED_TAGS_METADATA_KEY, { ...(props.tags ?? {}) });
    recordPerServerDeclaration(this, this.resource, props.stagingSourceServerArn, props.tags);

    this.sourceServerId = this.resource.getAttString(Attr.SOURCE_SERVER_ID);
    this.sourceServerArn = this.resource.getAttString(Attr.SOURCE_SERVER_ARN);
    this.stagingSourceServerArn = props.stagingSourceServerArn;
    this.stagingAccountId = stagingAccountOf(props.stagingSourceServerArn) ??
      this.resource.getAttString(Attr.STAGING_ACCOUNT_ID);
  }

  /**
   * Applies a removal policy to the extended server (`SNAPSHOT` is not supported).
   */
  public applyRemovalPolicy(policy: RemovalPolicy): void {
    throwIfProblems('ExtendedSourceServer', this, checkRemovalPolicy('removalPolicy', policy));
    this.resource.applyRemovalPolicy(policy);
  }
}

function accountMismatch(attrs: ExtendedSourceServerAttributes): string[] {
  const fromArn = attrs.stagingSourceServerArn === undefined ? undefined : stagingAccountOf(attrs.stagingSourceServerArn);
  const given = attrs.stagingAccountId;
  if (fromArn === undefined || given === undefined || Token.isUnresolved(given) || given === fromArn) return [];
  return [`stagingAccountId '${given}' differs from the account in stagingSourceServerArn ('${fromArn}')`];
}

/** Actions on a source server that launching a drill or a recovery of it needs. */
const START_RECOVERY_ACTIONS = ['drs:StartRecovery', 'drs:DescribeRecoverySnapshots'];
/** Reads a runbook needs to pick servers and follow the job; they have no resource-level permissions. */
const RECOVERY_READ_ACTIONS = ['drs:DescribeSourceServers', 'drs:DescribeJobs', 'drs:DescribeJobLogItems', 'drs:DescribeRecoveryInstances'];

function startRecoveryGrant(grantee: iam.IGrantable, resourceArns: string[], conditions?: Record<string, Record<string, unknown>>): iam.Grant {
  const target = { grantPrincipal: recoveryPolicyWriter(grantee.grantPrincipal) ?? grantee.grantPrincipal };
  return iam.Grant.addToPrincipal({ grantee: target, actions: START_RECOVERY_ACTIONS, resourceArns, conditions })
    // StartRecovery is authorized for drs:TagResource on the server too; the owner tags stay out of reach.
    .combine(iam.Grant.addToPrincipal({
      grantee: target,
      actions: ['drs:TagResource'],
      resourceArns,
      conditions: { ...conditions, 'ForAllValues:StringNotEquals': { 'aws:TagKeys': [...RESERVED_TAG_KEYS] } },
    }))
    .combine(iam.Grant.addToPrincipal({ grantee: target, actions: RECOVERY_READ_ACTIONS, resourceArns: ['*'] }));
}

const RECOVERY_POLICY_ID = 'DrsStartRecoveryPolicy';

/**
 * For a role, user or group: a principal that writes to a policy of its own attached to it, so
 * the deliberate wildcards are acknowledged there and not on the grantee's other statements.
 */
function recoveryPolicyWriter(principal: iam.IPrincipal): iam.IPrincipal | undefined {
  if (!(principal instanceof iam.Role || principal instanceof iam.User || principal instanceof iam.Group)) return undefined;
  let policy = principal.node.tryFindChild(RECOVERY_POLICY_ID) as iam.Policy | undefined;
  if (!policy) {
    policy = new iam.Policy(principal, RECOVERY_POLICY_ID);
    principal.attachInlinePolicy(policy);
    acknowledgeFinding(policy, 'AwsSolutions-IAM5[Resource::*]',
      `${RECOVERY_READ_ACTIONS.join(', ')} have no resource-level permissions; a DR runbook needs them to follow its recovery.`);
    acknowledgeFinding(policy, `AwsSolutions-IAM5[Resource::${nagArnId(Stack.of(policy), ownedServersArn(Stack.of(policy)))}]`,
      "Every statement on these source servers requires the owning stack's owner tag (aws:ResourceTag): it covers exactly " +
      'the servers that stack manages, including those added later.');
    acknowledgeInlinePolicy(policy, "the recovery grant belongs to this one principal and names one stack's servers.");
  }
  return new PolicyWriter(principal, policy);
}

/** Adds statements to `policy`; otherwise the principal it stands for. */
class PolicyWriter extends iam.PrincipalBase {
  public readonly principalAccount: string | undefined;
  constructor(private readonly inner: iam.IPrincipal, private readonly policy: iam.Policy) {
    super();
    this.principalAccount = inner.principalAccount;
  }

  public get policyFragment(): iam.PrincipalPolicyFragment {
    return this.inner.policyFragment;
  }

  public dedupeString(): string | undefined {
    return undefined;
  }

  public addToPrincipalPolicy(statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    this.policy.addStatements(statement);
    return { statementAdded: true, policyDependable: this.policy };
  }
}

/** The source servers of `stack`'s account and Region. */
function ownedServersArn(stack: Stack): string {
  return stack.formatArn({ service: 'drs', resource: 'source-server', resourceName: '*' });
}

/** An ARN as cdk-nag names it in finding ids: references as <Name>, pseudo parameters as <AWS::Name>. */
function nagArnId(stack: Stack, arn: string): string {
  const resolved = stack.resolve(arn);
  if (typeof resolved === 'string') return resolved;
  const parts: unknown[] = resolved['Fn::Join'][1];
  return parts.map((p) => (typeof p === 'string' ? p : `<${(p as { Ref: string }).Ref}>`)).join('');
}

/**
 * What the construct writes: the resource's properties as the contract names them (the handler
 * parses them with `parseExtendedSourceServerProperties`).
 */
function renderProperties(props: ExtendedSourceServerProps): ExtendedSourceServerResourceProperties {
  return {
    StagingSourceServerArn: props.stagingSourceServerArn,
    ...(props.tags && Object.keys(props.tags).length > 0 ? { Tags: { ...props.tags } } : {}),
  };
}
