import { Aws, Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, IConstruct } from 'constructs';
import { CoverageEnv, CoverageEvent, Limits } from '../contract';
import { CoverageReportFunction } from './coverage-report-function';
import { CoverageMetricOptions, DrsMetrics } from './drs-metrics';
import { acknowledgeFinding, acknowledgeInlinePolicy, acknowledgeRule, HIPAA_NIST, HIPAA_NIST_PCI, NagPack } from '../common/nag';
import { checkAccountList, throwIfProblems } from '../common/validation';

/** DRS read actions the report calls; none supports resource-level permissions. */
const COVERAGE_REPORT_DRS_ACTIONS = ['drs:ListStagingAccounts', 'drs:DescribeSourceServers', 'drs:ListExtensibleSourceServers'];

/**
 * Properties for `DrsCoverageReport`.
 */
export interface DrsCoverageReportProps {
  /**
   * A server whose last launch (drill or recovery, `lifeCycle.lastLaunch`) started longer ago
   * than this, failed, or never happened counts as "not drilled in time". Whole days, 1 day to
   * 3650 days (`Duration.days(30)`).
   *
   * @default Duration.days(30)
   */
  readonly maxTimeSinceDrill?: Duration;

  /**
   * The same as `maxTimeSinceDrill`, in whole days (1 to 3650). Give at most one of the two.
   *
   * @default 30
   * @deprecated use `maxTimeSinceDrill: Duration.days(n)`
   */
  readonly maxDaysSinceDrill?: number;

  /**
   * How often the report runs; also the period of its alarms. Whole hours from 1 hour to 1 day.
   *
   * @default Duration.days(1)
   */
  readonly interval?: Duration;

  /**
   * The event bus the report's event (`source` `cdk-drs-multi-account`, `detail-type`
   * `DRS Coverage Report`) is put on.
   *
   * @default - the account's default event bus
   */
  readonly eventBus?: events.IEventBus;

  /**
   * Staging accounts to check besides those ListStagingAccounts returns (which lists only
   * staging accounts that already have extended servers here): list new staging accounts so
   * their unextended servers are reported too. At most 100.
   *
   * @default - only the staging accounts of existing extended servers
   */
  readonly extraStagingAccountIds?: string[];

  /**
   * Alarm when at least this many servers are not drilled in time.
   *
   * @default 1
   */
  readonly notDrilledInTimeThreshold?: number;

  /**
   * How long the function's logs (which carry the metrics) are kept.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * The KMS key that encrypts the function's log group (the report's figures and messages).
   * A given key's policy must let `logs.<region>.amazonaws.com` use it.
   *
   * @default - a new key, with rotation, that only CloudWatch Logs of this account and Region may use
   */
  readonly logEncryptionKey?: kms.IKey;
}

/**
 * A scheduled coverage report of the DRS target account this stack deploys to. Each run lists
 * the staging accounts (`ListStagingAccounts`) and, per staging account, the extended servers
 * per owning stack (the library's owner tags), extended servers no stack manages, servers in
 * EXTENSION_ERROR with DRS's message, servers not drilled within `maxTimeSinceDrill` (from
 * `lifeCycle.lastLaunch`), and staging servers nothing has extended yet
 * (`ListExtensibleSourceServers`).
 *
 * The figures are CloudWatch metrics in the `CdkDrsMultiAccount` namespace (written as Embedded
 * Metric Format log lines: no `cloudwatch:PutMetricData` permission), per staging account and in
 * total; the full report is one EventBridge event per run. Alarms fire on servers not drilled
 * in time, on extension errors and on a failed run.
 *
 * @example
 * import { App, Duration, Stack } from 'aws-cdk-lib';
 * import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
 * import * as sns from 'aws-cdk-lib/aws-sns';
 * import { DrsCoverageReport } from 'cdk-drs-multi-account';
 *
 * const app = new App();
 * const target = new Stack(app, 'DrsTarget', { env: { account: '222222222222', region: 'us-east-1' } });
 * const report = new DrsCoverageReport(target, 'Coverage', {
 *   maxTimeSinceDrill: Duration.days(30),
 *   interval: Duration.hours(12),
 *   extraStagingAccountIds: ['333333333333'],
 * });
 * const topic = sns.Topic.fromTopicArn(target, 'DrTeam', 'arn:aws:sns:us-east-1:222222222222:dr-team');
 * report.addAlarmAction(new cloudwatchActions.SnsAction(topic));
 */
export class DrsCoverageReport extends Construct {
  /** The report function. */
  public readonly handler: lambda.IFunction;

  /** The schedule that runs it. */
  public readonly schedule: events.Rule;

  /** The bus the report event is put on. */
  public readonly eventBus: events.IEventBus;

  /** Fires when at least `notDrilledInTimeThreshold` servers are not drilled in time. */
  public readonly notDrilledInTimeAlarm: cloudwatch.Alarm;

  /** Fires when any extended server is in EXTENSION_ERROR. */
  public readonly extensionErrorsAlarm: cloudwatch.Alarm;

  /** Fires when a run fails (the figures above are then stale). */
  public readonly reportFailedAlarm: cloudwatch.Alarm;

  /** How often the report runs. */
  public readonly interval: Duration;

  constructor(scope: Construct, id: string, props: DrsCoverageReportProps = {}) {
    super(scope, id);
    const maxDays = props.maxTimeSinceDrill !== undefined && !props.maxTimeSinceDrill.isUnresolved()
      ? props.maxTimeSinceDrill.toDays({ integral: false })
      : props.maxDaysSinceDrill ?? 30;
    const interval = props.interval ?? Duration.days(1);
    const threshold = props.notDrilledInTimeThreshold ?? 1;
    const extra = props.extraStagingAccountIds ?? [];
    throwIfProblems('DrsCoverageReport', this, [
      ...(props.maxTimeSinceDrill !== undefined && props.maxDaysSinceDrill !== undefined
        ? ['give at most one of maxTimeSinceDrill and maxDaysSinceDrill (its deprecated form in days)'] : []),
      ...(props.maxTimeSinceDrill?.isUnresolved() ? ['maxTimeSinceDrill must be known at synth (Duration.days(n)), not a token'] : []),
      ...(props.maxTimeSinceDrill !== undefined
        ? checkWholeDays('maxTimeSinceDrill', props.maxTimeSinceDrill, maxDays, 3650)
        : checkWhole('maxDaysSinceDrill', maxDays, 1, 3650)),
      ...checkInterval(interval),
      ...checkWhole('notDrilledInTimeThreshold', threshold, 1, 1_000_000),
      ...(extra.length > 0 ? checkAccountList('extraStagingAccountIds', extra, Limits.MAX_TRUSTED_ACCOUNTS) : []),
    ]);
    this.interval = interval;
    this.eventBus = props.eventBus ?? events.EventBus.fromEventBusName(this, 'DefaultBus', 'default');

    const logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.DESTROY,
      encryptionKey: props.logEncryptionKey ?? this.newLogKey(),
    });
    // An own role with an explicit log grant instead of AWSLambdaBasicExecutionRole.
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'cdk-drs-multi-account coverage report (DRS reads, one event per run)',
    });
    logGroup.grantWrite(role);
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'ReadDrsCoverage',
      actions: COVERAGE_REPORT_DRS_ACTIONS,
      resources: ['*'],
    }));
    this.eventBus.grantPutEventsTo(role);
    acknowledgeFinding(role.node.findChild('DefaultPolicy'), 'AwsSolutions-IAM5[Resource::*]',
      'drs:ListStagingAccounts, drs:DescribeSourceServers and drs:ListExtensibleSourceServers have no resource-level permissions (read only).');

    const fn = new CoverageReportFunction(this, 'Function', {
      description: 'cdk-drs-multi-account: DRS coverage report (metrics and one event per run)',
      role,
      logGroup,
      timeout: Duration.minutes(5),
      memorySize: 256,
      // A failed run raises reportFailedAlarm; the next scheduled run tries again.
      retryAttempts: 0,
      environment: {
        [CoverageEnv.MAX_DAYS_SINCE_DRILL]: Token.isUnresolved(maxDays) ? Token.asString(maxDays) : String(maxDays),
        [CoverageEnv.EVENT_BUS]: this.eventBus.eventBusArn,
        ...(extra.length > 0 ? { [CoverageEnv.EXTRA_STAGING_ACCOUNTS]: extra.join(',') } : {}),
      },
    });
    this.handler = fn;

    this.schedule = new events.Rule(this, 'Schedule', {
      description: 'Runs the DRS coverage report',
      schedule: events.Schedule.rate(interval),
    });
    this.schedule.addTarget(new targets.LambdaFunction(fn));

    const alarmOptions = {
      evaluationPeriods: 1,
      // Between runs there is no data: keep the last state.
      treatMissingData: cloudwatch.TreatMissingData.IGNORE,
    };
    this.notDrilledInTimeAlarm = new cloudwatch.Alarm(this, 'NotDrilledInTime', {
      ...alarmOptions,
      alarmDescription: `DRS: at least ${threshold} extended source server(s) not drilled within ${maxDays} days`,
      metric: this.metricServersNotDrilledInTime(),
      threshold,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
    this.extensionErrorsAlarm = new cloudwatch.Alarm(this, 'ExtensionErrors', {
      ...alarmOptions,
      alarmDescription: 'DRS: extended source servers in EXTENSION_ERROR (see the coverage report event for DRS\'s messages)',
      metric: this.metricExtensionErrors(),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
    this.reportFailedAlarm = new cloudwatch.Alarm(this, 'ReportFailed', {
      alarmDescription: 'DRS coverage report: a run failed; its figures are stale (see the function\'s log)',
      metric: fn.metricErrors({ period: interval, statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    acknowledgeCoverageFindings(fn, role.node.findChild('DefaultPolicy'), this.schedule, this.alarms);
  }

  /** Servers not drilled in time, per report run (total, or one staging account's). */
  public metricServersNotDrilledInTime(options: CoverageMetricOptions = {}): cloudwatch.Metric {
    return DrsMetrics.serversNotDrilledInTime({ period: this.interval, ...options });
  }

  /** Extended servers in EXTENSION_ERROR, per report run (total, or one staging account's). */
  public metricExtensionErrors(options: CoverageMetricOptions = {}): cloudwatch.Metric {
    return DrsMetrics.extensionErrors({ period: this.interval, ...options });
  }

  /** The report's alarms. */
  public get alarms(): cloudwatch.Alarm[] {
    return [this.notDrilledInTimeAlarm, this.extensionErrorsAlarm, this.reportFailedAlarm];
  }

  /** Adds `actions` to every alarm of the report, for ALARM and back to OK. */
  public addAlarmAction(...actions: cloudwatch.IAlarmAction[]): void {
    for (const alarm of this.alarms) {
      alarm.addAlarmAction(...actions);
      alarm.addOkAction(...actions);
    }
  }

  private newLogKey(): kms.Key {
    const key = new kms.Key(this, 'LogKey', {
      description: 'cdk-drs-multi-account: encrypts the DRS coverage report log group',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    key.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'CloudWatchLogsEncryptsCoverageLogGroup',
      principals: [new iam.ServicePrincipal(`logs.${Aws.REGION}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:*` } },
    }));
    return key;
  }

  /**
   * A rule on the report's bus that matches each report event (send it to a queue, a topic or a
   * function that files tickets, for example).
   */
  public onReport(id: string, options: events.OnEventOptions = {}): events.Rule {
    const rule = new events.Rule(this, id, {
      description: options.description ?? 'DRS coverage report event',
      ruleName: options.ruleName,
      eventBus: this.eventBus,
      eventPattern: { ...options.eventPattern, source: [CoverageEvent.SOURCE], detailType: [CoverageEvent.DETAIL_TYPE] },
    });
    if (options.target) rule.addTarget(options.target);
    return rule;
  }
}

function checkWhole(field: string, value: number, min: number, max: number): string[] {
  if (Token.isUnresolved(value)) return [];
  return Number.isInteger(value) && value >= min && value <= max ? [] : [`${field} must be a whole number from ${min} to ${max}, got ${value}`];
}

function checkWholeDays(field: string, value: Duration, days: number, max: number): string[] {
  if (value.isUnresolved()) return [];
  return Number.isInteger(days) && days >= 1 && days <= max ? [] : [`${field} must be whole days from Duration.days(1) to Duration.days(${max}), got ${value.toHumanString()}`];
}

function checkInterval(interval: Duration): string[] {
  if (interval.isUnresolved()) return [];
  const seconds = interval.toSeconds({ integral: false });
  const ok = seconds >= 3600 && seconds <= 86400 && seconds % 3600 === 0;
  return ok ? [] : [`interval must be whole hours from 1 hour to 1 day (it is also the alarms' period), got ${interval.toHumanString()}`];
}

/** The cdk-nag findings (AwsSolutions, HIPAA, NIST 800-53 R5, PCI DSS 3.2.1, Serverless) that follow from the design, with reasons. */
function acknowledgeCoverageFindings(fn: lambda.IFunction, policy: IConstruct, schedule: events.Rule, alarms: cloudwatch.Alarm[]): void {
  const runtime = 'The runtime is pinned so the deployed bundle is the tested one; it is moved to newer runtimes with releases.';
  acknowledgeFinding(fn, 'AwsSolutions-L1', runtime);
  acknowledgeFinding(fn, 'Serverless-LambdaLatestVersion', runtime);
  const rerun = 'A failed run raises the ReportFailed alarm and the next scheduled run makes the whole report again; '
    + 'the invocation carries no input worth keeping.';
  acknowledgeRule(fn, 'LambdaDLQ', [...HIPAA_NIST, NagPack.SERVERLESS], rerun);
  acknowledgeFinding(fn.node.findChild('EventInvokeConfig'), 'Serverless-LambdaAsyncFailureDestination', rerun);
  acknowledgeRule(fn, 'LambdaInsideVPC', HIPAA_NIST_PCI, 'The function reaches only the DRS and EventBridge APIs and no resource in a VPC.');
  acknowledgeRule(fn, 'LambdaConcurrency', HIPAA_NIST,
    "It runs once per interval; a reservation would be taken from the account's unreserved concurrency for nothing.");
  acknowledgeFinding(fn, 'Serverless-LambdaTracing',
    "The function's AWS calls are not instrumented, so a trace would show only the invocation, which its log lines record.");
  acknowledgeInlinePolicy(policy, 'it lets the coverage report read DRS and put events on its own bus, and nothing else.');
  acknowledgeFinding(schedule, 'Serverless-EventBusDLQ',
    'A run that EventBridge cannot deliver is made up by the next scheduled run, which reports everything again.');
  for (const alarm of alarms) {
    acknowledgeRule(alarm, 'CloudWatchAlarmAction', HIPAA_NIST,
      'Actions are the user\'s to choose (addAlarmAction); without one the alarm still shows on DrsDashboard and in the console.');
  }
}
