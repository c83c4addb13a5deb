/**
 * The IAM of a `RecoveryDrill`: the statements of its state machine role and of its read-only
 * function's role, scoped to the drilled servers and the drill's tags (docs/iam.md explains each
 * by its Sid), and their cdk-nag acknowledgements. Internal: not exported from the package's index.
 */
import { createHash } from 'crypto';
import { Aws, CfnElement, CfnResource, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { IConstruct } from 'constructs';
import { OwnerTags, SelectorTypes, ServerSelectorProperty } from '../contract';
import { RecoveryDrillProps } from './recovery-drill-props';
import { DrillTags } from '../contract/drill';
import { METRICS_NAMESPACE } from '../contract/metrics';
import { ExtendedSourceServer } from '../servers/extended-source-server';

/** `<resource>/*` of DRS in the stack's partition, Region and account (pseudo parameters, as cdk-nag names them). */
function arn(resource: string): string {
  return `arn:${Aws.PARTITION}:drs:${Aws.REGION}:${Aws.ACCOUNT_ID}:${resource}/*`;
}

/** The read-only steps: what to drill, and what its jobs did. */
export function stepsStatements(drillTag: string): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({
      sid: 'ReadServersInstancesJobs',
      actions: ['drs:DescribeSourceServers', 'drs:DescribeRecoveryInstances', 'drs:DescribeJobs'],
      resources: ['*'],
    }),
    new iam.PolicyStatement({
      sid: 'ReadDrillJobLogs',
      actions: ['drs:DescribeJobLogItems'],
      resources: [arn('job')],
      conditions: { StringEquals: { [`aws:ResourceTag/${DrillTags.DRILL}`]: drillTag } },
    }),
  ];
}

/** The drill's selector in its wire form: `extendedServerSelector`, or the deprecated `selector`. */
export function drillSelector(props: RecoveryDrillProps): ServerSelectorProperty | undefined {
  return (props.extendedServerSelector ?? props.selector)?._render();
}

/**
 * StartRecovery conditions on the servers, one scope per way of naming them (the drill drills
 * their union): the servers' ARNs; an extension's owner tags; a selector's tag conditions where it
 * requires them (tagEquals / hasTag, alone or in allOf).
 */
export function startRecoveryScopes(props: RecoveryDrillProps): Array<{ resources: string[]; conditions?: Record<string, Record<string, unknown>> }> {
  const scopes: Array<{ resources: string[]; conditions?: Record<string, Record<string, unknown>> }> = [];
  if (props.servers && props.servers.length > 0) scopes.push({ resources: props.servers.map((s) => s.sourceServerArn) });
  for (const e of props.extensions ?? []) {
    scopes.push({
      resources: [arn('source-server')],
      conditions: { StringEquals: Object.fromEntries(Object.entries(e.ownerTags).map(([k, v]) => [`aws:ResourceTag/${k}`, v])) },
    });
  }
  const selector = drillSelector(props);
  if (selector) scopes.push({ resources: [arn('source-server')], conditions: selectorTagConditions(selector) });
  return scopes;
}

/** IAM conditions a selector implies on the server's tags, if any. */
function selectorTagConditions(selector: ServerSelectorProperty): Record<string, Record<string, unknown>> | undefined {
  const required = selector.Type === SelectorTypes.ALL_OF ? (selector.Selectors ?? []) : [selector];
  const equals: Record<string, string[]> = {};
  const present: Record<string, string> = {};
  for (const s of required) {
    if (s.Type !== SelectorTypes.TAG || s.Key === undefined || Token.isUnresolved(s.Key)) continue;
    if (s.Values) equals[`aws:ResourceTag/${s.Key}`] = [...s.Values];
    else present[`aws:ResourceTag/${s.Key}`] = 'false';
  }
  const conditions: Record<string, Record<string, unknown>> = {};
  if (Object.keys(equals).length > 0) conditions.StringEquals = equals;
  if (Object.keys(present).length > 0) conditions.Null = present;
  return Object.keys(conditions).length > 0 ? conditions : undefined;
}

/**
 * The value of the drill's tag (`DrillTags.DRILL`) on its jobs: the drill's name and a hash of
 * the stack's name and the drill's construct path, so that two drills of the same name (in two
 * stacks, or two apps) never share it, and IAM keeps each drill to its own jobs and instances.
 * A stack's name is unique in its account and Region, where DRS keeps the jobs.
 */
export function drillTagValue(scope: IConstruct, drillName: string): string {
  const stackName = Stack.of(scope).stackName;
  const seed = `${Token.isUnresolved(stackName) ? '' : stackName}/${scope.node.path}`;
  return `${drillName}:${createHash('sha256').update(seed).digest('hex').slice(0, 16)}`;
}

/**
 * TerminateRecoveryInstances for the state machine's clean-up and the sweeper: one statement
 * per reading of which tags DRS gives a recovery instance (docs/iam.md).
 */
export function terminateStatements(props: RecoveryDrillProps, drillTag: string): iam.PolicyStatement[] {
  const account = `arn:${Aws.PARTITION}:drs:${Aws.REGION}:${Aws.ACCOUNT_ID}`;
  return [
    new iam.PolicyStatement({
      sid: 'TerminateDrillInstances',
      // Reading 1: the recovery instance carries the tags given to StartRecovery.
      actions: ['drs:TerminateRecoveryInstances'],
      resources: [`${account}:recovery-instance/*`],
      conditions: { StringEquals: { [`aws:ResourceTag/${DrillTags.DRILL}`]: drillTag } },
    }),
    ...instanceScopesBySourceTags(props).map((conditions, i) => new iam.PolicyStatement({
      sid: `TerminateInstancesOfDrilledServers${i === 0 ? '' : i}`,
      // Reading 2: the launch copies the source server's tags to the recovery instance.
      actions: ['drs:TerminateRecoveryInstances'],
      resources: [`${account}:recovery-instance/*`],
      conditions,
    })),
  ];
}

export function stateMachineStatements(props: RecoveryDrillProps, drillTag: string): iam.PolicyStatement[] {
  const drillTagInRequest = {
    StringEquals: { [`aws:RequestTag/${DrillTags.DRILL}`]: drillTag },
    Null: { [`aws:RequestTag/${DrillTags.EXECUTION}`]: 'false' },
  };
  const statements = startRecoveryScopes(props).map((s, i) => new iam.PolicyStatement({
    sid: `StartDrillOfDrilledServers${i === 0 ? '' : i}`,
    actions: ['drs:StartRecovery'],
    resources: s.resources,
    conditions: {
      ...s.conditions,
      StringEquals: { ...s.conditions?.StringEquals, ...drillTagInRequest.StringEquals },
      Null: { ...s.conditions?.Null, ...drillTagInRequest.Null },
    },
  }));
  const account = `arn:${Aws.PARTITION}:drs:${Aws.REGION}:${Aws.ACCOUNT_ID}`;
  return [
    ...statements,
    new iam.PolicyStatement({
      sid: 'TagDrillJobsOnStart',
      // Tags passed to StartRecovery are authorized as drs:TagResource on what it creates.
      actions: ['drs:TagResource'],
      resources: [`${account}:job/*`, `${account}:recovery-instance/*`],
      conditions: { StringEquals: { ...drillTagInRequest.StringEquals, 'drs:CreateAction': 'StartRecovery' }, Null: drillTagInRequest.Null },
    }),
    new iam.PolicyStatement({
      sid: 'FollowJobs',
      actions: ['drs:DescribeJobs'],
      resources: ['*'],
    }),
    ...terminateStatements(props, drillTag),
    new iam.PolicyStatement({
      sid: 'PublishResult',
      actions: ['events:PutEvents'],
      resources: [props.eventBus?.eventBusArn ?? `arn:${Aws.PARTITION}:events:${Aws.REGION}:${Aws.ACCOUNT_ID}:event-bus/default`],
    }),
    new iam.PolicyStatement({
      sid: 'PublishMetrics',
      actions: ['cloudwatch:PutMetricData'],
      resources: ['*'],
      conditions: { StringEquals: { 'cloudwatch:namespace': METRICS_NAMESPACE } },
    }),
  ];
}

/**
 * Conditions on a recovery instance's tags that hold when DRS copies the source server's tags
 * to it: the drilled servers' owner tags where the drill knows them. Servers whose tags the
 * drill does not know get none (see `unknownSourceTags`).
 */
function instanceScopesBySourceTags(props: RecoveryDrillProps): Array<Record<string, Record<string, unknown>>> {
  const scopes: Array<Record<string, Record<string, unknown>>> = (props.extensions ?? []).map((e) =>
    ({ StringEquals: Object.fromEntries(Object.entries(e.ownerTags).map(([k, v]) => [`aws:ResourceTag/${k}`, v])) }));
  // The drilled servers only (their stack's id and their logical ids), not every server of their stacks.
  const byStack = new Map<Stack, string[]>();
  for (const s of props.servers ?? []) {
    if (!(s instanceof ExtendedSourceServer)) continue;
    const stack = Stack.of(s);
    const cfn = s.node.defaultChild?.node.defaultChild as CfnElement;
    byStack.set(stack, [...new Set([...(byStack.get(stack) ?? []), stack.getLogicalId(cfn)])]);
  }
  for (const [stack, logicalIds] of byStack) {
    scopes.push({ StringEquals: { [`aws:ResourceTag/${OwnerTags.STACK_ID}`]: stack.stackId, [`aws:ResourceTag/${OwnerTags.LOGICAL_ID}`]: logicalIds } });
  }
  const selector = drillSelector(props);
  const byTags = selector ? selectorTagConditions(selector) : undefined;
  if (byTags) scopes.push(byTags);
  return scopes;
}

/** Whether some drilled servers have tags the drill cannot name in IAM (imported servers, a selector without tag conditions). */
export function unknownSourceTags(props: RecoveryDrillProps): boolean {
  const selector = drillSelector(props);
  return (props.servers ?? []).some((s) => !(s instanceof ExtendedSourceServer)) ||
    (selector !== undefined && selectorTagConditions(selector) === undefined);
}

export function stateMachineAcknowledgements(stepFunction: lambda.IFunction, props: RecoveryDrillProps): Record<string, string> {
  const acks: Record<string, string> = {
    'AwsSolutions-IAM5[Resource::*]':
      'drs:DescribeJobs, ec2:DescribeInstanceStatus (EC2 status checks) and ssm:DescribeInstanceInformation/DescribeParameters (SSM document checks, only via DRS) have no resource-level permissions; cloudwatch:PutMetricData supports none and is limited to the drill namespace (cloudwatch:namespace); ' +
      'the log delivery and X-Ray actions Step Functions needs for logging and tracing support no resource.',
    'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:drs:<AWS::Region>:<AWS::AccountId>:recovery-instance/*]':
      "TerminateRecoveryInstances only on recovery instances carrying this drill's tag (aws:ResourceTag), and tagging only by StartRecovery with that tag; ids are assigned at launch.",
    'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:drs:<AWS::Region>:<AWS::AccountId>:job/*]':
      "Tagging only by StartRecovery (drs:CreateAction) with this drill's tag; job ids are assigned at launch.",
  };
  const byExtension = (props.extensions ?? []).length > 0;
  const bySelector = drillSelector(props) !== undefined;
  if (byExtension || bySelector) {
    const byExtensionReason = "StartRecovery only on servers carrying a drilled StagingAccountExtension's owner tags (aws:ResourceTag) and only with this drill's tag (aws:RequestTag).";
    const bySelectorReason = "StartRecovery only with this drill's tag (aws:RequestTag), and on servers with the selector's required tags where it requires any; the selector picks servers at run time.";
    acks['AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:drs:<AWS::Region>:<AWS::AccountId>:source-server/*]'] =
      [...(byExtension ? [byExtensionReason] : []), ...(bySelector ? [bySelectorReason] : [])].join(' ');
  }
  const fn = stepFunction.node.defaultChild as CfnResource;
  acks[`AwsSolutions-IAM5[Resource::<${Stack.of(stepFunction).getLogicalId(fn)}.Arn>:*]`] = 'lambda:InvokeFunction on the versions of the drill\'s own function (written by grantInvoke).';
  return acks;
}

/**
 * The sweeper's role: read jobs, instances and servers (`*` only); terminate as the state
 * machine's clean-up may; remove the drill's launch actions from the drilled servers (only with
 * SSM document checks); ask Step Functions about the drill's own executions.
 */
export function sweeperStatements(
  props: RecoveryDrillProps, drillTag: string, stateMachineArn: string, stateMachineName: string, launchActions: boolean,
): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({
      sid: 'ReadJobsInstancesServers',
      actions: ['drs:DescribeJobs', 'drs:DescribeRecoveryInstances', 'drs:DescribeSourceServers'],
      resources: ['*'],
    }),
    ...terminateStatements(props, drillTag),
    ...(launchActions ? startRecoveryScopes(props).map((s, i) => new iam.PolicyStatement({
      sid: `RemoveDrillLaunchActions${i === 0 ? '' : i}`,
      actions: ['drs:ListLaunchActions', 'drs:DeleteLaunchAction'],
      resources: s.resources,
      conditions: s.conditions,
    })) : []),
    new iam.PolicyStatement({
      sid: 'ReadDrillExecutions',
      actions: ['states:DescribeExecution'],
      resources: [`arn:${Aws.PARTITION}:states:${Aws.REGION}:${Aws.ACCOUNT_ID}:execution:${stateMachineName}:*`],
    }),
    new iam.PolicyStatement({
      sid: 'ListRunningDrillExecutions',
      actions: ['states:ListExecutions'],
      resources: [stateMachineArn],
    }),
  ];
}
