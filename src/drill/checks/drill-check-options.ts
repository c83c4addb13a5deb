/**
 * The options of the kinds of `DrillCheck` (public API; the kinds themselves are internal, one
 * file each beside this one).
 */
import { Duration } from 'aws-cdk-lib';

/** Options of `DrillCheck.ec2StatusChecks`. */
export interface Ec2StatusChecksOptions {
  /**
   * How long the drill waits for both status checks (instance and system) of a recovered
   * server's EC2 instance to be `ok`, counted from when this check of the server starts (after
   * the drill's last wave's job ended, and the server's earlier checks). The server fails when
   * they are not both `ok` by then.
   *
   * @default Duration.minutes(15)
   */
  readonly timeout?: Duration;

  /**
   * How often the drill asks EC2 (`DescribeInstanceStatus`; each ask is five state transitions).
   *
   * @default Duration.seconds(30)
   */
  readonly interval?: Duration;
}

/** How DRS resolves a parameter of a launch action: from SSM Parameter Store, or a dynamic value. */
export enum LaunchActionParameterType {
  /** The value names an SSM Parameter Store parameter, resolved when the action runs. */
  SSM_STORE = 'SSM_STORE',
  /** The value is passed as it is. */
  DYNAMIC = 'DYNAMIC',
}

/** A parameter of an SSM document run by DRS as a launch action (DRS's `LaunchActionParameter`). */
export interface LaunchActionParameterValue {
  /** The value: letters, digits, `.` and `-` (1-1011 characters, DRS's pattern). */
  readonly value: string;

  /**
   * How DRS resolves the value.
   *
   * @default LaunchActionParameterType.DYNAMIC
   */
  readonly type?: LaunchActionParameterType;
}

/** Options of `DrillCheck.ssmDocument`. */
export interface SsmDocumentCheckOptions {
  /** The SSM document DRS runs on the recovered instance (a name or an ARN; DRS's `actionCode`). */
  readonly documentName: string;

  /**
   * The document's version: a number, `$DEFAULT` or `$LATEST`.
   *
   * @default '$DEFAULT'
   */
  readonly documentVersion?: string;

  /**
   * The document's parameters, by name (letters and digits).
   *
   * @default - none
   */
  readonly parameters?: { [name: string]: LaunchActionParameterValue };

  /**
   * How long the drill waits for DRS's run of the document to end, counted from when this check
   * of the server starts (after the drill's last wave's job ended, and the server's earlier
   * checks). The server fails when the run has not SUCCEEDED by then.
   *
   * @default Duration.minutes(30)
   */
  readonly timeout?: Duration;

  /**
   * How often the drill reads the run's status (`DescribeJobs`, through the drill's read-only
   * function; each read is five state transitions and one Lambda invocation).
   *
   * @default Duration.minutes(1)
   */
  readonly interval?: Duration;

  /**
   * The launch action's order among the server's launch actions (2-10000).
   *
   * @default - 9000 plus the check's position among the drill's SSM document checks
   */
  readonly order?: number;

  /**
   * The launch action's name in DRS.
   *
   * @default - 'cdk-drs-multi-account drill check' and the check's position
   */
  readonly name?: string;
}
