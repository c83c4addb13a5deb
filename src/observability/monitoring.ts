import { Duration, Fn, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { DrsMetrics } from './drs-metrics';
import { acknowledgeFinding } from '../common/nag';
import { checkStagingSourceServerArn, throwIfProblems } from '../common/validation';
import { parseSourceServerArn } from '../contract';
import { IExtendedSourceServer } from '../servers/extended-source-server';

/** EventBridge `source` and `detail-type`s of DRS (EventBridge reference, "AWS Elastic Disaster Recovery events"). */
const DRS_EVENT_SOURCE = 'aws.drs';
const REPLICATION_STALLED = 'DRS Source Server Data Replication Stalled Change';
const LAUNCH_RESULT = 'DRS Source Server Launch Result';

/**
 * Server ARNs per rule. Rules match on the event's `resources`; a bounded list keeps each event
 * pattern well below EventBridge's size limit whatever the number of servers.
 */
const ARNS_PER_RULE = 20;

/**
 * Properties for `DrsMonitoring`.
 */
export interface DrsMonitoringProps {
  /**
   * Extended source servers to watch.
   *
   * @default - none; give `servers` or `sourceServerArns` (or both)
   */
  readonly servers?: IExtendedSourceServer[];

  /**
   * ARNs of other source servers of this account and Region to watch, for example those
   * replicating in a staging account (where the replication events of a server are emitted).
   *
   * @default - none
   */
  readonly sourceServerArns?: string[];

  /**
   * Where events and alarms are sent. More targets can be added with `addTarget` and
   * `addAlarmAction`; at least one event target is required.
   *
   * @default - none: call `addTarget`
   */
  readonly topic?: sns.ITopic;

  /**
   * Also notify when a stalled replication recovers (`NOT_STALLED`).
   *
   * @default true
   */
  readonly notifyWhenStallClears?: boolean;

  /**
   * Raise an alarm per server when its replication lag (`AWS/DRS` metric `LagDuration`, maximum,
   * dimension `SourceServerID`) exceeds this for `lagEvaluationPeriods` five-minute periods.
   * Where DRS publishes no such data for a server, the alarm stays in INSUFFICIENT_DATA (visible)
   * rather than OK.
   *
   * @default - no lag alarms
   */
  readonly replicationLagThreshold?: Duration;

  /**
   * Five-minute periods the lag must exceed the threshold before the alarm fires.
   *
   * @default 3
   */
  readonly lagEvaluationPeriods?: number;
}

/**
 * Watches DRS source servers: EventBridge rules for replication stalls and recovery launch
 * results of the given servers (matched by their ARN in the event's `resources`), sent to a
 * topic or targets of your choice, and optional CloudWatch alarms on replication lag.
 *
 * @example
 * import { App, Duration, Stack } from 'aws-cdk-lib';
 * import * as sns from 'aws-cdk-lib/aws-sns';
 * import { DrsMonitoring, ExtendedSourceServer } from 'cdk-drs-multi-account';
 *
 * const app = new App();
 * const target = new Stack(app, 'DrsTarget', { env: { account: '222222222222', region: 'us-east-1' } });
 * const server = new ExtendedSourceServer(target, 'Web1', {
 *   stagingSourceServerArn: 'arn:aws:drs:us-east-1:111111111111:source-server/s-0a1b2c3d4e5f60001',
 * });
 *
 * const topic = sns.Topic.fromTopicArn(target, 'DrTeam', 'arn:aws:sns:us-east-1:222222222222:dr-team');
 * new DrsMonitoring(target, 'Monitoring', {
 *   servers: [server],
 *   topic,
 *   replicationLagThreshold: Duration.minutes(30),
 * });
 */
export class DrsMonitoring extends Construct {
  /** Rules for replication stalled (and, unless disabled, stall cleared) events. */
  public readonly replicationStalledRules: events.Rule[];

  /** Rules for recovery launch results (drills and recoveries, succeeded or failed). */
  public readonly launchResultRules: events.Rule[];

  /** One replication lag alarm per watched server, when `replicationLagThreshold` is set. */
  public readonly lagAlarms: cloudwatch.Alarm[];

  private targetCount = 0;

  constructor(scope: Construct, id: string, props: DrsMonitoringProps) {
    super(scope, id);
    const arns = props.sourceServerArns ?? [];
    throwIfProblems('DrsMonitoring', this, [
      ...((props.servers ?? []).length + arns.length === 0 ? ['give the servers to watch in servers or sourceServerArns'] : []),
      ...arns.flatMap((arn, i) => checkStagingSourceServerArn(`sourceServerArns[${i}]`, arn)),
      ...checkEvaluationPeriods(props.lagEvaluationPeriods),
      ...checkThreshold(props.replicationLagThreshold),
    ]);

    const watched = [
      ...(props.servers ?? []).map((s) => ({ arn: s.sourceServerArn, id: s.sourceServerId })),
      ...arns.map((arn) => ({ arn, id: serverIdOf(arn) })),
    ];
    const chunks = chunk(watched.map((w) => w.arn), ARNS_PER_RULE);
    const states = props.notifyWhenStallClears ?? true ? ['STALLED', 'NOT_STALLED'] : ['STALLED'];
    this.replicationStalledRules = chunks.map((resources, i) => new events.Rule(this, `ReplicationStalled${i}`, {
      description: 'DRS: data replication of a watched source server stalled or recovered',
      eventPattern: { source: [DRS_EVENT_SOURCE], detailType: [REPLICATION_STALLED], resources, detail: { state: states } },
    }));
    this.launchResultRules = chunks.map((resources, i) => new events.Rule(this, `LaunchResult${i}`, {
      description: 'DRS: a drill or recovery launch of a watched source server finished',
      eventPattern: { source: [DRS_EVENT_SOURCE], detailType: [LAUNCH_RESULT], resources },
    }));

    const threshold = props.replicationLagThreshold;
    this.lagAlarms = threshold === undefined ? [] : watched.map((w, i) => new cloudwatch.Alarm(this, `ReplicationLag${i}`, {
      alarmDescription: `DRS replication lag of source server ${Token.isUnresolved(w.id) ? `#${i}` : w.id} exceeds ${threshold.toHumanString()}`,
      metric: DrsMetrics.replicationLag({ sourceServerId: w.id }),
      threshold: threshold.toSeconds(),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: props.lagEvaluationPeriods ?? 3,
      treatMissingData: cloudwatch.TreatMissingData.MISSING,
    }));

    if (props.topic) {
      this.addTarget(new targets.SnsTopic(props.topic));
      for (const rule of [...this.replicationStalledRules, ...this.launchResultRules]) {
        acknowledgeFinding(rule, 'Serverless-EventBusDLQ',
          'The target is the alerts topic: EventBridge retries delivery to SNS for up to 24 hours, and the lag alarms ' +
          'notify the same topic independently. Targets added with addTarget can bring their own deadLetterQueue.');
      }
      this.addAlarmAction(new cloudwatchActions.SnsAction(props.topic));
    }
    this.node.addValidation({
      validate: () => this.targetCount > 0 ? [] : [`DrsMonitoring ${this.node.path}: events go nowhere; give a topic or call addTarget()`],
    });
  }

  /**
   * Sends the events of every rule to `target` as well.
   */
  public addTarget(target: events.IRuleTarget): void {
    for (const rule of [...this.replicationStalledRules, ...this.launchResultRules]) rule.addTarget(target);
    this.targetCount++;
  }

  /**
   * Adds `action` to every lag alarm (for ALARM and back to OK).
   */
  public addAlarmAction(action: cloudwatch.IAlarmAction): void {
    for (const alarm of this.lagAlarms) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
  }
}

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The `s-...` id of a source server ARN, at synth when known, else at deploy time. */
function serverIdOf(arn: string): string {
  if (!Token.isUnresolved(arn)) return parseSourceServerArn(arn)!.sourceServerId;
  return Fn.select(1, Fn.split('/', arn));
}

function checkEvaluationPeriods(periods: number | undefined): string[] {
  if (periods === undefined || Token.isUnresolved(periods)) return [];
  return Number.isInteger(periods) && periods >= 1 ? [] : [`lagEvaluationPeriods must be a whole number of at least 1, got ${periods}`];
}

function checkThreshold(threshold: Duration | undefined): string[] {
  if (threshold === undefined || threshold.isUnresolved()) return [];
  const ms = threshold.toMilliseconds();
  return ms > 0 && ms % 1000 === 0 ? [] : [`replicationLagThreshold must be a whole number of seconds above zero, got ${threshold.toHumanString()}`];
}
