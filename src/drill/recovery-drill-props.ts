import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { DrillCheck } from './checks/drill-check';
import { ExtendedServerSelector } from '../servers/extended-server-selector';
import { IExtendedSourceServer } from '../servers/extended-source-server';
import { ServerSelector } from '../servers/server-selector';
import { StagingAccountExtension } from '../servers/staging-account-extension';

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
 * What a drill does when, just before one of its waves, it finds a recovery that started since
 * the drill was planned: an active launch job in the account that is not a drill, or a recovery
 * instance of a server of that wave. A drill of such a server would replace its recovery
 * instance.
 */
export enum RecoveryDuringDrill {
  /** Start no further wave; the drill ends with outcome STOPPED_RECOVERY_IN_PROGRESS after its clean-up. */
  STOP_DRILL = 'stop',
  /** Leave the affected servers of the wave out, name them in the result, and go on with the others. */
  SKIP_AFFECTED_SERVERS = 'skip',
}

/**
 * Properties for a `RecoveryDrill`. Give the servers to drill with `servers`, `extensions` and
 * `extendedServerSelector`, in any combination (at least one): the drill drills their union, each
 * server once. For example two `StagingAccountExtension`s and one more server:
 * `{ extensions: [east, west], servers: [legacyDb] }`.
 */
export interface RecoveryDrillProps {
  /**
   * These extended source servers (in addition to those of `extensions` and
   * `extendedServerSelector`).
   *
   * @default - none
   */
  readonly servers?: IExtendedSourceServer[];

  /**
   * The servers these `StagingAccountExtension`s own (by their owner tags, at the time the
   * drill runs), in addition to `servers` and those of `extendedServerSelector`.
   *
   * @default - none
   */
  readonly extensions?: StagingAccountExtension[];

  /**
   * Every extended server of this (the target) account and Region that matches, by its hostname
   * and its tags IN THIS ACCOUNT, at the time the drill runs; in addition to `servers` and
   * `extensions`. These are the extended servers' tags, not the staging servers' tags that a
   * `StagingAccountExtension`'s `ServerSelector` reads.
   *
   * @default - none
   */
  readonly extendedServerSelector?: ExtendedServerSelector;

  /**
   * Like `extendedServerSelector`: reads the extended servers' tags in THIS (the target)
   * account, although a `ServerSelector` given to a `StagingAccountExtension` reads staging-account
   * tags. Give at most one of `selector` and `extendedServerSelector`.
   *
   * @default - none
   * @deprecated use `extendedServerSelector` with an `ExtendedServerSelector`, whose name says
   *   which account's tags it reads
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
   * What to do when, before a wave, the drill finds a recovery that started since it was planned
   * (the drill looks again before every wave).
   *
   * @default RecoveryDuringDrill.STOP_DRILL
   */
  readonly recoveryDuringDrill?: RecoveryDuringDrill;

  /**
   * Whether the drill may succeed when servers it was to drill were skipped: servers that cannot
   * be drilled (extension error, disconnected, an existing recovery instance, no such server, a
   * recovery during the drill). A compliance drill fails when a declared server cannot be
   * recovered, so by default a skipped server fails the drill (each is named in the result).
   *
   * @default false
   */
  readonly allowSkippedServers?: boolean;

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
