import * as lambda from 'aws-cdk-lib/aws-lambda';
import { CheckKind } from './check-kind';
import { Ec2StatusChecksOptions, SsmDocumentCheckOptions } from './drill-check-options';
import { Ec2StatusChecks } from './ec2-status-checks';
import { LambdaFunctionCheck } from './lambda-function-check';
import { SsmDocumentCheck } from './ssm-document-check';

export * from './drill-check-options';

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
export abstract class DrillCheck {
  /**
   * The EC2 status checks of the recovered server's instance: the drill waits (Wait states,
   * `ec2:DescribeInstanceStatus` with `IncludeAllInstances`) until its instance status and system
   * status are both `ok`. `impaired` fails the server, as does the timeout.
   */
  public static ec2StatusChecks(options: Ec2StatusChecksOptions = {}): DrillCheck {
    return new KindCheck(new Ec2StatusChecks(options));
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
    return new KindCheck(new SsmDocumentCheck(options));
  }

  /**
   * A Lambda function of yours, invoked with `{ drillName, executionName, sourceServerId,
   * recoveryInstanceId, ec2InstanceId }`, that returns `{ "passed": true }` when the recovered
   * server works. Any other answer, or an error, fails the server (the answer's `detail` is the
   * reason).
   */
  public static lambdaFunction(fn: lambda.IFunction): DrillCheck {
    return new KindCheck(new LambdaFunctionCheck(fn));
  }

  /**
   * @internal What the drill makes of the check: its validation, states, IAM statements and
   * cdk-nag acknowledgements (one class per kind, in this folder).
   */
  public abstract readonly _kind: CheckKind;
}

/** A check of one of the kinds above. */
class KindCheck extends DrillCheck {
  constructor(public readonly _kind: CheckKind) {
    super();
  }
}
