import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';

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

/**
 * A check of each server a `RecoveryDrill` launched: the server succeeds only when it is
 * `LAUNCHED` and every check of the drill passed; its recovery time then ends when its last
 * check ended. Checks of a server run one after the other, in the order given.
 *
 * @example
 * import { App, Duration, Stack } from 'aws-cdk-lib';
 * import { DrillCheck, ExtendedSourceServer, RecoveryDrill } from 'cdk-drs-multi-account';
 *
 * const app = new App();
 * const target = new Stack(app, 'DrsTarget', { env: { account: '222222222222', region: 'us-east-1' } });
 * const web = ExtendedSourceServer.fromSourceServerId(target, 'Web1', 's-0a1b2c3d4e5f60001');
 * new RecoveryDrill(target, 'Drill', {
 *   servers: [web],
 *   checks: [
 *     DrillCheck.ec2StatusChecks({ timeout: Duration.minutes(10) }),
 *     DrillCheck.ssmDocument({ documentName: 'AWS-RunShellScript', parameters: { commands: { value: 'uptime' } } }),
 *   ],
 * });
 */
export class DrillCheck {
  /**
   * The EC2 status checks of the recovered server's instance: the drill waits (Wait states,
   * `ec2:DescribeInstanceStatus` with `IncludeAllInstances`) until its instance status and system
   * status are both `ok`. `impaired` fails the server, as does the timeout.
   */
  public static ec2StatusChecks(options: Ec2StatusChecksOptions = {}): DrillCheck {
    return new DrillCheck('ec2', options.timeout ?? Duration.minutes(15), options.interval ?? Duration.seconds(30));
  }

  /**
   * An SSM document that DRS runs on the recovered instance as a post-launch action of category
   * VALIDATION: the drill puts the launch action (`drs:PutLaunchAction`, a fixed action id of
   * this drill and check) on each server just before the server's wave starts, reads DRS's run
   * of it from `DescribeJobs` (`launchActionsStatus`), and removes it from every drilled server
   * again (`drs:DeleteLaunchAction`) before the drill ends, also when the drill fails, so a real
   * recovery never runs it. A run that FAILED fails the server with DRS's failure reason.
   * DRS makes the SSM calls that run the document as the principal that started the drill, so
   * the drill's role may call SSM for the checks' documents, only through DRS (see docs/iam.md).
   */
  public static ssmDocument(options: SsmDocumentCheckOptions): DrillCheck {
    return new DrillCheck('ssm', options.timeout ?? Duration.minutes(30), options.interval ?? Duration.minutes(1), options);
  }

  /**
   * A Lambda function of yours, invoked with `{ drillName, executionName, sourceServerId,
   * recoveryInstanceId, ec2InstanceId }`, that returns `{ "passed": true }` when the recovered
   * server works. Any other answer, or an error, fails the server (the answer's `detail` is the
   * reason).
   */
  public static lambdaFunction(fn: lambda.IFunction): DrillCheck {
    return new DrillCheck('lambda', undefined, undefined, undefined, fn);
  }

  /** @internal `ec2`, `ssm` or `lambda`. */
  public readonly _kind: string;
  /** @internal */
  public readonly _timeout?: Duration;
  /** @internal */
  public readonly _interval?: Duration;
  /** @internal */
  public readonly _ssm?: SsmDocumentCheckOptions;
  /** @internal */
  public readonly _fn?: lambda.IFunction;

  private constructor(kind: string, timeout?: Duration, interval?: Duration, ssm?: SsmDocumentCheckOptions, fn?: lambda.IFunction) {
    this._kind = kind;
    this._timeout = timeout;
    this._interval = interval;
    this._ssm = ssm;
    this._fn = fn;
  }
}
