import { createHash } from 'crypto';
import { Aws, Duration, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DefinitionCheck } from './recovery-drill-checks-definition';

/** Options of `DrillCheck.ec2StatusChecks`. */
export interface Ec2StatusChecksOptions {
  /**
   * How long the drill waits for both status checks (instance and system) of a recovered
   * server's EC2 instance to be `ok`, counted from when the drill starts checking (after its
   * last wave's job ended). The server fails when they are not both `ok` by then.
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
   * How long the drill waits for DRS's run of the document to end, counted from when the drill
   * starts checking (after its last wave's job ended). The server fails when the run has not
   * SUCCEEDED by then.
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

/** @internal What the definition needs of a check. */
export interface DrillCheckSpec {
  readonly kind: 'ec2' | 'ssm' | 'lambda';
  readonly timeout?: Duration;
  readonly interval?: Duration;
  readonly ssm?: SsmDocumentCheckOptions;
  readonly fn?: lambda.IFunction;
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
    return new DrillCheck({ kind: 'ec2', timeout: options.timeout ?? Duration.minutes(15), interval: options.interval ?? Duration.seconds(30) });
  }

  /**
   * An SSM document that DRS runs on the recovered instance as a post-launch action of category
   * VALIDATION: the drill puts the launch action (`drs:PutLaunchAction`, a fixed action id of
   * this drill and check) on each server just before the server's wave starts, reads DRS's run
   * of it from `DescribeJobs` (`launchActionsStatus`), and removes it from every drilled server
   * again (`drs:DeleteLaunchAction`) before the drill ends, also when the drill fails, so a real
   * recovery never runs it. A run that FAILED fails the server with DRS's failure reason.
   * DRS runs the document with its own roles (see docs/iam.md), not the drill's.
   */
  public static ssmDocument(options: SsmDocumentCheckOptions): DrillCheck {
    return new DrillCheck({ kind: 'ssm', ssm: options, timeout: options.timeout ?? Duration.minutes(30), interval: options.interval ?? Duration.minutes(1) });
  }

  /**
   * A Lambda function of yours, invoked with `{ drillName, executionName, sourceServerId,
   * recoveryInstanceId, ec2InstanceId }`, that returns `{ "passed": true }` when the recovered
   * server works. Any other answer, or an error, fails the server (the answer's `detail` is the
   * reason).
   */
  public static lambdaFunction(fn: lambda.IFunction): DrillCheck {
    return new DrillCheck({ kind: 'lambda', fn });
  }

  /** @internal */
  public readonly _spec: DrillCheckSpec;

  private constructor(spec: DrillCheckSpec) {
    this._spec = spec;
  }
}

const DOCUMENT_NAME = /^[A-Za-z0-9\-/:]{1,1011}$/;
const VERSION = /^(\$DEFAULT|\$LATEST|[0-9]+)$/;
const PARAMETER_NAME = /^[A-Za-z0-9]{1,1011}$/;
const PARAMETER_VALUE = /^[A-Za-z0-9.-]{1,1011}$/;
const ACTION_NAME = /^[A-Za-z0-9][A-Za-z0-9 /_-]{0,255}$/;

/** @internal Problems of the drill's checks, each naming the field. */
export function checkProblems(checks: readonly DrillCheck[]): string[] {
  const problems: string[] = [];
  const ec2 = checks.filter((c) => c._spec.kind === 'ec2');
  if (ec2.length > 1) problems.push('checks: give DrillCheck.ec2StatusChecks at most once');
  checks.forEach((c, i) => {
    const at = `checks[${i}]`;
    const s = c._spec;
    const seconds = (d: Duration | undefined) => (d && !Token.isUnresolved(d.toSeconds()) ? d.toSeconds() : undefined);
    const timeout = seconds(s.timeout);
    const interval = seconds(s.interval);
    if (interval !== undefined && interval < 1) problems.push(`${at}.interval must be at least 1 second`);
    if (timeout !== undefined && interval !== undefined && timeout < interval) problems.push(`${at}.timeout (${timeout} s) must be at least its interval (${interval} s)`);
    if (timeout !== undefined && timeout > 24 * 3600) problems.push(`${at}.timeout must be at most 24 hours`);
    if (s.kind !== 'ssm' || !s.ssm) return;
    const o = s.ssm;
    if (!Token.isUnresolved(o.documentName) && !DOCUMENT_NAME.test(o.documentName)) {
      problems.push(`${at}.documentName must be an SSM document name or ARN (letters, digits, -/:), got '${o.documentName}'`);
    }
    if (o.documentVersion !== undefined && !Token.isUnresolved(o.documentVersion) && !VERSION.test(o.documentVersion)) {
      problems.push(`${at}.documentVersion must be a number, $DEFAULT or $LATEST, got '${o.documentVersion}'`);
    }
    if (o.order !== undefined && !Token.isUnresolved(o.order) && (!Number.isInteger(o.order) || o.order < 2 || o.order > 10000)) {
      problems.push(`${at}.order must be a whole number from 2 to 10000 (DRS's launch action order), got ${o.order}`);
    }
    if (o.name !== undefined && !Token.isUnresolved(o.name) && !ACTION_NAME.test(o.name)) {
      problems.push(`${at}.name must be 1-256 letters, digits, spaces or /_- starting with a letter or digit, got '${o.name}'`);
    }
    const parameters = Object.entries(o.parameters ?? {});
    if (parameters.length > 20) problems.push(`${at}.parameters may have at most 20 entries (DRS), got ${parameters.length}`);
    for (const [name, p] of parameters) {
      if (!PARAMETER_NAME.test(name)) problems.push(`${at}.parameters: the name '${name}' must be letters and digits`);
      if (!Token.isUnresolved(p.value) && !PARAMETER_VALUE.test(p.value)) {
        problems.push(`${at}.parameters.${name}.value must be 1-1011 letters, digits, '.' or '-' (DRS's pattern; put other values in SSM Parameter Store and use LaunchActionParameterType.SSM_STORE), got '${p.value}'`);
      }
    }
  });
  return problems;
}

/** @internal The checks as the definition takes them; launch action ids fixed per drill (`drillAddr`) and check. */
export function definitionChecks(checks: readonly DrillCheck[], drillName: string, drillAddr: string): DefinitionCheck[] {
  let ssmIndex = 0;
  return checks.map((c): DefinitionCheck => {
    const s = c._spec;
    if (s.kind === 'lambda') return { kind: 'lambda', functionArn: s.fn!.functionArn };
    const timing = { timeoutSeconds: s.timeout!.toSeconds(), intervalSeconds: s.interval!.toSeconds() };
    if (s.kind === 'ec2') return { kind: 'ec2', ...timing };
    const o = s.ssm!;
    ssmIndex += 1;
    return {
      kind: 'ssm',
      ...timing,
      launchAction: {
        actionId: actionId(`${drillAddr}/${drillName}/ssm/${ssmIndex}`),
        documentName: o.documentName,
        documentVersion: o.documentVersion ?? '$DEFAULT',
        order: o.order ?? 9000 + ssmIndex,
        name: o.name ?? `cdk-drs-multi-account drill check ${ssmIndex}`,
        description: 'Put by a cdk-drs-multi-account RecoveryDrill for its drill; removed when the drill ends.',
        ...(o.parameters ? {
          parameters: Object.fromEntries(Object.entries(o.parameters)
            .map(([k, v]) => [k, { value: v.value, type: v.type ?? LaunchActionParameterType.DYNAMIC }])),
        } : {}),
      },
    };
  });
}

/** A launch action id (DRS wants a UUID) that is the same at every synth of the same drill and check. */
function actionId(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * @internal The state machine's permissions for the checks: the launch actions on the drilled
 * servers (the scopes of StartRecovery, without its request tags), EC2 status (only `*`), the
 * user's functions.
 */
export function checkStatements(
  checks: readonly DrillCheck[], serverScopes: Array<{ resources: string[]; conditions?: Record<string, Record<string, unknown>> }>,
): iam.PolicyStatement[] {
  const statements: iam.PolicyStatement[] = [];
  if (checks.some((c) => c._spec.kind === 'ssm')) {
    serverScopes.forEach((s, i) => statements.push(new iam.PolicyStatement({
      sid: `DrillLaunchActionsOfDrilledServers${i === 0 ? '' : i}`,
      actions: ['drs:PutLaunchAction', 'drs:DeleteLaunchAction'],
      resources: s.resources,
      conditions: s.conditions,
    })));
  }
  const documents = checks.filter((c) => c._spec.kind === 'ssm').map((c) => c._spec.ssm!);
  if (documents.length > 0) statements.push(...launchActionRunStatements(documents));
  if (checks.some((c) => c._spec.kind === 'ec2')) {
    statements.push(new iam.PolicyStatement({
      sid: 'ReadInstanceStatus',
      // DescribeInstanceStatus supports no resource-level permissions (Service Authorization Reference for EC2).
      actions: ['ec2:DescribeInstanceStatus'],
      resources: ['*'],
    }));
  }
  const functions = checks.filter((c) => c._spec.kind === 'lambda').map((c) => c._spec.fn!.functionArn);
  if (functions.length > 0) {
    // The functions themselves (no `:*`): the state machine invokes their unqualified ARNs.
    statements.push(new iam.PolicyStatement({ sid: 'InvokeServerCheck', actions: ['lambda:InvokeFunction'], resources: functions }));
  }
  return statements;
}

/** SSM only when DRS calls it for the drill (aws:CalledVia), as the managed AWSElasticDisasterRecoveryLaunchActionsPolicy does. */
const VIA_DRS = { 'ForAnyValue:StringEquals': { 'aws:CalledVia': ['drs.amazonaws.com'] } };

/**
 * DRS runs a launch action with the credentials of whoever started the launch (the DRS user
 * guide, "post-launch actions": automation with the caller's credentials; the managed
 * AWSElasticDisasterRecoveryLaunchActionsPolicy for the caller), i.e. the drill's role: the
 * SSM calls DRS makes for it, only through DRS, only on the checks' documents.
 */
function launchActionRunStatements(documents: readonly SsmDocumentCheckOptions[]): iam.PolicyStatement[] {
  const ssm = (resource: string, account: string = Aws.ACCOUNT_ID) => `arn:${Aws.PARTITION}:ssm:${Aws.REGION}:${account}:${resource}`;
  const documentArns = documents.flatMap((d) => (d.documentName.startsWith('arn:')
    ? [d.documentName]
    // Owned by the account, or by Amazon (no account in the ARN): the name does not say which.
    : [ssm(`document/${d.documentName}`), ssm(`document/${d.documentName}`, '')]));
  const automation = documents.filter((d) => !d.documentName.startsWith('arn:')).map((d) => ssm(`automation-definition/${d.documentName}:*`));
  const parameters = documents.flatMap((d) => Object.values(d.parameters ?? {}).filter((p) => p.type === LaunchActionParameterType.SSM_STORE)
    .map((p) => ssm(`parameter/${p.value}`)));
  return [
    new iam.PolicyStatement({
      sid: 'DescribeForLaunchActionsThroughDrs',
      actions: ['ssm:DescribeInstanceInformation', 'ssm:DescribeParameters'],
      resources: ['*'],
      conditions: VIA_DRS,
    }),
    new iam.PolicyStatement({
      sid: 'RunCheckDocumentsThroughDrs',
      actions: ['ssm:SendCommand', 'ssm:StartAutomationExecution'],
      resources: [...documentArns, ...automation, ssm('automation-execution/*'), `arn:${Aws.PARTITION}:ec2:${Aws.REGION}:${Aws.ACCOUNT_ID}:instance/*`],
      conditions: VIA_DRS,
    }),
    ...(parameters.length > 0 ? [new iam.PolicyStatement({
      sid: 'ReadCheckParametersThroughDrs',
      actions: ['ssm:GetParameter', 'ssm:GetParameters'],
      resources: parameters,
      conditions: VIA_DRS,
    })] : []),
  ];
}

/** @internal cdk-nag AwsSolutions-IAM5 acknowledgements of the state machine role's check statements, with their reasons. */
export function checkAcknowledgements(checks: readonly DrillCheck[]): Record<string, string> {
  const documents = checks.filter((c) => c._spec.kind === 'ssm').map((c) => c._spec.ssm!);
  if (documents.length === 0) return {};
  const via = 'only when DRS calls SSM for the drill\'s launch action (aws:CalledVia drs.amazonaws.com), as the managed AWSElasticDisasterRecoveryLaunchActionsPolicy grants';
  const acks: Record<string, string> = {
    'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:automation-execution/*]':
      `StartAutomationExecution of the check's document: execution ids are assigned when DRS starts it; ${via}.`,
    'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:instance/*]':
      `SendCommand of the check's document to the recovered instance, whose id DRS assigns at launch; ${via}.`,
  };
  for (const d of documents) {
    if (d.documentName.startsWith('arn:') || Token.isUnresolved(d.documentName)) continue;
    acks[`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:automation-definition/${d.documentName}:*]`] =
      `Any version of the check's own document ${d.documentName} (documentVersion may be $DEFAULT or $LATEST); ${via}.`;
  }
  return acks;
}
