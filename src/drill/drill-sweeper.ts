/**
 * The clean-up of a `RecoveryDrill` that runs however an execution ends: a function (the
 * sweeper, runtime/sweep.ts) invoked by an EventBridge rule on the drill's state machine's
 * `ABORTED`, `TIMED_OUT` and `FAILED` status changes and by an hourly schedule; its metrics
 * (`DrillSweepMetrics`) and an alarm that goes off when it had to act or failed.
 * Internal: not exported from the package's index.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { DrillSweeperFunction } from './drill-sweeper-function';
import { acknowledgeFinding, acknowledgeInlinePolicy, acknowledgeRule, HIPAA_NIST, HIPAA_NIST_PCI, NagPack } from '../common/nag';
import { DrillTargets } from '../contract/drill';
import { SWEEP_CONFIG_ENV, SweepConfig } from '../contract/drill-sweeper';
import { DrsMetrics } from '../observability/drs-metrics';

/** The statuses of an execution that ended without running the drill's own clean-up (or whose clean-up may have failed). */
export const ENDED_STATUSES = ['ABORTED', 'TIMED_OUT', 'FAILED'];

export interface DrillSweeperProps {
  readonly drillName: string;
  readonly drillTag: string;
  readonly stateMachine: sfn.IStateMachine;
  readonly targets: DrillTargets;
  readonly launchActionIds: string[];
  readonly statements: iam.PolicyStatement[];
  readonly logKey: kms.IKey;
  /** @default - every hour */
  readonly schedule?: events.Schedule;
  readonly topic?: sns.ITopic;
}

export class DrillSweeper extends Construct {
  public readonly function: lambda.Function;
  public readonly role: iam.Role;
  /** In ALARM when the sweeper terminated drill instances, removed launch actions, or failed. */
  public readonly alarm: cloudwatch.Alarm;
  public readonly onExecutionEnd: events.Rule;
  public readonly scheduleRule: events.Rule;

  constructor(scope: Construct, id: string, props: DrillSweeperProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const logGroup = new logs.LogGroup(this, 'LogGroup', { retention: logs.RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.DESTROY, encryptionKey: props.logKey });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `cdk-drs-multi-account drill ${props.drillName}: terminates the instances and launch actions its ended executions left`,
    });
    logGroup.grantWrite(this.role);
    for (const statement of props.statements) this.role.addToPrincipalPolicy(statement);
    const config: SweepConfig = {
      DrillName: props.drillName,
      DrillTag: props.drillTag,
      StateMachineArn: props.stateMachine.stateMachineArn,
      LaunchActionIds: props.launchActionIds,
      Targets: props.targets,
    };
    this.function = new DrillSweeperFunction(this, 'Function', {
      description: `cdk-drs-multi-account drill ${props.drillName}: cleans up after executions that ended without their clean-up`,
      role: this.role,
      logGroup,
      timeout: Duration.minutes(15),
      memorySize: 512,
      tracing: lambda.Tracing.ACTIVE,
      // Two sweeps at once would only race to terminate the same instances.
      reservedConcurrentExecutions: 1,
      environment: { [SWEEP_CONFIG_ENV]: stack.toJsonString(config) },
    });
    const target = () => new targets.LambdaFunction(this.function, { retryAttempts: 2, maxEventAge: Duration.hours(1) });
    // Step Functions Execution Status Change (source aws.states; detail.stateMachineArn, detail.status):
    // https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html
    this.onExecutionEnd = new events.Rule(this, 'OnExecutionEnd', {
      description: `cdk-drs-multi-account: cleans up after an execution of drill ${props.drillName} that ended ${ENDED_STATUSES.join(', ')}`,
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { stateMachineArn: [props.stateMachine.stateMachineArn], status: ENDED_STATUSES },
      },
      targets: [target()],
    });
    this.scheduleRule = new events.Rule(this, 'Schedule', {
      description: `cdk-drs-multi-account: sweeps what ended executions of drill ${props.drillName} left`,
      schedule: props.schedule ?? events.Schedule.rate(Duration.hours(1)),
      targets: [target()],
    });

    const period = Duration.hours(1);
    const dims = { drillName: props.drillName, period };
    const expression = new cloudwatch.MathExpression({
      expression: 'FILL(terminated, 0) + FILL(removed, 0) + FILL(failures, 0) + FILL(errors, 0)',
      usingMetrics: {
        terminated: DrsMetrics.drillInstancesSwept(dims),
        removed: DrsMetrics.drillLaunchActionsSwept(dims),
        failures: DrsMetrics.drillSweepFailures(dims),
        errors: this.function.metricErrors({ period, statistic: cloudwatch.Stats.SUM }),
      },
      period,
      label: 'What the sweeper had to clean up, or could not',
    });
    this.alarm = new cloudwatch.Alarm(this, 'ActedAlarm', {
      alarmDescription: `cdk-drs-multi-account drill ${props.drillName}: an execution ended without its clean-up, and the sweeper terminated ` +
        'its drill instances or removed its launch actions, or could not (see the sweeper\'s log)',
      metric: expression,
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (props.topic) {
      this.alarm.addAlarmAction(new cloudwatchActions.SnsAction(props.topic));
    } else {
      acknowledgeRule(this.alarm, 'CloudWatchAlarmAction', HIPAA_NIST,
        "Actions are the user's to choose (the drill's topic, or cleanupAlarm.addAlarmAction); without one the alarm still shows in the console.");
    }

    const runtime = 'The runtime is pinned so the deployed bundle is the tested one; it is moved to newer runtimes with releases.';
    acknowledgeFinding(this.function, 'AwsSolutions-L1', runtime);
    acknowledgeFinding(this.function, 'Serverless-LambdaLatestVersion', runtime);
    acknowledgeRule(this.function, 'LambdaDLQ', [...HIPAA_NIST, NagPack.SERVERLESS],
      'Every run sweeps everything; a lost invocation is made up by the next hourly run, and a failed run raises the alarm (Errors), ' +
      'so a dead-letter queue would hold nothing to act on.');
    acknowledgeRule(this.function, 'LambdaInsideVPC', HIPAA_NIST_PCI, 'The function reaches only the DRS and Step Functions APIs and no resource in a VPC.');
    const policy = this.role.node.findChild('DefaultPolicy');
    acknowledgeInlinePolicy(policy, "it lets the drill's own sweeper clean up after this drill, and nothing else.");
    acknowledgeFinding(policy, 'AwsSolutions-IAM5[Resource::*]',
      'DescribeJobs, DescribeRecoveryInstances and DescribeSourceServers have no resource-level permissions (Service Authorization Reference for DRS); ' +
      'nor have the X-Ray actions of the function\'s tracing.');
    acknowledgeFinding(policy, 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:drs:<AWS::Region>:<AWS::AccountId>:recovery-instance/*]',
      "TerminateRecoveryInstances only on recovery instances carrying this drill's tag, or the drilled servers' own tags (aws:ResourceTag); ids are assigned at launch.");
    acknowledgeFinding(policy, `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:<${stack.getLogicalId(props.stateMachine.node.defaultChild as sfn.CfnStateMachine)}.Name>:*]`,
      "DescribeExecution on the executions of the drill's own state machine; execution names are chosen when a drill starts.");
    for (const rule of [this.onExecutionEnd, this.scheduleRule]) {
      acknowledgeFinding(rule, 'Serverless-EventBusDLQ',
        'EventBridge retries the invocation; what a lost one would have cleaned up, the next hourly sweep does, and the alarm covers failed runs.');
    }
  }
}
