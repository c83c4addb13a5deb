/**
 * Integration test in two real accounts: the staging stack trusts the target account, the target
 * stack extends one replicating staging server, and an assertion reads it back through the DRS
 * API and expects `stagingArea.status = EXTENDED`. integ-runner then destroys both stacks.
 *
 * Without AWS, `npx projen integ:snapshot` only re-synthesizes this app and compares it with the
 * committed snapshot (test/integ/integ.multi-account.ts.snapshot). To run it for real, see
 * "Deploying for real" in the README: set the variables below and run `npx projen integ:deploy`.
 *
 *   DRS_INTEG_STAGING_ACCOUNT    staging account id            (default 111111111111)
 *   DRS_INTEG_TARGET_ACCOUNT     target account id             (default 222222222222)
 *   DRS_INTEG_REGION             Region of both stacks         (default us-east-1)
 *   DRS_INTEG_SOURCE_SERVER_ID   a replicating server in the staging account (default s-1234567890abcdef0)
 *
 * Each can also be given as CDK context (-c drs-integ:staging-account=...). The defaults are
 * placeholders: the committed snapshot is synthesized with them.
 */
import { ActualResult, EqualsAssertion, ExpectedResult, IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, Stack } from 'aws-cdk-lib';
import { ExtendedSourceServer, StagingAccountTrust } from '../../src';

// No stack traces in the snapshot's metadata: they hold the paths of the machine that wrote it.
const app = new App({
  context: { 'aws:cdk:disable-stack-trace': true, 'aws:cdk:disable-creation-stack-traces': true },
});

function setting(name: string, fallback: string): string {
  const fromContext = app.node.tryGetContext(`drs-integ:${name}`);
  const fromEnv = process.env[`DRS_INTEG_${name.toUpperCase().replace(/-/g, '_')}`];
  return fromContext ?? fromEnv ?? fallback;
}

const stagingAccount = setting('staging-account', '111111111111');
const targetAccount = setting('target-account', '222222222222');
const region = setting('region', 'us-east-1');
const sourceServerId = setting('source-server-id', 's-1234567890abcdef0');

const staging = new Stack(app, 'DrsIntegStaging', { env: { account: stagingAccount, region } });
new StagingAccountTrust(staging, 'Trust', { targetAccounts: [targetAccount] });

const target = new Stack(app, 'DrsIntegTarget', { env: { account: targetAccount, region } });
// DRS reads the trust role while extending: the staging stack must exist first.
target.addStackDependency(staging);
const server = new ExtendedSourceServer(target, 'Server', {
  stagingSourceServerArn: `arn:aws:drs:${region}:${stagingAccount}:source-server/${sourceServerId}`,
  tags: { Purpose: 'cdk-drs-multi-account-integ' },
});

// The assertion's Lambda calls DRS in the target account, where the extended server lives.
const assertions = new Stack(app, 'DrsIntegAssertions', { env: { account: targetAccount, region } });

const integ = new IntegTest(app, 'DrsMultiAccount', {
  testCases: [staging, target],
  assertionStack: assertions,
  // Deploying the previous snapshot first would need its assets; each run starts clean instead.
  stackUpdateWorkflow: false,
});

// Only the fields asserted on: the whole description of a server would not fit in a custom
// resource's 4 KB response.
const status = 'items.0.stagingArea.status';
const stagingAccountId = 'items.0.stagingArea.stagingAccountID';
const described = integ.assertions.awsApiCall('drs', 'DescribeSourceServers',
  { filters: { sourceServerIDs: [server.sourceServerId] } }, [status, stagingAccountId]);

// failDeployment: a wrong answer fails the assertion stack's deployment, so a plain `cdk deploy`
// reports it as clearly as integ-runner does.
new EqualsAssertion(assertions, 'ServerIsExtended', {
  actual: ActualResult.fromAwsApiCall(described, status),
  expected: ExpectedResult.exact('EXTENDED'),
  failDeployment: true,
});
new EqualsAssertion(assertions, 'ServerComesFromStagingAccount', {
  actual: ActualResult.fromAwsApiCall(described, stagingAccountId),
  expected: ExpectedResult.exact(stagingAccount),
  failDeployment: true,
});

app.synth();
