/**
 * What `RecoveryDrill` does for the cdk-nag packs (AwsSolutions, HIPAA, NIST 800-53 R5, PCI DSS
 * 3.2.1, Serverless): the log key that fixes `CloudWatchLogGroupEncrypted`, and the
 * acknowledgements, each with its reason, next to the resources they concern.
 * Internal: not exported from the package's index.
 */
import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct, IConstruct } from 'constructs';
import { acknowledgeFinding, acknowledgeInlinePolicy, acknowledgeRule, HIPAA_NIST, HIPAA_NIST_PCI, NagPack } from '../common/nag';

/** A key for the drill's two log groups (function and executions), usable by CloudWatch Logs only. */
export function drillLogKey(scope: Construct, drillName: string): kms.Key {
  const key = new kms.Key(scope, 'LogKey', {
    description: `cdk-drs-multi-account: encrypts the log groups of drill ${drillName}`,
    enableKeyRotation: true,
    removalPolicy: RemovalPolicy.DESTROY,
    pendingWindow: Duration.days(7),
  });
  key.addToResourcePolicy(new iam.PolicyStatement({
    sid: 'CloudWatchLogsEncryptsDrillLogGroups',
    principals: [new iam.ServicePrincipal(`logs.${Aws.REGION}.amazonaws.com`)],
    actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
    resources: ['*'],
    conditions: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:*` } },
  }));
  return key;
}

/** The drill's function: invoked synchronously by the state machine, twice per execution. */
export function acknowledgeStepsFunction(fn: lambda.IFunction): void {
  const runtime = 'The runtime is pinned so the deployed bundle is the tested one; it is moved to newer runtimes with releases.';
  acknowledgeFinding(fn, 'AwsSolutions-L1', runtime);
  acknowledgeFinding(fn, 'Serverless-LambdaLatestVersion', runtime);
  acknowledgeRule(fn, 'LambdaDLQ', [...HIPAA_NIST, NagPack.SERVERLESS],
    'The state machine invokes the function synchronously and handles its errors (retries, then the clean-up path); ' +
    'a dead-letter queue only receives failed asynchronous invocations, which never happen here.');
  acknowledgeRule(fn, 'LambdaInsideVPC', HIPAA_NIST_PCI,
    'The function reaches only the DRS API and no resource in a VPC.');
  acknowledgeRule(fn, 'LambdaConcurrency', HIPAA_NIST,
    "It runs twice per drill execution; a reservation would be taken from the account's unreserved concurrency for nothing.");
}

/** Inline policies of the drill's roles, and the rules' lack of a dead-letter queue. */
export interface DrillPolicies {
  readonly stateMachine: IConstruct;
  readonly steps: IConstruct;
  readonly stateMachineScope: IConstruct;
}

export function acknowledgeDrillPolicies(policies: DrillPolicies, rules: IConstruct[]): void {
  acknowledgeInlinePolicy(policies.stateMachine, "it lets the drill's own state machine start and clean up this drill, and nothing else.");
  acknowledgeInlinePolicy(policies.steps, "it lets the drill's own function read DRS for this drill.");
  // The role EventBridge uses to start the state machine on the schedule (written by aws-cdk-lib).
  acknowledgeInlinePolicy(policies.stateMachineScope, "the schedule's role may start this state machine only.");
  for (const rule of rules) {
    acknowledgeFinding(rule, 'Serverless-EventBusDLQ',
      'EventBridge retries delivery for up to 24 hours; a drill that does not run or whose result is not delivered ' +
      'shows in the metrics (no DrillSucceeded data point) and in the state machine\'s execution history.');
  }
}
