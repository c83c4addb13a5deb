import { App, CfnOutput, CfnResource, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
// In your own app: import { ... } from 'cdk-drs-multi-account';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks, ServerlessChecks } from 'cdk-nag';
import {
  DrillCheck,
  DrsCoverageReport,
  DrsDashboard,
  ExistingRecoveryInstance,
  ExtendedSourceServer,
  RecoveryDrill,
  StagingAccountExtension,
  StagingAccountTrust,
} from '../../src';

export interface ExampleAppOptions {
  /** Where to write the cloud assembly. @default - the CDK CLI's outdir, or a temporary directory */
  readonly outdir?: string;
  /**
   * CDK context, as `cdk -c key=value` would give it: `stagingAccount`, `targetAccount`,
   * `stagingSourceServerArns` (comma-separated ARNs of the servers the first drill covers),
   * `extensionStagingAccount` (a second staging account extended as a whole; default none).
   */
  readonly context?: Record<string, string>;
  /** Run cdk-nag's AWS Solutions, HIPAA, NIST 800-53 R5, PCI DSS 3.2.1 and Serverless checks at synth. @default true */
  readonly nag?: boolean;
}

export interface ExampleApp {
  readonly app: App;
  readonly stagingStack: Stack;
  readonly targetStack: Stack;
  /** The drill of the declared servers (monthly, in waves by the `DrWave` tag, 30-minute RTO). */
  readonly serversDrill: RecoveryDrill;
  /** The drill of the whole staging account's extension (weekly, instances kept 1 hour). */
  readonly extensionDrill: RecoveryDrill;
}

const REGION = 'us-east-1';
const DEFAULT_STAGING_ACCOUNT = '111111111111';
const DEFAULT_TARGET_ACCOUNT = '222222222222';

function defaultStagingArns(stagingAccount: string): string[] {
  return ['0a1b2c3d4e5f60001', '0a1b2c3d4e5f60002', '0a1b2c3d4e5f60003']
    .map((suffix) => `arn:aws:drs:${REGION}:${stagingAccount}:source-server/s-${suffix}`);
}

/**
 * A staging stack (the trust) and a target stack with three extended servers, a whole staging
 * account's extension, and two recovery drills: one of the three servers, monthly, in waves by
 * their `DrWave` tag (database first), with a 30-minute recovery time objective, the EC2 status
 * checks and an SSM document run on each recovered server; and one of every
 * server the extension owns, weekly, keeping the drill instances for an hour. Failed drills raise
 * an alarm, and every result goes to an encrypted topic. A coverage report (servers not drilled in
 * 35 days, extension errors) and a dashboard of coverage (with the report's alarms), both drills
 * and replication.
 */
export function buildExampleApp(options: ExampleAppOptions = {}): ExampleApp {
  const app = new App({ outdir: options.outdir, context: options.context });
  const stagingAccount = contextString(app, 'stagingAccount') ?? DEFAULT_STAGING_ACCOUNT;
  const targetAccount = contextString(app, 'targetAccount') ?? DEFAULT_TARGET_ACCOUNT;
  const arns = contextString(app, 'stagingSourceServerArns')?.split(',').map((arn) => arn.trim()).filter((arn) => arn)
    ?? defaultStagingArns(stagingAccount);

  const stagingStack = new Stack(app, 'DrillsStagingStack', {
    env: { account: stagingAccount, region: REGION },
    description: 'DRS staging account: trusts the target account',
  });
  new StagingAccountTrust(stagingStack, 'Trust', { targetAccounts: [targetAccount] });

  const targetStack = new Stack(app, 'DrillsTargetStack', {
    env: { account: targetAccount, region: REGION },
    description: 'DRS target account: extended servers and recovery drills on Step Functions',
  });
  const waves = ['1-database', '2-app', '3-web'];
  const servers = arns.map((stagingSourceServerArn, i) => new ExtendedSourceServer(targetStack, `Server${i + 1}`, {
    stagingSourceServerArn,
    tags: { Application: 'drills-example', DrWave: waves[i % waves.length] },
  }));
  const extension = new StagingAccountExtension(targetStack, 'WholeStagingAccount', {
    stagingAccountId: contextString(app, 'extensionStagingAccount') ?? stagingAccount,
    tags: { Application: 'drills-example-extension' },
  });

  const topicKey = new kms.Key(targetStack, 'DrillAlertsKey', { description: 'Encrypts the drill alerts topic', enableKeyRotation: true });
  // CloudWatch alarms and EventBridge publish to the encrypted topic as their services.
  for (const service of ['cloudwatch.amazonaws.com', 'events.amazonaws.com']) {
    topicKey.grant(new iam.ServicePrincipal(service), 'kms:Decrypt', 'kms:GenerateDataKey*');
  }
  const topic = new sns.Topic(targetStack, 'DrillAlerts', { masterKey: topicKey, enforceSSL: true });

  const serversDrill = new RecoveryDrill(targetStack, 'MonthlyDrill', {
    servers,
    drillName: 'monthly-core',
    schedule: events.Schedule.cron({ day: '1', hour: '6', minute: '0' }),
    waveTagKey: 'DrWave',
    recoveryTimeObjective: Duration.minutes(30),
    existingRecoveryInstance: ExistingRecoveryInstance.REFUSE,
    // A server passes when its EC2 status checks are ok and DRS's run of an SSM document on it succeeded.
    checks: [
      DrillCheck.ec2StatusChecks({ timeout: Duration.minutes(10) }),
      DrillCheck.ssmDocument({ documentName: 'AWS-RunShellScript', parameters: { commands: { value: 'uptime' } }, timeout: Duration.minutes(15) }),
    ],
    topic,
  });
  const extensionDrill = new RecoveryDrill(targetStack, 'WeeklyDrill', {
    extensions: [extension],
    drillName: 'weekly-staging-account',
    schedule: events.Schedule.cron({ weekDay: 'SUN', hour: '4', minute: '0' }),
    keepInstancesFor: Duration.hours(1),
    timeout: Duration.hours(4),
    topic,
  });

  // Operators may start the drills on demand (aws stepfunctions start-execution).
  const operators = new iam.Role(targetStack, 'DrillOperators', {
    assumedBy: new iam.AccountRootPrincipal(),
    description: 'Starts the DR drills on demand',
  });
  serversDrill.grantStart(operators);
  extensionDrill.grantStart(operators);
  // The operators' policy names these two state machines only; it belongs to this role.
  const inlineReason = 'Inline on purpose: it lets this role start the two drills and nothing else; a managed policy could be attached to other principals.';
  const packs = ['HIPAA.Security', 'NIST.800.53.R5', 'PCI.DSS.321'];
  for (const pack of packs) Validations.of(operators).acknowledge({ id: `${pack}-IAMNoInlinePolicy`, reason: inlineReason });
  // The same for cdk-nag 2, which reads resource metadata instead (what its
  // `NagSuppressions.addResourceSuppressions(operators, [...], true)` writes).
  (operators.node.findChild('DefaultPolicy').node.defaultChild as CfnResource).addMetadata('cdk_nag', {
    rules_to_suppress: packs.map((pack) => ({ id: `${pack}-IAMNoInlinePolicy`, reason: inlineReason })),
  });

  // What the DR team looks at: coverage of the staging accounts (a daily report with alarms, shown
  // on the dashboard) and a dashboard of coverage, both drills' results and recovery times, and
  // replication per server.
  const coverage = new DrsCoverageReport(targetStack, 'Coverage', { maxTimeSinceDrill: Duration.days(35) });
  const dashboard = new DrsDashboard(targetStack, 'Dashboard', {
    coverageReport: coverage,
    drillNames: [serversDrill.drillName, extensionDrill.drillName],
    recoveryTimeObjective: Duration.minutes(30),
    servers,
    maxReplicationLag: Duration.minutes(30),
  });
  new CfnOutput(targetStack, 'DashboardName', { value: dashboard.dashboard.dashboardName });
  new CfnOutput(targetStack, 'MonthlyDrillStateMachineArn', { value: serversDrill.stateMachine.stateMachineArn });
  new CfnOutput(targetStack, 'WeeklyDrillStateMachineArn', { value: extensionDrill.stateMachine.stateMachineArn });

  targetStack.addStackDependency(stagingStack);
  if (options.nag ?? true) {
    Validations.of(app).addPlugins(
      new AwsSolutionsChecks(app), new HIPAASecurityChecks(app), new NIST80053R5Checks(app),
      new PCIDSS321Checks(app), new ServerlessChecks(app),
    );
  }
  return { app, stagingStack, targetStack, serversDrill, extensionDrill };
}

function contextString(app: App, key: string): string | undefined {
  const value: unknown = app.node.tryGetContext(key);
  return value === undefined || value === null || value === '' ? undefined : String(value);
}
