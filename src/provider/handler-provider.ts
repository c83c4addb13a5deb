import { Aws, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, IConstruct } from 'constructs';
import { OWNER_TAG_KEYS, OwnerTags, ResourceTypes } from '../contract';
import { DrsHandlerFunction } from './drs-handler-function';
import type { DrsHandlerProps } from './drs-handler-props';
import {
  acknowledgeHandlerFindings, checkHandlerSettings, differingSettings, httpsOnlySecurityGroup, logEncryptionKey, vpcStatements,
} from './handler-settings';
import { acknowledgeFinding, acknowledgeInlinePolicy } from '../common/nag';
import { throwIfProblems } from '../common/validation';

/** Long enough to wait for a new extended server to settle; Lambda's maximum. */
const HANDLER_TIMEOUT = Duration.minutes(15);

/**
 * The per-stack custom-resource handler: one function, its role and its log group, shared by
 * every DRS custom resource in the stack. Internal: constructs call `getOrCreate` and then
 * `addStatementsFor` their resource type, so the role only holds what the stack uses.
 */
export class DrsHandlerProvider extends Construct {
  /** Returns the stack's provider, creating it on first use. */
  public static getOrCreate(scope: IConstruct): DrsHandlerProvider {
    const stack = Stack.of(scope);
    const existing = stack.node.tryFindChild(PROVIDER_ID);
    return existing instanceof DrsHandlerProvider ? existing : new DrsHandlerProvider(stack, PROVIDER_ID, {}, false);
  }

  /**
   * Creates the stack's provider with `settings` (`DrsHandler.configure`). Once the provider
   * exists its settings cannot change: the same settings again return it, others fail naming them.
   */
  public static configure(scope: IConstruct, settings: DrsHandlerProps): DrsHandlerProvider {
    const stack = Stack.of(scope);
    const what = `DrsHandler.configure(${stack.node.path})`;
    throwIfProblems('DrsHandler', stack, checkHandlerSettings(settings));
    const existing = stack.node.tryFindChild(PROVIDER_ID);
    if (!(existing instanceof DrsHandlerProvider)) return new DrsHandlerProvider(stack, PROVIDER_ID, settings, true);
    const differing = differingSettings(existing.settings, settings);
    if (differing.length > 0) {
      const earlier = existing.configured
        ? 'an earlier DrsHandler.configure call for this stack'
        : 'the defaults, when the first DRS construct of the stack created the handler';
      throw new Error(`${what}: ${differing.join(', ')} differ${differing.length === 1 ? 's' : ''} from ${earlier}. ` +
        'The stack has one DRS handler: call DrsHandler.configure once per stack, before its first DRS construct.');
    }
    return existing;
  }

  public readonly handlerFunction: DrsHandlerFunction;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;
  /** Lambda's retries and the on-failure destination; custom resources depend on it (see `serve`). */
  public readonly eventInvokeConfig: lambda.EventInvokeConfig;
  /** The settings the handler was created with (the defaults unless `DrsHandler.configure` was called). */
  public readonly settings: DrsHandlerProps;
  private readonly configured: boolean;
  private readonly grantedTypes = new Set<string>();
  private selfInvokePolicy?: iam.Policy;

  private constructor(scope: Stack, id: string, settings: DrsHandlerProps, configured: boolean) {
    super(scope, id);
    this.settings = { ...settings, securityGroups: settings.securityGroups && [...settings.securityGroups] };
    this.configured = configured;

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.DESTROY,
      encryptionKey: logEncryptionKey(this, settings.logEncryptionKey),
    });

    // An own role with an explicit log grant instead of AWSLambdaBasicExecutionRole, which
    // would allow writing to every log group in the account.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'cdk-drs-multi-account custom-resource handler',
    });
    this.logGroup.grantWrite(this.role);
    if (settings.vpc) for (const statement of vpcStatements()) this.role.addToPrincipalPolicy(statement);

    this.handlerFunction = new DrsHandlerFunction(this, 'Function', {
      description: 'cdk-drs-multi-account: creates and deletes DRS resources for this stack',
      role: this.role,
      logGroup: this.logGroup,
      timeout: HANDLER_TIMEOUT,
      memorySize: 256,
      // Lambda's default two retries of a crashed asynchronous invocation stay on: the handler
      // adopts the server an earlier attempt of the same resource created.
      vpc: settings.vpc,
      vpcSubnets: settings.vpcSubnets,
      securityGroups: settings.vpc ? settings.securityGroups ?? [httpsOnlySecurityGroup(this, settings.vpc)] : undefined,
      reservedConcurrentExecutions: settings.reservedConcurrentExecutions,
      tracing: settings.tracing,
    });
    const defaultPolicy = this.role.node.findChild('DefaultPolicy');
    acknowledgeHandlerFindings(this.handlerFunction, defaultPolicy, settings);
    acknowledgeInlinePolicy(defaultPolicy,
      "the handler role's statements are conditioned on this stack's id and name this stack's log group.");

    // The function is its own on-failure destination: when Lambda gives up on an asynchronous
    // invocation (CloudFormation's request, or a continuation), the handler answers FAILED to the
    // request's ResponseURL instead of leaving the stack waiting an hour (src/provider/runtime/destination.ts).
    // Lambda checks the role may invoke the destination when the configuration is created.
    this.eventInvokeConfig = new lambda.EventInvokeConfig(this, 'EventInvokeConfig', {
      function: this.handlerFunction,
      qualifier: '$LATEST',
      retryAttempts: 2,
      // CloudFormation waits at most an hour for an answer: an older event is useless.
      maxEventAge: Duration.hours(1),
      onFailure: { bind: () => ({ destination: this.handlerFunction.functionArn }) },
    });
    this.eventInvokeConfig.node.addDependency(this.grantSelfInvoke());
  }

  /** The `ServiceToken` for custom resources served by this handler. */
  public get serviceToken(): string {
    return this.handlerFunction.functionArn;
  }

  /**
   * Makes a custom resource wait for the function's invocation configuration: its first request
   * must already have the on-failure destination that answers when every attempt fails.
   */
  public serve(resource: IConstruct): void {
    resource.node.addDependency(this.eventInvokeConfig);
  }

  /**
   * Grants the handler what it needs to serve `resourceType` (one of the contract's
   * `ResourceTypes`). Idempotent: resources of the same type share the statements.
   */
  public addStatementsFor(resourceType: string): void {
    if (this.grantedTypes.has(resourceType)) return;
    const statements = STATEMENTS[resourceType];
    if (!statements) {
      throw new Error(`DrsHandlerProvider: no IAM statements are defined for resource type '${resourceType}'`);
    }
    for (const statement of statements()) this.role.addToPrincipalPolicy(statement);
    // On the policy that holds the statements, not the whole role.
    const policy = this.role.node.findChild('DefaultPolicy');
    for (const [id, reason] of Object.entries(ACKNOWLEDGEMENTS[resourceType] ?? {})) {
      acknowledgeFinding(policy, id, reason);
    }
    this.grantedTypes.add(resourceType);
  }

  /**
   * Lets the function invoke itself, and nothing else: long requests continue in a new
   * asynchronous invocation, and Lambda delivers failed invocations to the function (its
   * on-failure destination). A policy of its own, because the function's ARN in the role's
   * default policy would be a circular dependency; resources that may continue depend on it.
   */
  public grantSelfInvoke(): iam.Policy {
    if (this.selfInvokePolicy) return this.selfInvokePolicy;
    this.selfInvokePolicy = new iam.Policy(this, 'SelfInvokePolicy', {
      roles: [this.role],
      statements: [new iam.PolicyStatement({
        sid: 'ContinueInNewInvocation',
        actions: ['lambda:InvokeFunction'],
        resources: [this.handlerFunction.functionArn],
      })],
    });
    acknowledgeInlinePolicy(this.selfInvokePolicy, 'it lets the handler role invoke its own function and nothing else.');
    return this.selfInvokePolicy;
  }
}

const PROVIDER_ID = 'CdkDrsMultiAccountHandler';

const STACK_OWNER_TAG = OwnerTags.STACK_ID;

/** Source servers of this account and Region; DRS authorizes per server only on these ARNs. */
function sourceServerArns(): string {
  return `arn:${Aws.PARTITION}:drs:${Aws.REGION}:${Aws.ACCOUNT_ID}:source-server/*`;
}

const ownedByThisStack = { StringEquals: { [`aws:ResourceTag/${STACK_OWNER_TAG}`]: Aws.STACK_ID } };

const ownerTagKeysInRequest = { 'ForAnyValue:StringEquals': { 'aws:TagKeys': [...OWNER_TAG_KEYS] } };

/** The tags a handover within the stack rewrites (docs/ownership.md); the stack id is never one of them. */
const handoverTagKeysInRequest = { 'ForAnyValue:StringEquals': { 'aws:TagKeys': [OwnerTags.LOGICAL_ID, OwnerTags.PREVIOUS_LOGICAL_ID] } };

/**
 * Both owner tags in the request, the stack's with this stack's id. aws:TagKeys cannot say "contains
 * all of", so each key is required through its aws:RequestTag key (the logical id is not pinned: one
 * role serves every resource of the stack).
 */
const ownerTagsInRequest = {
  StringEquals: { [`aws:RequestTag/${STACK_OWNER_TAG}`]: Aws.STACK_ID },
  Null: { [`aws:RequestTag/${OwnerTags.LOGICAL_ID}`]: 'false' },
};

/** Instance profiles InitializeService creates (DRS user guide, "initialization and permissions"). */
const DRS_INSTANCE_PROFILES = [
  'AWSElasticDisasterRecoveryReplicationServerRole',
  'AWSElasticDisasterRecoveryConversionServerRole',
  'AWSElasticDisasterRecoveryRecoveryInstanceRole',
];

/**
 * Reads of the handler's own stack (a resource's status and resolved Metadata, the stack's
 * resources, the stack's status): on this stack's ARN only, which every action supports as a resource.
 */
function readOwnStack(): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'ReadOwnStack',
    actions: ['cloudformation:DescribeStackResource', 'cloudformation:DescribeStacks', 'cloudformation:ListStackResources'],
    resources: [Aws.STACK_ID],
  });
}

const STATEMENTS: Record<string, () => iam.PolicyStatement[]> = {
  [ResourceTypes.EXTENDED_SOURCE_SERVER]: () => [
    readOwnStack(),
    new iam.PolicyStatement({
      sid: 'ReadSourceServers',
      // No resource-level support. Owner tags are read from the DescribeSourceServers result.
      actions: ['drs:DescribeSourceServers'],
      resources: ['*'],
    }),
    new iam.PolicyStatement({
      sid: 'ExtendOnlyWithOwnerTag',
      // No resource-level support; the new server must carry this stack's owner tag.
      actions: ['drs:CreateExtendedSourceServer'],
      resources: ['*'],
      conditions: ownerTagsInRequest,
    }),
    new iam.PolicyStatement({
      sid: 'TagOnExtend',
      // Tags passed to CreateExtendedSourceServer are authorized as drs:TagResource.
      actions: ['drs:TagResource'],
      resources: [sourceServerArns()],
      conditions: {
        StringEquals: { ...ownerTagsInRequest.StringEquals, 'drs:CreateAction': 'CreateExtendedSourceServer' },
        Null: ownerTagsInRequest.Null,
      },
    }),
    new iam.PolicyStatement({
      sid: 'ManageOwnedServers',
      actions: ['drs:TagResource', 'drs:UntagResource', 'drs:DisconnectSourceServer', 'drs:DeleteSourceServer'],
      resources: [sourceServerArns()],
      conditions: ownedByThisStack,
    }),
    new iam.PolicyStatement({
      sid: 'KeepStackIdFromCreate',
      // The stack-id tag is written only by CreateExtendedSourceServer: never re-tagged
      // afterwards, so no server changes stacks and no server is claimed that the stack did not create.
      effect: iam.Effect.DENY,
      actions: ['drs:TagResource'],
      resources: ['*'],
      conditions: {
        'ForAnyValue:StringEquals': { 'aws:TagKeys': [STACK_OWNER_TAG] },
        'StringNotEquals': { 'drs:CreateAction': 'CreateExtendedSourceServer' },
      },
    }),
    new iam.PolicyStatement({
      sid: 'HandOverOnlyWithinThisStack',
      // The logical-id and previous-logical-id tags move a server between resources of this
      // stack (renames, moves, rollbacks): only on servers already tagged with this stack's id.
      effect: iam.Effect.DENY,
      actions: ['drs:TagResource', 'drs:UntagResource'],
      resources: ['*'],
      conditions: {
        ...handoverTagKeysInRequest,
        StringNotEquals: { [`aws:ResourceTag/${STACK_OWNER_TAG}`]: Aws.STACK_ID, 'drs:CreateAction': 'CreateExtendedSourceServer' },
      },
    }),
    new iam.PolicyStatement({
      sid: 'NeverRemoveOwnerTags',
      effect: iam.Effect.DENY,
      actions: ['drs:UntagResource'],
      resources: ['*'],
      conditions: ownerTagKeysInRequest,
    }),
  ],
  [ResourceTypes.STAGING_ACCOUNT_EXTENSION]: () => [
    // The single-server statements (identical statements are merged when a stack uses both)
    // plus listing the staging account's extensible servers.
    ...STATEMENTS[ResourceTypes.EXTENDED_SOURCE_SERVER](),
    new iam.PolicyStatement({
      sid: 'ListExtensibleSourceServers',
      // No resource-level support.
      actions: ['drs:ListExtensibleSourceServers'],
      resources: ['*'],
    }),
  ],
  [ResourceTypes.SERVICE_INITIALIZATION]: () => [
    new iam.PolicyStatement({
      sid: 'InitializeDrsService',
      // No resource-level support.
      actions: ['drs:InitializeService'],
      resources: ['*'],
    }),
    new iam.PolicyStatement({
      sid: 'InitializeDrsServiceLinkedRole',
      actions: ['iam:CreateServiceLinkedRole'],
      resources: [`arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/aws-service-role/drs.amazonaws.com/AWSServiceRoleForElasticDisasterRecovery`],
      conditions: { StringEquals: { 'iam:AWSServiceName': 'drs.amazonaws.com' } },
    }),
    new iam.PolicyStatement({
      sid: 'InitializeDrsInstanceProfiles',
      actions: ['iam:GetInstanceProfile', 'iam:CreateInstanceProfile', 'iam:AddRoleToInstanceProfile'],
      resources: DRS_INSTANCE_PROFILES.map((name) => `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:instance-profile/${name}`),
    }),
  ],
};

const ACKNOWLEDGEMENTS: Record<string, Record<string, string>> = {
  [ResourceTypes.EXTENDED_SOURCE_SERVER]: {
    'AwsSolutions-IAM5[Resource::*]':
      'drs:DescribeSourceServers, drs:ListExtensibleSourceServers and drs:CreateExtendedSourceServer have no ' +
      'resource-level permissions; the create is limited by the aws:RequestTag owner-tag condition.',
    'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:drs:<AWS::Region>:<AWS::AccountId>:source-server/*]':
      'Extended source server ids are assigned by DRS at create time; every statement on these ARNs requires ' +
      "this stack's owner tag (aws:ResourceTag or, at create, aws:RequestTag).",
  },
  [ResourceTypes.SERVICE_INITIALIZATION]: {
    'AwsSolutions-IAM5[Resource::*]': 'drs:InitializeService has no resource-level permissions.',
  },
};
// Same statements on the same resources as single servers, so the same reasons.
ACKNOWLEDGEMENTS[ResourceTypes.STAGING_ACCOUNT_EXTENSION] = { ...ACKNOWLEDGEMENTS[ResourceTypes.EXTENDED_SOURCE_SERVER] };
