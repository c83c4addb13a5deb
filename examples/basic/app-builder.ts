import { App, CfnOutput, Stack, Validations } from 'aws-cdk-lib';
// In your own app: import { ExtendedSourceServer, LaunchDisposition, StagingAccountTrust } from 'cdk-drs-multi-account';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks, ServerlessChecks } from 'cdk-nag';
import { ExtendedSourceServer, LaunchDisposition, StagingAccountTrust } from '../../src';

export interface ExampleAppOptions {
  /** Where to write the cloud assembly. @default - the CDK CLI's outdir, or a temporary directory */
  readonly outdir?: string;
  /**
   * CDK context, as `cdk -c key=value` would give it: `stagingAccount`, `targetAccount`,
   * `stagingSourceServerArns` (comma-separated ARNs of source servers in the staging account),
   * `application` (the value of the servers' `Application` tag; default `example`).
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

/** Placeholder servers of the staging account; pass your own with `-c stagingSourceServerArns=...`. */
function defaultStagingArns(stagingAccount: string): string[] {
  return ['0a1b2c3d4e5f60001', '0a1b2c3d4e5f60002', '0a1b2c3d4e5f60003']
    .map((suffix) => `arn:aws:drs:${REGION}:${stagingAccount}:source-server/s-${suffix}`);
}

/**
 * Two stacks: the staging account trusts the target account, and the target account extends
 * three of the staging account's source servers. Deploy the staging stack first (the target
 * stack depends on it; with separate accounts, deploy each with that account's credentials).
 */
export function buildExampleApp(options: ExampleAppOptions = {}): ExampleApp {
  const app = new App({ outdir: options.outdir, context: options.context });
  const stagingAccount = contextString(app, 'stagingAccount') ?? DEFAULT_STAGING_ACCOUNT;
  const targetAccount = contextString(app, 'targetAccount') ?? DEFAULT_TARGET_ACCOUNT;
  const application = contextString(app, 'application') ?? 'example';
  const arns = contextString(app, 'stagingSourceServerArns')?.split(',').map((arn) => arn.trim()).filter((arn) => arn)
    ?? defaultStagingArns(stagingAccount);

  const stagingStack = new Stack(app, 'StagingStack', {
    env: { account: stagingAccount, region: REGION },
    description: 'DRS staging account: trusts the target account to extend its source servers',
  });
  new StagingAccountTrust(stagingStack, 'Trust', { targetAccounts: [targetAccount] });

  const targetStack = new Stack(app, 'TargetStack', {
    env: { account: targetAccount, region: REGION },
    description: 'DRS target account: extended source servers from the staging account',
  });
  arns.forEach((stagingSourceServerArn, i) => {
    const server = new ExtendedSourceServer(targetStack, `Server${i + 1}`, {
      stagingSourceServerArn,
      tags: { Application: application, Tier: `server-${i + 1}` },
      // Launch settings as code: the first server's recovery instances copy its tags and are left
      // stopped (DRS launch configuration). Subnet, security groups and instance type go here too.
      ...(i === 0 ? { launchSettings: { copyTags: true, launchDisposition: LaunchDisposition.STOPPED } } : {}),
    });
    new CfnOutput(targetStack, `Server${i + 1}Id`, { value: server.sourceServerId });
  });
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
