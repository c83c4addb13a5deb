// The consumer test's JavaScript app (scripts/consumer-test.sh): what a user writes after
// `npm install cdk-drs-multi-account aws-cdk-lib constructs`, following the README.
const { App, Stack } = require('aws-cdk-lib');
const { ExtendedSourceServer, StagingAccountTrust } = require('cdk-drs-multi-account');

const app = new App();
const staging = new Stack(app, 'DrsStaging', { env: { account: '111111111111', region: 'us-east-1' } });
new StagingAccountTrust(staging, 'Trust', { targetAccounts: ['222222222222'] });

const target = new Stack(app, 'DrsTarget', { env: { account: '222222222222', region: 'us-east-1' } });
target.addStackDependency(staging);
for (const [id, suffix] of [['Web1', '0a1b2c3d4e5f60001'], ['Web2', '0a1b2c3d4e5f60002']]) {
  new ExtendedSourceServer(target, id, {
    stagingSourceServerArn: `arn:aws:drs:us-east-1:111111111111:source-server/s-${suffix}`,
    tags: { Application: 'web' },
  });
}
app.synth();
