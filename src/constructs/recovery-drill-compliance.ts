import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, IConstruct } from 'constructs';
import { logEncryptionKey } from './handler-settings';
import { acknowledgeFinding, acknowledgeInlinePolicy, acknowledgeRule, HIPAA_NIST, HIPAA_NIST_PCI, NagPack } from './nag';

/**
 * What the cdk-nag packs ask of a `RecoveryDrill`, applied to the drill's children by id: its
 * two log groups are encrypted with the stack's library log key, and the findings that remain
 * are acknowledged with their reasons. Internal; called at the end of the drill's constructor.
 */
export function applyDrillCompliance(drill: Construct): void {
  const child = (id: string): IConstruct | undefined => drill.node.tryFindChild(id);

  for (const id of ['StepsLogGroup', 'ExecutionLogs']) {
    const logGroup = child(id);
    if (logGroup instanceof logs.LogGroup) {
      (logGroup.node.defaultChild as logs.CfnLogGroup).kmsKeyId = logEncryptionKey(drill, undefined).keyArn;
    }
  }

  const steps = child('Steps');
  if (steps) {
    acknowledgeFinding(steps, 'Serverless-LambdaLatestVersion',
      'The runtime is pinned so the deployed bundle is the tested one; it is moved to newer runtimes with releases.');
    acknowledgeRule(steps, 'LambdaDLQ', [...HIPAA_NIST, NagPack.SERVERLESS],
      'The state machine invokes the steps function synchronously (a Task with retries); a dead-letter queue applies ' +
      'to asynchronous invocations only, and a failed step fails the execution, which the drill reports.');
    acknowledgeRule(steps, 'LambdaInsideVPC', HIPAA_NIST_PCI,
      'The steps function only reads DRS (describe calls) and reaches no resource in a VPC.');
    acknowledgeRule(steps, 'LambdaConcurrency', HIPAA_NIST,
      "One execution invokes it one step at a time; a reservation would take from the account's unreserved " +
      'concurrency and fail the deploy in accounts with a low quota.');
    acknowledgeFinding(steps, 'Serverless-LambdaTracing',
      'The state machine traces every execution with X-Ray (tracingEnabled); the function\'s DRS reads are not instrumented.');
  }

  for (const id of ['StepsRole', 'Role']) {
    const policy = child(id)?.node.tryFindChild('DefaultPolicy');
    if (policy) acknowledgeInlinePolicy(policy, "the drill's roles name this drill's tag, jobs and function only.");
  }
  const eventsPolicy = child('StateMachine')?.node.tryFindChild('EventsRole')?.node.tryFindChild('DefaultPolicy');
  if (eventsPolicy) acknowledgeInlinePolicy(eventsPolicy, "the schedule's role may start this one state machine only.");

  const schedule = child('Schedule');
  if (schedule) {
    acknowledgeFinding(schedule, 'Serverless-EventBusDLQ',
      'EventBridge retries starting the execution for up to 24 hours; a start that still fails is a missed drill, ' +
      'and the next scheduled run starts one again.');
  }
  const toTopic = child('ResultToTopic');
  if (toTopic) {
    acknowledgeFinding(toTopic, 'Serverless-EventBusDLQ',
      'The target is the drill topic: EventBridge retries delivery to SNS for up to 24 hours, and the drill alarm ' +
      'notifies the same topic independently.');
  }
}

/**
 * `grantStart` writes `states:StartExecution` into the grantee's default policy (CDK's grant
 * model); the inline policy is acknowledged there for the inline-policy rule only.
 */
export function acknowledgeStartGrant(grantee: iam.IGrantable): void {
  const principal = grantee.grantPrincipal;
  if (principal instanceof iam.Role || principal instanceof iam.User || principal instanceof iam.Group) {
    const policy = principal.node.tryFindChild('DefaultPolicy');
    if (policy) acknowledgeInlinePolicy(policy, 'a grant adds its statements to the principal\'s default policy, for that principal only.');
  }
}
