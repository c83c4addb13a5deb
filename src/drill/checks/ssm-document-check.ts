/**
 * The kind of `DrillCheck.ssmDocument`: an SSM document that DRS runs on the recovered instance
 * as a post-launch action; the drill puts the launch action before each wave, reads its run
 * (through the drill's read-only function) and removes it again. Internal.
 */
import { createHash } from 'crypto';
import { Aws, Duration, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { CheckKind, CheckKindGroup, CheckRenderContext } from './check-kind';
import { LaunchActionParameterType, SsmDocumentCheckOptions } from './drill-check-options';
import { LAMBDA_RETRY, State } from '../definition/asl';
import { CheckDefinitionOptions, CheckStates, DefinitionCheck, DefinitionLaunchAction, PollTiming, pollStates, verdict } from '../definition/checks-definition';

const DOCUMENT_NAME = /^[A-Za-z0-9\-/:]{1,1011}$/;
const VERSION = /^(\$DEFAULT|\$LATEST|[0-9]+)$/;
const PARAMETER_NAME = /^[A-Za-z0-9]{1,1011}$/;
const PARAMETER_VALUE = /^[A-Za-z0-9.-]{1,1011}$/;
const ACTION_NAME = /^[A-Za-z0-9][A-Za-z0-9 /_-]{0,255}$/;

const GROUP: CheckKindGroup = {
  rank: 1,
  problems: () => [],
  statements: (checks, serverScopes) => [
    // The launch actions on the drilled servers: the scopes of StartRecovery, without its request tags.
    ...serverScopes.map((s, i) => new iam.PolicyStatement({
      sid: `DrillLaunchActionsOfDrilledServers${i === 0 ? '' : i}`,
      actions: ['drs:PutLaunchAction', 'drs:DeleteLaunchAction'],
      resources: s.resources,
      conditions: s.conditions,
    })),
    ...launchActionRunStatements(checks.map((c) => (c as SsmDocumentCheck).options)),
  ],
  acknowledgements: (checks) => acknowledgements(checks.map((c) => (c as SsmDocumentCheck).options)),
};

export class SsmDocumentCheck implements CheckKind {
  public readonly group = GROUP;
  public readonly timing: { readonly timeout: Duration; readonly interval: Duration };

  constructor(public readonly options: SsmDocumentCheckOptions) {
    this.timing = { timeout: options.timeout ?? Duration.minutes(30), interval: options.interval ?? Duration.minutes(1) };
  }

  public problems(at: string): string[] {
    const o = this.options;
    const problems: string[] = [];
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
    return problems;
  }

  /** The launch action id is fixed per drill (`drillAddr`) and check. */
  public render(context: CheckRenderContext): DefinitionCheck {
    const o = this.options;
    const position = context.indexInKind + 1;
    const t = { timeoutSeconds: this.timing.timeout.toSeconds(), intervalSeconds: this.timing.interval.toSeconds() };
    const launchAction: DefinitionLaunchAction = {
      actionId: actionId(`${context.drillAddr}/${context.drillName}/ssm/${position}`),
      documentName: o.documentName,
      documentVersion: o.documentVersion ?? '$DEFAULT',
      order: o.order ?? 9000 + position,
      name: o.name ?? `cdk-drs-multi-account drill check ${position}`,
      description: 'Put by a cdk-drs-multi-account RecoveryDrill for its drill; removed when the drill ends.',
      ...(o.parameters ? {
        parameters: Object.fromEntries(Object.entries(o.parameters)
          .map(([k, v]) => [k, { value: v.value, type: v.type ?? LaunchActionParameterType.DYNAMIC }])),
      } : {}),
    };
    return {
      startState: 'StartLaunchActionCheck',
      backstopSeconds: t.timeoutSeconds + t.intervalSeconds,
      launchAction,
      states: (opts, n, next) => ssmStates(opts, t, launchAction, n, next),
    };
  }
}

/** A launch action id (DRS wants a UUID) that is the same at every synth of the same drill and check. */
function actionId(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** SSM documents run by DRS: read the runs (drill function, from DescribeJobs) until they ended or the timeout. */
function ssmStates(o: CheckDefinitionOptions, t: PollTiming, a: DefinitionLaunchAction, n: string, next: string): Record<string, State> {
  const S = CheckStates;
  const read = `${S.READ_LAUNCH_ACTION_RUNS}${n}`;
  return {
    [`StartLaunchActionCheck${n}`]: { Type: 'Pass', Result: { N: 0 }, ResultPath: '$.ssmPolls', Next: read },
    [read]: {
      Type: 'Task',
      Comment: 'DescribeJobs of the server\'s job, read by the drill\'s function: JSONPath cannot pick one server out of participatingServers.',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: {
        FunctionName: o.functionArn,
        Payload: { 'Step': 'launchActionRuns', 'JobID.$': '$.Server.JobID', 'SourceServerID.$': '$.Server.SourceServerID', 'ActionIds': [a.actionId] },
      },
      ResultSelector: { 'Status.$': '$.Payload.Status', 'Detail.$': '$.Payload.Detail' },
      ResultPath: '$.ssm',
      Retry: [LAMBDA_RETRY],
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.checkError', Next: 'CheckErrored' }],
      Next: `LaunchActionRunsEnded${n}`,
    },
    [`LaunchActionRunsEnded${n}`]: {
      Type: 'Choice',
      Choices: [
        { Variable: '$.ssm.Status', StringEquals: 'SUCCEEDED', Next: next },
        { Variable: '$.ssm.Status', StringEquals: 'FAILED', Next: `LaunchActionFailed${n}` },
      ],
      Default: `LaunchActionPending${n}`,
    },
    ...pollStates(t, { pending: `LaunchActionPending${n}`, wait: `${S.WAIT_FOR_LAUNCH_ACTION}${n}`, count: `CountLaunchActionPoll${n}` },
      '$.ssmPolls', read, `LaunchActionTimedOut${n}`),
    [`LaunchActionFailed${n}`]: verdict({ 'detail.$': '$.ssm.Detail' }),
    [`LaunchActionTimedOut${n}`]: verdict({
      'detail.$': `States.Format('SSM document ${a.documentName} had not ended within ${t.timeoutSeconds} s: {}', $.ssm.Detail)`,
    }),
  };
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

/** cdk-nag AwsSolutions-IAM5 acknowledgements of the launch action statements, with their reasons. */
function acknowledgements(documents: readonly SsmDocumentCheckOptions[]): Record<string, string> {
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
