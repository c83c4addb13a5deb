import { App, CfnOutput, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
// In your own app: import { ... } from 'cdk-drs-multi-account';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks, ServerlessChecks } from 'cdk-nag';
import {
  DrsInitialization,
  DrsMonitoring,
  ExtendedSourceServer,
  FailbackAndRightSizingRoles,
  ReplicationEbsEncryption,
  StagingAccountTrust,
} from '../../src';

export interface ExampleAppOptions {
  /** Where to write the cloud assembly. @default - the CDK CLI's outdir, or a temporary directory */
  readonly outdir?: string;
  /**
   * CDK context, as `cdk -c key=value` would give it: `stagingAccount`, `targetAccount`,
   * `stagingSourceServerArns` (comma-separated ARNs of source servers in the staging account),
   * `lagThresholdMinutes` (replication lag alarm threshold; default 30).
   */
  readonly context?: Record<string, string>;
  /** Run cdk-nag's AWS Solutions, HIPAA, NIST 800-53 R5, PCI DSS 3.2.1 and Serverless checks at synth. @default true */
  readonly nag?: boolean;
}

export interface ExampleApp {
  readonly app: App;
  readonly stagingStack: Stack;
  readonly targetStack: Stack;
}

const REGION = 'us-east-1';
const DEFAULT_STAGING_ACCOUNT = '111111111111';
const DEFAULT_TARGET_ACCOUNT = '222222222222';

function defaultStagingArns(stagingAccount: string): string[] {
  return ['0a1b2c3d4e5f60001', '0a1b2c3d4e5f60002']
    .map((suffix) => `arn:aws:drs:${REGION}:${stagingAccount}:source-server/s-${suffix}`);
}

/**
 * What a DR team runs around the extended servers. Staging account: DRS initialized, the trust
 * with failback roles, and a customer managed key for replicated volumes that the target account
 * may use. Target account: DRS initialized before any server is extended, failback roles for the
 * staging account, monitoring to an encrypted topic, and a runbook role that may launch drills
 * and recoveries of this stack's servers only.
 */
export function buildExampleApp(options: ExampleAppOptions = {}): ExampleApp {
  const app = new App({ outdir: options.outdir, context: options.context });
  const stagingAccount = contextString(app, 'stagingAccount') ?? DEFAULT_STAGING_ACCOUNT;
  const targetAccount = contextString(app, 'targetAccount') ?? DEFAULT_TARGET_ACCOUNT;
  const arns = contextString(app, 'stagingSourceServerArns')?.split(',').map((arn) => arn.trim()).filter((arn) => arn)
    ?? defaultStagingArns(stagingAccount);
  const lagMinutes = Number(contextString(app, 'lagThresholdMinutes') ?? '30');

  const stagingStack = new Stack(app, 'OperationsStagingStack', {
    env: { account: stagingAccount, region: REGION },
    description: 'DRS staging account: initialization, trust with failback roles, replication key shared with the target account',
  });
  new DrsInitialization(stagingStack, 'Drs');
  const trust = new StagingAccountTrust(stagingStack, 'Trust', {
    targetAccounts: [targetAccount],
    replicationEbsEncryption: ReplicationEbsEncryption.CUSTOM,
    failbackAndRightSizingRoles: true,
  });
  // Select this key in the staging account's replication settings (EBS encryption: custom).
  const replicationKey = new kms.Key(stagingStack, 'ReplicationKey', {
    description: 'Encrypts DRS replicated volumes; usable by the target account for extension',
    enableKeyRotation: true,
  });
  trust.grantKeyUsage(replicationKey);
  new CfnOutput(stagingStack, 'ReplicationKeyArn', { value: replicationKey.keyArn });

  const targetStack = new Stack(app, 'OperationsTargetStack', {
    env: { account: targetAccount, region: REGION },
    description: 'DRS target account: initialization, extended servers, failback roles, monitoring and a runbook role',
  });
  const initialization = new DrsInitialization(targetStack, 'Drs');
  const servers = arns.map((stagingSourceServerArn, i) => {
    const server = new ExtendedSourceServer(targetStack, `Server${i + 1}`, {
      stagingSourceServerArn,
      tags: { Application: 'operations-example' },
    });
    server.node.addDependency(initialization);
    return server;
  });
  new FailbackAndRightSizingRoles(targetStack, 'FailbackRoles', { trustedAccounts: [stagingAccount] });

  const topicKey = new kms.Key(targetStack, 'AlertsKey', { description: 'Encrypts the DR alerts topic', enableKeyRotation: true });
  // CloudWatch alarms publish to the encrypted topic as the CloudWatch service.
  topicKey.grant(new iam.ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
  const alerts = new sns.Topic(targetStack, 'DrAlerts', { masterKey: topicKey, enforceSSL: true });
  new DrsMonitoring(targetStack, 'Monitoring', {
    servers,
    topic: alerts,
    replicationLagThreshold: Duration.minutes(lagMinutes),
  });

  const runbook = new iam.Role(targetStack, 'DrRunbookRole', {
    assumedBy: new iam.AccountRootPrincipal(),
    description: 'Launches DRS drills and recoveries of the servers of this stack',
  });
  ExtendedSourceServer.grantStartRecoveryOnStack(runbook, targetStack);
  new CfnOutput(targetStack, 'DrRunbookRoleArn', { value: runbook.roleArn });
  new CfnOutput(targetStack, 'DrAlertsTopicArn', { value: alerts.topicArn });

  // The trust must exist before DRS in the target account can extend the servers.
  targetStack.addStackDependency(stagingStack);

  if (options.nag ?? true) {
    // The cdk-nag packs regulated teams run; every finding is fixed or acknowledged with a reason.
    Validations.of(app).addPlugins(
      new AwsSolutionsChecks(app), new HIPAASecurityChecks(app), new NIST80053R5Checks(app),
      new PCIDSS321Checks(app), new ServerlessChecks(app),
    );
  }
  return { app, stagingStack, targetStack };
}

function contextString(app: App, key: string): string | undefined {
  const value: unknown = app.node.tryGetContext(key);
  return value === undefined || value === null || value === '' ? undefined : String(value);
}
