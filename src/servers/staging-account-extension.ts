import { Aws, CfnResource, CustomResource, RemovalPolicy, Resource, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { grantOnSourceServers } from '../common/drs-actions';
import {
  OwnerTags,
  RECONCILE_METADATA_KEY,
  DECLARED_TAGS_METADATA_KEY,
  RECONCILE_REQUEST_TYPE,
  ResourceTypes,
  ServerSelectorProperty,
  StagingAccountExtensionAttributes as Attr,
  StagingAccountExtensionResourceProperties,
  validateServerSelector,
} from '../contract';
import { perServerDeclarationsFor, recordExtension } from './per-server-declarations';
import { ServerSelector } from './server-selector';
import { checkAccountId, checkRemovalPolicy, checkSingleClaimant, checkUserTags, throwIfProblems } from '../common/validation';
import { DrsHandlerProvider } from '../provider/handler-provider';

/**
 * Properties for a `StagingAccountExtension`.
 */
export interface StagingAccountExtensionProps {
  /**
   * The staging account whose servers are extended into this stack's account (another account,
   * same Region). It must trust this account (see `StagingAccountTrust`). Changing it replaces
   * the resource: the servers of the old staging account are removed (per `removalPolicy`).
   */
  readonly stagingAccountId: string;

  /**
   * Which extensible servers to extend.
   *
   * @default ServerSelector.all()
   */
  readonly selector?: ServerSelector;

  /**
   * Tags for every extended server. Changing them re-tags the servers this resource owns.
   *
   * At most 47 (DRS allows 50 per server; the library adds two owner tags, and a third while a
   * rename or move within the stack hands a server over). Keys must not start with `aws:`.
   *
   * @default - no tags besides the owner tags
   */
  readonly tags?: { [key: string]: string };

  /**
   * Whether servers this resource extended earlier and that no longer match `selector` are
   * removed (disconnected and deleted in this account; replication in the staging account is
   * not touched). Servers in `EXTENSION_ERROR` are never pruned, only reported.
   *
   * @default false
   */
  readonly pruneNotMatching?: boolean;

  /**
   * Whether servers in `EXTENSION_ERROR`, or servers that could not be extended or pruned, fail
   * the deployment. Otherwise they are counted (`extensionErrorCount`, `failedCount`) and listed
   * in the handler's log, and the deployment succeeds.
   *
   * @default false
   */
  readonly failOnExtensionError?: boolean;

  /**
   * Also reconcile on this schedule, without a deployment, so servers that appear in the
   * staging account are extended (and, with `pruneNotMatching`, servers that stopped matching
   * are removed). An EventBridge rule invokes the stack's handler function; its outcome goes
   * to the function's log.
   *
   * @default - reconcile only when the stack is deployed with changed properties
   */
  readonly reconcileSchedule?: events.Schedule;

  /**
   * Any value; change it to reconcile on the next deployment even though nothing else changed
   * (for example a date, or a build number).
   *
   * @default - none
   */
  readonly reconcileToken?: string;

  /**
   * What happens to the extended servers when this resource leaves the stack. `DESTROY` removes
   * exactly the servers carrying this resource's owner tags; `RETAIN` leaves them in place.
   * `SNAPSHOT` is not supported.
   *
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Extends every extensible server of one staging account into this (target) account, or those
 * a `ServerSelector` matches, as one custom resource however many servers there are (a staging
 * account replicates up to 300).
 *
 * Each deployment that changes the properties (and the optional schedule) reconciles: servers
 * that match and are not yet extended into this account are extended with `tags` and this
 * resource's owner tags (stack id and logical id); with `pruneNotMatching`, owned servers that
 * no longer match are removed; servers in `EXTENSION_ERROR` are reported. Staging servers that
 * something else already extended into this account are left alone. Deleting the resource
 * removes exactly the servers carrying its owner tags.
 *
 * The stack's handler function does the work with a few DRS calls in flight at once, retrying
 * throttling. When its invocation runs short of time it hands the rest to a new invocation of
 * itself (it may invoke only its own function), which reads DRS afresh; the last invocation
 * answers CloudFormation, within its one-hour limit. The attributes are counts, never lists of
 * servers (CloudFormation limits the answer to 4 KB); use `grant()` or `ownerTags` to give
 * access to the servers.
 *
 * @example
 * import { App, Duration, Stack } from 'aws-cdk-lib';
 * import * as events from 'aws-cdk-lib/aws-events';
 * import * as iam from 'aws-cdk-lib/aws-iam';
 * import { ServerSelector, StagingAccountExtension } from 'cdk-drs-multi-account';
 *
 * const app = new App();
 * const target = new Stack(app, 'DrsTarget', { env: { account: '222222222222', region: 'us-east-1' } });
 *
 * const extension = new StagingAccountExtension(target, 'Staging1', {
 *   stagingAccountId: '111111111111',
 *   selector: ServerSelector.anyOf(
 *     ServerSelector.hostnameMatches('web-*', 'db-*'),
 *     ServerSelector.tagEquals('dr', 'yes'),
 *   ),
 *   tags: { Application: 'erp' },
 *   reconcileSchedule: events.Schedule.rate(Duration.hours(1)),
 * });
 *
 * // Operators may launch drills for exactly these servers.
 * const operators = new iam.Role(target, 'DrillOperators', { assumedBy: new iam.AccountRootPrincipal() });
 * extension.grant(operators, 'drs:StartRecovery', 'drs:DescribeSourceServers');
 */
export class StagingAccountExtension extends Resource {
  /** The staging account, as given. */
  public readonly stagingAccountId: string;

  /**
   * The tags that mark the servers this resource owns (stack id and logical id), for
   * attribute-based access control in your own policies.
   */
  public readonly ownerTags: { [key: string]: string };

  /**
   * Servers this resource owns after the last deployment's reconciliation.
   *
   * @attribute
   */
  public readonly serverCount: number;

  /**
   * Servers the last deployment extended.
   *
   * @attribute
   */
  public readonly extendedCount: number;

  /**
   * Servers owned before the last deployment and kept.
   *
   * @attribute
   */
  public readonly alreadyOwnedCount: number;

  /**
   * Servers the last deployment removed because they no longer matched.
   *
   * @attribute
   */
  public readonly prunedCount: number;

  /**
   * Owned servers that no longer match and were kept (`pruneNotMatching` is off).
   *
   * @attribute
   */
  public readonly notMatchingCount: number;

  /**
   * Owned servers in `EXTENSION_ERROR` (the staging server cannot be read: deleted, or the
   * trust was removed).
   *
   * @attribute
   */
  public readonly extensionErrorCount: number;

  /**
   * Servers that could not be extended or removed in the last deployment (see the log).
   *
   * @attribute
   */
  public readonly failedCount: number;

  /**
   * Extensible staging servers the selector does not match.
   *
   * @attribute
   */
  public readonly skippedNotMatchingCount: number;

  /**
   * Staging servers already extended into this account by something else, left alone.
   *
   * @attribute
   */
  public readonly ownedElsewhereCount: number;

  /**
   * Owned servers that were not yet `EXTENDED` when the last deployment ended.
   *
   * @attribute
   */
  public readonly pendingCount: number;

  /**
   * The EventBridge rule of `reconcileSchedule`.
   *
   * @default - no schedule
   */
  public readonly reconcileRule?: events.Rule;

  private readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: StagingAccountExtensionProps) {
    super(scope, id);
    const selector = props.selector?._render();
    throwIfProblems('StagingAccountExtension', this, [
      ...checkAccountId('stagingAccountId', props.stagingAccountId),
      ...sameAccount(props.stagingAccountId, this.stack.account),
      ...(selector && !Token.isUnresolved(JSON.stringify(selector)) ? validateServerSelector('selector', selector) : []),
      ...checkUserTags('tags', props.tags),
      ...checkRemovalPolicy('removalPolicy', props.removalPolicy),
    ]);
    throwIfProblems('StagingAccountExtension', this,
      checkSingleClaimant(this, 'StagingAccountExtension', 'stagingAccountId', props.stagingAccountId));

    const provider = DrsHandlerProvider.getOrCreate(this);
    provider.addStatementsFor(ResourceTypes.STAGING_ACCOUNT_EXTENSION);

    const properties = renderProperties(this, props, selector);
    this.resource = new CustomResource(this, 'Resource', {
      resourceType: ResourceTypes.STAGING_ACCOUNT_EXTENSION,
      serviceToken: provider.serviceToken,
      properties,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
    });
    provider.serve(this.resource);
    // Long requests continue in a new invocation of the function: allowed before the first one.
    this.resource.node.addDependency(provider.grantSelfInvoke());
    recordExtension(this, this.resource, props.stagingAccountId);

    // A token that resolves at synth, so overrideLogicalId() later is honoured.
    const cfnResource = this.resource.node.defaultChild as CfnResource;
    // The declared tags also go into the Metadata: the rollback of a takeover by another resource
    // of the stack hands the servers back with them (docs/ownership.md).
    cfnResource.addMetadata(DECLARED_TAGS_METADATA_KEY, { ...(props.tags ?? {}) });
    const logicalId = cfnResource.logicalId;
    this.stagingAccountId = props.stagingAccountId;
    this.ownerTags = { [OwnerTags.STACK_ID]: Aws.STACK_ID, [OwnerTags.LOGICAL_ID]: logicalId };
    const count = (name: string) => Token.asNumber(this.resource.getAtt(name));
    this.serverCount = count(Attr.SERVER_COUNT);
    this.extendedCount = count(Attr.EXTENDED_COUNT);
    this.alreadyOwnedCount = count(Attr.ALREADY_OWNED_COUNT);
    this.prunedCount = count(Attr.PRUNED_COUNT);
    this.notMatchingCount = count(Attr.NOT_MATCHING_COUNT);
    this.extensionErrorCount = count(Attr.EXTENSION_ERROR_COUNT);
    this.failedCount = count(Attr.FAILED_COUNT);
    this.skippedNotMatchingCount = count(Attr.SKIPPED_NOT_MATCHING_COUNT);
    this.ownedElsewhereCount = count(Attr.OWNED_ELSEWHERE_COUNT);
    this.pendingCount = count(Attr.PENDING_COUNT);

    if (props.reconcileSchedule) {
      // The properties go into the resource's Metadata, which CloudFormation resolves and
      // DescribeStackResource returns; the rule's Input (at most 8,192 characters) only names the
      // resource. The rule is created after the resource and deleted before it.
      cfnResource.addMetadata(RECONCILE_METADATA_KEY, properties);
      const request = {
        RequestType: RECONCILE_REQUEST_TYPE,
        ResourceType: ResourceTypes.STAGING_ACCOUNT_EXTENSION,
        StackId: Aws.STACK_ID,
        LogicalResourceId: logicalId,
      };
      this.reconcileRule = new events.Rule(this, 'ReconcileSchedule', {
        schedule: props.reconcileSchedule,
        description: `cdk-drs-multi-account: reconcile the servers extended from staging account ${props.stagingAccountId}`,
        targets: [new targets.LambdaFunction(provider.handlerFunction, { event: events.RuleTargetInput.fromObject(request) })],
      });
      this.reconcileRule.node.addDependency(this.resource);
    }
  }

  /**
   * Grants DRS `actions` (for example `drs:StartRecovery`) on the source servers this resource
   * owns, by their owner tags: servers extended later are covered without a policy change.
   * Actions that IAM authorizes only on `*` (for example `drs:DescribeSourceServers`) are granted
   * on `*` in a statement of their own. Actions that act on no source server are refused.
   */
  public grant(grantee: iam.IGrantable, ...actions: string[]): iam.Grant {
    return grantOnSourceServers(`StagingAccountExtension ${this.node.path}`, grantee, actions,
      [this.stack.formatArn({ service: 'drs', resource: 'source-server', resourceName: '*' })],
      { StringEquals: Object.fromEntries(Object.entries(this.ownerTags).map(([k, v]) => [`aws:ResourceTag/${k}`, v])) });
  }

  /**
   * Applies a removal policy to the extended servers (`SNAPSHOT` is not supported).
   */
  public applyRemovalPolicy(policy: RemovalPolicy): void {
    throwIfProblems('StagingAccountExtension', this, checkRemovalPolicy('removalPolicy', policy));
    this.resource.applyRemovalPolicy(policy);
  }
}

function sameAccount(staging: string, stackAccount: string): string[] {
  if (Token.isUnresolved(staging) || Token.isUnresolved(stackAccount) || staging !== stackAccount) return [];
  return [`stagingAccountId ${staging} is this stack's own account; extend servers from a staging account into a different (target) account`];
}

/**
 * What the construct writes: the resource's properties as the contract names them (the handler
 * parses them with `parseStagingAccountExtensionProperties`).
 */
function renderProperties(
  scope: Construct, props: StagingAccountExtensionProps, selector: ServerSelectorProperty | undefined,
): StagingAccountExtensionResourceProperties {
  return {
    StagingAccountId: props.stagingAccountId,
    ...(selector ? { Selector: selector } : {}),
    ...(props.tags && Object.keys(props.tags).length > 0 ? { Tags: { ...props.tags } } : {}),
    ...(props.pruneNotMatching ? { PruneNotMatching: 'true' } : {}),
    ...(props.failOnExtensionError ? { FailOnExtensionError: 'true' } : {}),
    ...(props.reconcileToken !== undefined ? { ReconcileToken: props.reconcileToken } : {}),
    // The stack's ExtendedSourceServers of this staging account (resolved at synthesis; left
    // out when there are none): the per-server declaration wins (docs/ownership.md).
    PerServerDeclarations: perServerDeclarationsFor(scope, props.stagingAccountId),
  };
}
