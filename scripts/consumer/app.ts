// The consumer test's TypeScript app (scripts/consumer-test.sh), type-checked by ts-node against
// the package's declarations: what a user writes after `cdk init app --language typescript` and
// `npm install cdk-drs-multi-account`, following the README.
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import {
  ExtendedSourceServer,
  RecoveryDrill,
  ServerSelector,
  StagingAccountExtension,
  StagingAccountTrust,
} from 'cdk-drs-multi-account';

const app = new App();
const staging: Stack = new Stack(app, 'DrsStaging', { env: { account: '111111111111', region: 'us-east-1' } });
const trust = new StagingAccountTrust(staging, 'Trust', { targetAccounts: ['222222222222'] });
trust.roleFor('222222222222');

const target = new Stack(app, 'DrsTarget', { env: { account: '222222222222', region: 'us-east-1' } });
target.addStackDependency(staging);
const server: ExtendedSourceServer = new ExtendedSourceServer(target, 'Web1', {
  stagingSourceServerArn: 'arn:aws:drs:us-east-1:111111111111:source-server/s-0a1b2c3d4e5f60001',
  tags: { Application: 'web' },
  removalPolicy: RemovalPolicy.RETAIN,
});
const extension = new StagingAccountExtension(target, 'Staging1', {
  stagingAccountId: '111111111111',
  selector: ServerSelector.tagEquals('Tier', 'critical'),
  reconcileSchedule: events.Schedule.rate(Duration.hours(1)),
});
// A drill of both, as Step Functions, with its own bundled Lambda steps.
new RecoveryDrill(target, 'Drill', {
  servers: [server],
  extensions: [extension],
  drillName: 'consumer',
  schedule: events.Schedule.cron({ weekDay: 'SUN', hour: '4', minute: '0' }),
});
const attributes: string[] = [server.sourceServerId, extension.stagingAccountId];
void attributes;
app.synth();
