/**
 * What `RecoveryDrill` makes of its `DrillCheck`s: validation, the checks as the definition takes
 * them (recovery-drill-checks-definition.ts), the state machine role's statements for them and
 * their cdk-nag acknowledgements. Internal: not exported from the package's index.
 */
import { createHash } from 'crypto';
import { Aws, Duration, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { DrillCheck, LaunchActionParameterType, SsmDocumentCheckOptions } from './drill-check';
import { DefinitionCheck } from '../definition/checks-definition';

const DOCUMENT_NAME = /^[A-Za-z0-9\-/:]{1,1011}$/;
const VERSION = /^(\$DEFAULT|\$LATEST|[0-9]+)$/;
const PARAMETER_NAME = /^[A-Za-z0-9]{1,1011}$/;
const PARAMETER_VALUE = /^[A-Za-z0-9.-]{1,1011}$/;
const ACTION_NAME = /^[A-Za-z0-9][A-Za-z0-9 /_-]{0,255}$/;

/** Problems of the drill's checks, each naming the field. */
export function checkProblems(checks: readonly DrillCheck[]): string[] {
  const problems: string[] = [];
  const ec2 = checks.filter((c) => c._kind === 'ec2');
  if (ec2.length > 1) problems.push('checks: give DrillCheck.ec2StatusChecks at most once');
  checks.forEach((c, i) => {
    const at = `checks[${i}]`;
    const seconds = (d: Duration | undefined) => (d && !Token.isUnresolved(d.toSeconds()) ? d.toSeconds() : undefined);
    const timeout = seconds(c._timeout);
    const interval = seconds(c._interval);
    if (interval !== undefined && interval < 1) problems.push(`${at}.interval must be at least 1 second`);
    if (timeout !== undefined && interval !== undefined && timeout < interval) problems.push(`${at}.timeout (${timeout} s) must be at least its interval (${interval} s)`);
    if (timeout !== undefined && timeout > 24 * 3600) problems.push(`${at}.timeout must be at most 24 hours`);
    if (c._kind !== 'ssm' || !c._ssm) return;
    const o = c._ssm;
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

/** The checks as the definition takes them; launch action ids fixed per drill (`drillAddr`) and check. */
export function definitionChecks(checks: readonly DrillCheck[], drillName: string, drillAddr: string): DefinitionCheck[] {
  let ssmIndex = 0;
  return checks.map((c): DefinitionCheck => {
    if (c._kind === 'lambda') return { kind: 'lambda', functionArn: c._fn!.functionArn };
    const timing = { timeoutSeconds: c._timeout!.toSeconds(), intervalSeconds: c._interval!.toSeconds() };
    if (c._kind === 'ec2') return { kind: 'ec2', ...timing };
    const o = c._ssm!;
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
 * The state machine's permissions for the checks: the launch actions on the drilled
 * servers (the scopes of StartRecovery, without its request tags), EC2 status (only `*`), the
 * user's functions.
 */
export function checkStatements(
  checks: readonly DrillCheck[], serverScopes: Array<{ resources: string[]; conditions?: Record<string, Record<string, unknown>> }>,
): iam.PolicyStatement[] {
  const statements: iam.PolicyStatement[] = [];
  if (checks.some((c) => c._kind === 'ssm')) {
    serverScopes.forEach((s, i) => statements.push(new iam.PolicyStatement({
      sid: `DrillLaunchActionsOfDrilledServers${i === 0 ? '' : i}`,
      actions: ['drs:PutLaunchAction', 'drs:DeleteLaunchAction'],
      resources: s.resources,
      conditions: s.conditions,
    })));
  }
  const documents = checks.filter((c) => c._kind === 'ssm').map((c) => c._ssm!);
  if (documents.length > 0) statements.push(...launchActionRunStatements(documents));
  if (checks.some((c) => c._kind === 'ec2')) {
    statements.push(new iam.PolicyStatement({
      sid: 'ReadInstanceStatus',
      // DescribeInstanceStatus supports no resource-level permissions (Service Authorization Reference for EC2).
      actions: ['ec2:DescribeInstanceStatus'],
      resources: ['*'],
    }));
  }
  const functions = checks.filter((c) => c._kind === 'lambda').map((c) => c._fn!.functionArn);
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

/** cdk-nag AwsSolutions-IAM5 acknowledgements of the state machine role's check statements, with their reasons. */
export function checkAcknowledgements(checks: readonly DrillCheck[]): Record<string, string> {
  const documents = checks.filter((c) => c._kind === 'ssm').map((c) => c._ssm!);
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
