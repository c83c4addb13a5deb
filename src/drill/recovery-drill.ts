import { Annotations, Duration, Names, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { OwnerTags } from '../contract';
import { checkAcknowledgements, checkProblems, checkStatements, definitionChecks } from './checks/check-kind';
import { DrillCheck } from './checks/drill-check';
import { acknowledgeDrillPolicies, acknowledgeStepsFunction, drillLogKey } from './compliance';
import { ExistingRecoveryInstance, RecoveryDrillProps } from './recovery-drill-props';
import { acknowledgeFinding } from '../common/nag';
import { drillDefinition } from './definition/definition';
import { DrillStepsFunction } from './drill-steps-function';
import { stateMachineAcknowledgements, stateMachineStatements, startRecoveryScopes, stepsStatements, unknownSourceTags } from './iam';
import { throwIfProblems } from '../common/validation';
import { DrillEvent, DrillTags, DrillTargets, RecoveryLimits } from '../contract/drill';
import { METRICS_NAMESPACE } from '../contract/metrics';
import { DrsMetrics } from '../observability/drs-metrics';


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
    const made = checks.map((c, i) => (c._kind ? [] : [`checks[${i}]: make checks with DrillCheck's static methods (ec2StatusChecks, ssmDocument, lambdaFunction)`])).flat();
    const kinds = checks.flatMap((c) => (c._kind ? [c._kind] : []));
    throwIfProblems('RecoveryDrill', this, [
      ...checkProps(props, this.drillName, serversPerJob, timeout, pollInterval, checks.length),
      ...made,
      ...(made.length === 0 ? checkProblems(kinds) : []),
    ]);
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
      checks: definitionChecks(kinds, this.drillName, this.node.addr),
      checkConcurrency: props.checkConcurrency,
    });
    for (const statement of checkStatements(kinds, startRecoveryScopes(props))) this.role.addToPrincipalPolicy(statement);
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
    const acks = { ...stateMachineAcknowledgements(this.stepFunction, props), ...checkAcknowledgements(kinds) };
    for (const [findingId, reason] of Object.entries(acks)) acknowledgeFinding(policy, findingId, reason);

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
    return DrsMetrics.drillSucceeded({ ...props, drillName: this.drillName });
  }

  /** The largest recovery time of a drill's servers, in seconds. */
  public metricMaxRecoveryTime(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return DrsMetrics.maxRecoveryTime({ ...props, drillName: this.drillName });
  }

  /** The median recovery time of a drill's servers, in seconds. */
  public metricMedianRecoveryTime(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return DrsMetrics.medianRecoveryTime({ ...props, drillName: this.drillName });
  }

  /** Servers in the drill's recovery jobs. */
  public metricServersDrilled(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return DrsMetrics.serversDrilled({ ...props, drillName: this.drillName });
  }

  /** Servers whose drill failed (launch, recovery time objective, or not started). */
  public metricServersFailed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return DrsMetrics.serversFailed({ ...props, drillName: this.drillName });
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
