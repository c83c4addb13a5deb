import { Annotations, Aws, CfnResource, Duration, Names, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { OwnerTags, SelectorTypes, ServerSelectorProperty } from '../contract';
import { DrillCheck } from './drill-check';
import { checkAcknowledgements, checkProblems, checkStatements, definitionChecks } from './drill-check-plan';
import { ExtendedSourceServer, IExtendedSourceServer } from './extended-source-server';
import { acknowledgeFinding } from './nag';
import { acknowledgeDrillPolicies, acknowledgeStepsFunction, drillLogKey } from './recovery-drill-compliance';
import { drillDefinition } from './recovery-drill-definition';
import { ServerSelector } from './server-selector';
import { StagingAccountExtension } from './staging-account-extension';
import { throwIfProblems } from './validation';
import { DrillEvent, DrillTags, DrillTargets, RecoveryLimits } from '../contract/drill';
import { DrillMetrics, MetricDefinition, MetricDimensions, METRICS_NAMESPACE } from '../contract/metrics';
import { DrillStepsFunction } from '../handlers/drill-steps-function';

/**
 * What a drill does with a selected server that already has a recovery instance (a drill would
 * replace that instance).
 */
export enum ExistingRecoveryInstance {
  /** Leave the server out of the drill, and name it in the result. */
  SKIP = 'skip',
  /** Refuse to start the drill. */
  REFUSE = 'refuse',
}

/**
 * Properties for a `RecoveryDrill`. Give the servers to drill with exactly one of `servers`,
 * `extensions` and `selector`.
 */
export interface RecoveryDrillProps {
  /**
   * These extended source servers.
   *
   * @default - none
   */
  readonly servers?: IExtendedSourceServer[];

  /**
   * The servers these `StagingAccountExtension`s own (by their owner tags, at the time the
   * drill runs).
   *
   * @default - none
   */
  readonly extensions?: StagingAccountExtension[];

  /**
   * Every extended server of this account and Region that matches, by its hostname and its tags
   * in this account, at the time the drill runs.
   *
   * @default - none
   */
  readonly selector?: ServerSelector;

  /**
   * A name for the drill: the value of its tag on the recovery jobs, and the `DrillName`
   * dimension of its metrics. Letters, digits and `-_.:/`, at most 128 characters.
   *
   * @default - a name unique to this construct in the app
   */
  readonly drillName?: string;

  /**
   * Also run the drill on this schedule (an EventBridge rule starts the state machine).
   *
   * @default - on demand only (`StartExecution`, see `grantStart`)
   */
  readonly schedule?: events.Schedule;

  /**
   * Servers per recovery job (one job per wave); DRS allows 100.
   *
   * @default 100
   */
  readonly serversPerJob?: number;

  /**
   * A tag of the extended servers that orders the waves: servers with the tag go first, one
   * wave (or more, of `serversPerJob`) per value in ascending order (numbers as numbers), then
   * the servers without it.
   *
   * @default - no order: waves in the order DRS lists the servers
   */
  readonly waveTagKey?: string;

  /**
   * What to do with a server that already has a recovery instance.
   *
   * @default ExistingRecoveryInstance.SKIP
   */
  readonly existingRecoveryInstance?: ExistingRecoveryInstance;

  /**
   * Fails the drill when any server's recovery time (from its job's start to launched) exceeds
   * it.
   *
   * @default - no objective: only launch failures fail the drill
   */
  readonly recoveryTimeObjective?: Duration;

  /**
   * Keep the drill instances this long after the last wave, for manual checks, before the
   * clean-up terminates them.
   *
   * @default - terminate right away
   */
  readonly keepInstancesFor?: Duration;

  /**
   * How long the drill waits for its recovery jobs in all. When it runs out, the drill stops
   * (no further waves), terminates what it launched, and fails as TIMED_OUT.
   *
   * @default Duration.hours(2)
   */
  readonly timeout?: Duration;

  /**
   * How often the drill asks DRS whether a job has ended (each ask is two state transitions).
   *
   * @default Duration.minutes(1)
   */
  readonly pollInterval?: Duration;

  /**
   * The event bus for the drill's result event.
   *
   * @default - the account's default event bus
   */
  readonly eventBus?: events.IEventBus;

  /**
   * Checks of each launched server, before the clean-up: the EC2 status checks, an SSM document
   * DRS runs as a launch action, a Lambda function of yours (see `DrillCheck`). A server
   * succeeds when it is LAUNCHED and all its checks passed; its recovery time then ends when its
   * last check ended. The checks start once the drill's last wave's job ended.
   *
   * @default - no checks: a server succeeds when it is LAUNCHED
   */
  readonly checks?: DrillCheck[];

  /**
   * A check of each launched server, before the clean-up: a Lambda function invoked with
   * `{ drillName, executionName, sourceServerId, recoveryInstanceId, ec2InstanceId }` that
   * returns `{ "passed": true }` when the recovered server works. Runs after `checks`.
   *
   * @default - no check
   * @deprecated use `checks: [DrillCheck.lambdaFunction(fn)]`, which does the same
   */
  readonly check?: lambda.IFunction;

  /**
   * Servers checked at once.
   *
   * @default 10
   */
  readonly checkConcurrency?: number;

  /**
   * Sent the alarm on a failed drill, and each drill's result event.
   *
   * @default - no notifications
   */
  readonly topic?: sns.ITopic;
}

/**
 * A DR drill as code: launches drill instances of extended source servers with AWS Elastic
 * Disaster Recovery, in waves, on a schedule or on demand; measures each server's recovery time;
 * and always terminates the drill instances it launched, also when the drill fails or times out.
 *
 * An AWS Step Functions state machine does the work, with its AWS SDK integrations for the DRS
 * calls (`StartRecovery` with `isDrill`, `DescribeJobs` between Wait states,
 * `TerminateRecoveryInstances`), and one small Lambda function that only reads DRS (which servers
 * to drill, in which waves; the per-server results). Before it starts, the drill refuses while a
 * recovery that is not a drill is active in the account, and checks the recovery job quotas (100
 * servers per job, 20 concurrent jobs, 500 servers in active jobs). Servers with a recovery
 * instance are skipped (or the drill refuses, see `existingRecoveryInstance`).
 *
 * Each drill puts one event on EventBridge (source `cdk-drs-multi-account`, detail-type
 * `DRS Recovery Drill Result`) with the per-server outcome and times, and writes CloudWatch metrics
 * (namespace `CdkDrsMultiAccount`, dimension `DrillName`); `alarm` goes off when a drill fails.
 *
 * @example
 * import { App, Duration, Stack } from 'aws-cdk-lib';
 * import * as events from 'aws-cdk-lib/aws-events';
 * import * as iam from 'aws-cdk-lib/aws-iam';
 * import { ExtendedSourceServer, RecoveryDrill } from 'cdk-drs-multi-account';
 *
 * const app = new App();
 * const target = new Stack(app, 'DrsTarget', { env: { account: '222222222222', region: 'us-east-1' } });
 * const web = new ExtendedSourceServer(target, 'Web1', {
 *   stagingSourceServerArn: 'arn:aws:drs:us-east-1:111111111111:source-server/s-0a1b2c3d4e5f60001',
 * });
 *
 * const drill = new RecoveryDrill(target, 'MonthlyDrill', {
 *   servers: [web],
 *   schedule: events.Schedule.cron({ day: '1', hour: '6', minute: '0' }),
 *   recoveryTimeObjective: Duration.minutes(30),
 * });
 *
 * // Operators may start it on demand.
 * const operators = new iam.Role(target, 'Operators', { assumedBy: new iam.AccountRootPrincipal() });
 * drill.grantStart(operators);
 */
export class RecoveryDrill extends Construct {
  /** The drill's state machine. */
  public readonly stateMachine: sfn.StateMachine;

  /** The state machine's role: the only principal that starts and terminates the drill's recoveries. */
  public readonly role: iam.Role;

  /** The function of the drill's read-only Lambda steps. */
  public readonly stepFunction: lambda.IFunction;

  /** The drill's name (its tag value on recovery jobs and its metrics' `DrillName`). */
  public readonly drillName: string;

  /** In ALARM when the last drill did not succeed (metric `DrillSucceeded` below 1). */
  public readonly alarm: cloudwatch.Alarm;

  /** The schedule's rule, if `schedule` was given. */
  public readonly scheduleRule?: events.Rule;

  private readonly eventBus?: events.IEventBus;

  constructor(scope: Construct, id: string, props: RecoveryDrillProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.drillName = props.drillName ?? Names.uniqueResourceName(this, { maxLength: 64, separator: '-' });
    const serversPerJob = props.serversPerJob ?? RecoveryLimits.SERVERS_PER_JOB;
    const timeout = props.timeout ?? Duration.hours(2);
    const pollInterval = props.pollInterval ?? Duration.minutes(1);
    const checks = [...(props.checks ?? []), ...(props.check ? [DrillCheck.lambdaFunction(props.check)] : [])];
    throwIfProblems('RecoveryDrill', this, [...checkProps(props, this.drillName, serversPerJob, timeout, pollInterval, checks.length), ...checkProblems(checks)]);
    this.eventBus = props.eventBus;

    const logKey = drillLogKey(this, this.drillName);
    const logGroup = new logs.LogGroup(this, 'StepsLogGroup', { retention: logs.RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.DESTROY, encryptionKey: logKey });
    const stepsRole = new iam.Role(this, 'StepsRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `cdk-drs-multi-account drill ${this.drillName}: read-only DRS steps`,
    });
    logGroup.grantWrite(stepsRole);
    const steps = new DrillStepsFunction(this, 'Steps', {
      description: `cdk-drs-multi-account drill ${this.drillName}: plans waves and collects results (reads DRS only)`,
      role: stepsRole,
      logGroup,
      timeout: Duration.minutes(5),
      memorySize: 512,
      tracing: lambda.Tracing.ACTIVE,
    });
    this.stepFunction = steps;
    acknowledgeStepsFunction(steps);
    for (const statement of stepsStatements(this.drillName)) stepsRole.addToPrincipalPolicy(statement);
    acknowledgeFinding(stepsRole.node.findChild('DefaultPolicy'), 'AwsSolutions-IAM5[Resource::*]',
      'DescribeSourceServers, DescribeRecoveryInstances and DescribeJobs have no resource-level permissions (Service Authorization Reference for DRS); ' +
      'nor have the X-Ray actions of the function\'s tracing.');
    acknowledgeFinding(stepsRole.node.findChild('DefaultPolicy'), 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:drs:<AWS::Region>:<AWS::AccountId>:job/*]',
      "DescribeJobLogItems is limited to jobs carrying this drill's tag (aws:ResourceTag); job ids are assigned when a drill starts.");

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('states.amazonaws.com'),
      description: `cdk-drs-multi-account drill ${this.drillName}: starts drills and terminates their instances`,
    });
    const targetsProp = drillTargets(props);
    for (const statement of stateMachineStatements(props, this.drillName)) this.role.addToPrincipalPolicy(statement);
    this.stepFunction.grantInvoke(this.role);
    if (unknownSourceTags(props)) {
      Annotations.of(this).addWarningV2('cdk-drs-multi-account:drillInstanceTags',
        'Some drilled servers are imported or picked by a selector without tag conditions: the clean-up may terminate their drill instances ' +
        `only if DRS gives recovery instances the tags of StartRecovery (${DrillTags.DRILL}). If DRS copies the source server's tags instead, ` +
        'TerminateRecoveryInstances is denied and the drill fails with DrillCleanupFailed, naming the instances. Drill ExtendedSourceServers ' +
        'declared in a stack, StagingAccountExtensions, or a selector with tagEquals conditions to cover both.');
    }

    const definition = drillDefinition({
      drillName: this.drillName,
      functionArn: this.stepFunction.functionArn,
      targets: targetsProp,
      serversPerJob,
      waveTagKey: props.waveTagKey,
      refuseExistingInstances: props.existingRecoveryInstance === ExistingRecoveryInstance.REFUSE,
      pollIntervalSeconds: pollInterval.toSeconds(),
      timeoutSeconds: timeout.toSeconds(),
      recoveryTimeObjectiveSeconds: props.recoveryTimeObjective?.toSeconds(),
      keepInstancesSeconds: props.keepInstancesFor?.toSeconds(),
      eventBusName: props.eventBus?.eventBusName ?? 'default',
      metricNamespace: METRICS_NAMESPACE,
      checks: definitionChecks(checks, this.drillName, this.node.addr),
      checkConcurrency: props.checkConcurrency,
    });
    for (const statement of checkStatements(checks, startRecoveryScopes(props))) this.role.addToPrincipalPolicy(statement);
    const executionLogs = new logs.LogGroup(this, 'ExecutionLogs', {
      retention: logs.RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.DESTROY, encryptionKey: logKey,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromString(stack.toJsonString(definition)),
      role: this.role,
      comment: `cdk-drs-multi-account RecoveryDrill ${this.drillName}`,
      tracingEnabled: true,
      logs: { destination: executionLogs, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });
    const policy = this.role.node.findChild('DefaultPolicy');
    for (const [findingId, reason] of Object.entries({ ...stateMachineAcknowledgements(this, props), ...checkAcknowledgements(checks) })) {
      acknowledgeFinding(policy, findingId, reason);
    }

    this.alarm = new cloudwatch.Alarm(this, 'FailedAlarm', {
      alarmDescription: `cdk-drs-multi-account drill ${this.drillName} did not succeed (see its result event and execution)`,
      metric: this.metricDrillSucceeded(),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    let resultRule: events.Rule | undefined;
    if (props.topic) {
      this.alarm.addAlarmAction(new cloudwatchActions.SnsAction(props.topic));
      resultRule = this.onResult('ResultToTopic', { target: new targets.SnsTopic(props.topic) });
    }

    const rules: events.Rule[] = [];
    if (props.schedule) {
      this.scheduleRule = new events.Rule(this, 'Schedule', {
        schedule: props.schedule,
        description: `cdk-drs-multi-account: runs the drill ${this.drillName}`,
        targets: [new targets.SfnStateMachine(this.stateMachine, { input: events.RuleTargetInput.fromObject({ reason: 'schedule' }) })],
      });
      rules.push(this.scheduleRule);
    }
    if (resultRule) rules.push(resultRule);
    acknowledgeDrillPolicies({ stateMachine: policy, steps: stepsRole.node.findChild('DefaultPolicy'), stateMachineScope: this.stateMachine }, rules);
  }

  /**
   * Lets `grantee` start the drill on demand (`states:StartExecution` on this state machine).
   * To follow the executions too, add `drill.stateMachine.grantRead(grantee)`.
   */
  public grantStart(grantee: iam.IGrantable): iam.Grant {
    return this.stateMachine.grantStartExecution(grantee);
  }

  /** A rule on this drill's result events (with `target`, if given). */
  public onResult(id: string, options: events.OnEventOptions = {}): events.Rule {
    const rule = new events.Rule(this, id, {
      description: options.description ?? `cdk-drs-multi-account: results of drill ${this.drillName}`,
      eventBus: this.eventBus,
      eventPattern: {
        ...options.eventPattern,
        source: [DrillEvent.SOURCE],
        detailType: [DrillEvent.DETAIL_TYPE],
        detail: { ...options.eventPattern?.detail, drillName: [this.drillName] },
      },
      ruleName: options.ruleName,
      crossStackScope: options.crossStackScope,
    });
    if (options.target) rule.addTarget(options.target);
    return rule;
  }

  /** 1 when a drill succeeded, 0 when not (minimum per period). */
  public metricDrillSucceeded(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(DrillMetrics.DRILL_SUCCEEDED, props);
  }

  /** The largest recovery time of a drill's servers, in seconds. */
  public metricMaxRecoveryTime(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(DrillMetrics.MAX_RECOVERY_TIME_SECONDS, props);
  }

  /** The median recovery time of a drill's servers, in seconds. */
  public metricMedianRecoveryTime(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(DrillMetrics.MEDIAN_RECOVERY_TIME_SECONDS, props);
  }

  /** Servers in the drill's recovery jobs. */
  public metricServersDrilled(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(DrillMetrics.SERVERS_DRILLED, props);
  }

  /** Servers whose drill failed (launch, recovery time objective, or not started). */
  public metricServersFailed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(DrillMetrics.SERVERS_FAILED, props);
  }

  private metric(definition: MetricDefinition, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName: definition.name,
      dimensionsMap: { [MetricDimensions.DRILL_NAME]: this.drillName },
      statistic: definition.statistic,
      unit: definition.unit === 'Seconds' ? cloudwatch.Unit.SECONDS : definition.unit === 'Count' ? cloudwatch.Unit.COUNT : undefined,
      period: Duration.days(1),
      ...props,
    });
  }
}

const DRILL_NAME = /^[A-Za-z0-9\-_.:/]{1,128}$/;

function checkProps(
  props: RecoveryDrillProps, drillName: string, serversPerJob: number, timeout: Duration, poll: Duration, checkCount: number,
): string[] {
  const problems: string[] = [];
  const given = [props.servers, props.extensions, props.selector].filter((x) => x !== undefined).length;
  if (given !== 1) problems.push(`give exactly one of servers, extensions and selector (got ${given})`);
  if (props.servers !== undefined && props.servers.length === 0) problems.push('servers must list at least one server');
  if (props.extensions !== undefined && props.extensions.length === 0) problems.push('extensions must list at least one StagingAccountExtension');
  if (!Token.isUnresolved(drillName) && !DRILL_NAME.test(drillName)) {
    problems.push(`drillName must be 1-128 letters, digits or -_.:/ (it is a tag value and a metric dimension), got '${drillName}'`);
  }
  const perJobOk = Number.isInteger(serversPerJob) && serversPerJob >= 1 && serversPerJob <= RecoveryLimits.SERVERS_PER_JOB;
  if (!Token.isUnresolved(serversPerJob) && !perJobOk) {
    problems.push(`serversPerJob must be a whole number from 1 to ${RecoveryLimits.SERVERS_PER_JOB} (DRS's servers per recovery job), got ${serversPerJob}`);
  }
  if (props.waveTagKey !== undefined && !Token.isUnresolved(props.waveTagKey) && (props.waveTagKey.length < 1 || props.waveTagKey.length > 256)) {
    problems.push('waveTagKey must be a tag key of 1-256 characters');
  }
  if (poll.toSeconds() < 1) problems.push('pollInterval must be at least 1 second');
  if (timeout.toSeconds() < poll.toSeconds()) problems.push(`timeout (${timeout.toSeconds()} s) must be at least pollInterval (${poll.toSeconds()} s)`);
  if (props.recoveryTimeObjective !== undefined && props.recoveryTimeObjective.toSeconds() < 1) problems.push('recoveryTimeObjective must be at least 1 second');
  if (props.checkConcurrency !== undefined && !Token.isUnresolved(props.checkConcurrency) &&
    (!Number.isInteger(props.checkConcurrency) || props.checkConcurrency < 1 || props.checkConcurrency > 40)) {
    problems.push(`checkConcurrency must be a whole number from 1 to 40, got ${props.checkConcurrency}`);
  }
  if (props.checkConcurrency !== undefined && checkCount === 0) problems.push('checkConcurrency needs checks');
  if (props.keepInstancesFor !== undefined && props.keepInstancesFor.toSeconds() > 365 * 24 * 3600) problems.push('keepInstancesFor must be at most a year (a Step Functions execution\'s limit)');
  return problems;
}

function drillTargets(props: RecoveryDrillProps): DrillTargets {
  if (props.servers) return { SourceServerIds: props.servers.map((s) => s.sourceServerId) };
  if (props.extensions) {
    return { Owners: props.extensions.map((e) => ({ StackId: e.ownerTags[OwnerTags.STACK_ID], LogicalId: e.ownerTags[OwnerTags.LOGICAL_ID] })) };
  }
  return { Selector: props.selector!._render() };
}

/** `<resource>/*` of DRS in the stack's partition, Region and account (pseudo parameters, as cdk-nag names them). */
function arn(resource: string): string {
  return `arn:${Aws.PARTITION}:drs:${Aws.REGION}:${Aws.ACCOUNT_ID}:${resource}/*`;
}

/** The read-only steps: what to drill, and what its jobs did. */
function stepsStatements(drillName: string): iam.PolicyStatement[] {
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
      conditions: { StringEquals: { [`aws:ResourceTag/${DrillTags.DRILL}`]: drillName } },
    }),
  ];
}

/**
 * StartRecovery conditions on the servers: their ARNs; an extension's owner tags; a selector's
 * tag conditions where it requires them (tagEquals / hasTag, alone or in allOf).
 */
function startRecoveryScopes(props: RecoveryDrillProps): Array<{ resources: string[]; conditions?: Record<string, Record<string, unknown>> }> {
  if (props.servers) return [{ resources: props.servers.map((s) => s.sourceServerArn) }];
  if (props.extensions) {
    return props.extensions.map((e) => ({
      resources: [arn('source-server')],
      conditions: { StringEquals: Object.fromEntries(Object.entries(e.ownerTags).map(([k, v]) => [`aws:ResourceTag/${k}`, v])) },
    }));
  }
  return [{ resources: [arn('source-server')], conditions: selectorTagConditions(props.selector!._render()) }];
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

function stateMachineStatements(props: RecoveryDrillProps, drillName: string): iam.PolicyStatement[] {
  const drillTagInRequest = {
    StringEquals: { [`aws:RequestTag/${DrillTags.DRILL}`]: drillName },
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
    new iam.PolicyStatement({
      sid: 'TerminateDrillInstances',
      // Reading 1: the recovery instance carries the tags given to StartRecovery.
      actions: ['drs:TerminateRecoveryInstances'],
      resources: [`${account}:recovery-instance/*`],
      conditions: { StringEquals: { [`aws:ResourceTag/${DrillTags.DRILL}`]: drillName } },
    }),
    ...instanceScopesBySourceTags(props).map((conditions, i) => new iam.PolicyStatement({
      sid: `TerminateInstancesOfDrilledServers${i === 0 ? '' : i}`,
      // Reading 2: the launch copies the source server's tags to the recovery instance.
      actions: ['drs:TerminateRecoveryInstances'],
      resources: [`${account}:recovery-instance/*`],
      conditions,
    })),
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
  if (props.extensions) {
    return props.extensions.map((e) => ({ StringEquals: Object.fromEntries(Object.entries(e.ownerTags).map(([k, v]) => [`aws:ResourceTag/${k}`, v])) }));
  }
  if (props.servers) {
    const stackIds = [...new Set(props.servers.filter((s) => s instanceof ExtendedSourceServer).map((s) => Stack.of(s).stackId))];
    return stackIds.length > 0 ? [{ StringEquals: { [`aws:ResourceTag/${OwnerTags.STACK_ID}`]: stackIds } }] : [];
  }
  const byTags = selectorTagConditions(props.selector!._render());
  return byTags ? [byTags] : [];
}

/** Whether some drilled servers have tags the drill cannot name in IAM (imported servers, a selector without tag conditions). */
function unknownSourceTags(props: RecoveryDrillProps): boolean {
  if (props.extensions) return false;
  if (props.servers) return props.servers.some((s) => !(s instanceof ExtendedSourceServer));
  return selectorTagConditions(props.selector!._render()) === undefined;
}

function stateMachineAcknowledgements(scope: RecoveryDrill, props: RecoveryDrillProps): Record<string, string> {
  const acks: Record<string, string> = {
    'AwsSolutions-IAM5[Resource::*]':
      'drs:DescribeJobs, ec2:DescribeInstanceStatus (EC2 status checks) and ssm:DescribeInstanceInformation/DescribeParameters (SSM document checks, only via DRS) have no resource-level permissions; cloudwatch:PutMetricData supports none and is limited to the drill namespace (cloudwatch:namespace); ' +
      'the log delivery and X-Ray actions Step Functions needs for logging and tracing support no resource.',
    'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:drs:<AWS::Region>:<AWS::AccountId>:recovery-instance/*]':
      "TerminateRecoveryInstances only on recovery instances carrying this drill's tag (aws:ResourceTag), and tagging only by StartRecovery with that tag; ids are assigned at launch.",
    'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:drs:<AWS::Region>:<AWS::AccountId>:job/*]':
      "Tagging only by StartRecovery (drs:CreateAction) with this drill's tag; job ids are assigned at launch.",
  };
  if (!props.servers) {
    acks['AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:drs:<AWS::Region>:<AWS::AccountId>:source-server/*]'] = props.extensions
      ? "StartRecovery only on servers carrying a drilled StagingAccountExtension's owner tags (aws:ResourceTag) and only with this drill's tag (aws:RequestTag)."
      : "StartRecovery only with this drill's tag (aws:RequestTag), and on servers with the selector's required tags where it requires any; the selector picks servers at run time.";
  }
  const fn = scope.stepFunction.node.defaultChild as CfnResource;
  acks[`AwsSolutions-IAM5[Resource::<${Stack.of(scope).getLogicalId(fn)}.Arn>:*]`] = 'lambda:InvokeFunction on the versions of the drill\'s own function (written by grantInvoke).';
  return acks;
}
