import { App, CfnOutput, Stack, Token, Validations } from 'aws-cdk-lib';
// In your own app: import { ... } from 'cdk-drs-multi-account';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks, ServerlessChecks } from 'cdk-nag';
import { ServerSelector, StagingAccountExtension, StagingAccountTrust, StagingTrustStackSet } from '../../src';

export interface ExampleAppOptions {
  /** Where to write the cloud assembly. @default - the CDK CLI's outdir, or a temporary directory */
  readonly outdir?: string;
  /**
   * CDK context, as `cdk -c key=value` would give it: `managementAccount`, `targetAccount`,
   * `stagingAccounts` (comma-separated), `organizationalUnitIds` (comma-separated OU or root ids
   * that hold the staging accounts), `trust` (`stackset`, the default, or `stacks`: one trust
   * stack per staging account, for organizations without StackSets), `application` (the value
   * of the servers' `Application` tag; default `example`).
   */
  readonly context?: Record<string, string>;
  /** Run cdk-nag's AWS Solutions, HIPAA, NIST 800-53 R5, PCI DSS 3.2.1 and Serverless checks at synth. @default true */
  readonly nag?: boolean;
}

export interface ExampleApp {
  readonly app: App;
  /** The stacks that create the trust: the management account's StackSet stack, or one stack per staging account. */
  readonly trustStacks: Stack[];
  readonly targetStack: Stack;
  readonly stagingAccounts: string[];
}

const REGION = 'us-east-1';
const DEFAULTS = {
  managementAccount: '999999999999',
  targetAccount: '222222222222',
  stagingAccounts: '111111111111,333333333333,444444444444',
  organizationalUnitIds: 'ou-ab12-cdef3456',
};

/**
 * Onboards several staging accounts and one target account. The staging accounts trust the
 * target account through a StackSet deployed from the management account to their OU (or,
 * with `-c trust=stacks`, through one stack per staging account); the target account then
 * extends the servers of every staging account. The target stack depends on the trust stacks,
 * so `cdk deploy --all` creates the trust first.
 */
export function buildExampleApp(options: ExampleAppOptions = {}): ExampleApp {
  const app = new App({ outdir: options.outdir, context: options.context });
  const setting = (key: keyof typeof DEFAULTS) => contextString(app, key) ?? DEFAULTS[key];
  const list = (key: keyof typeof DEFAULTS) => setting(key).split(',').map((v) => v.trim()).filter((v) => v);
  const targetAccount = setting('targetAccount');
  const stagingAccounts = list('stagingAccounts');
  const application = contextString(app, 'application') ?? 'example';
  const mode = contextString(app, 'trust') ?? 'stackset';

  let trustStacks: Stack[];
  if (mode === 'stackset') {
    const management = new Stack(app, 'OrganizationTrustStack', {
      env: { account: setting('managementAccount'), region: REGION },
      description: 'DRS staging-account trust for every account of the staging OUs (management account)',
    });
    new StagingTrustStackSet(management, 'StagingTrust', {
      targetAccounts: [targetAccount],
      organizationalUnitIds: list('organizationalUnitIds'),
    });
    trustStacks = [management];
  } else if (mode === 'stacks') {
    trustStacks = stagingAccounts.map((account) => {
      const staging = new Stack(app, `StagingStack${account}`, {
        env: { account, region: REGION },
        description: `DRS staging account ${account}: trusts the target account to extend its source servers`,
      });
      new StagingAccountTrust(staging, 'Trust', { targetAccounts: [targetAccount] });
      return staging;
    });
  } else {
    throw new Error(`context 'trust' must be 'stackset' or 'stacks', got '${mode}'`);
  }

  const targetStack = new Stack(app, 'TargetStack', {
    env: { account: targetAccount, region: REGION },
    description: 'DRS target account: the servers of every staging account, extended for drills and recovery',
  });
  for (const stagingAccountId of stagingAccounts) {
    const extension = new StagingAccountExtension(targetStack, `Staging${stagingAccountId}`, {
      stagingAccountId,
      // Servers opt in with the tag dr=yes in the staging account.
      selector: ServerSelector.tagEquals('dr', 'yes'),
      tags: { Application: application },
    });
    new CfnOutput(targetStack, `Staging${stagingAccountId}ServerCount`, { value: Token.asString(extension.serverCount) });
  }
  // DRS in the target account cannot extend anything until the staging accounts trust it.
  for (const trust of trustStacks) targetStack.addStackDependency(trust);

  if (options.nag ?? true) {
    // The cdk-nag packs regulated teams run; every finding is fixed or acknowledged with a reason.
    Validations.of(app).addPlugins(
      new AwsSolutionsChecks(app), new HIPAASecurityChecks(app), new NIST80053R5Checks(app),
      new PCIDSS321Checks(app), new ServerlessChecks(app),
    );
  }
  return { app, trustStacks, targetStack, stagingAccounts };
}

function contextString(app: App, key: string): string | undefined {
  const value: unknown = app.node.tryGetContext(key);
  return value === undefined || value === null || value === '' ? undefined : String(value);
}
