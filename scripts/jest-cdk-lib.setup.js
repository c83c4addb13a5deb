// Fails every test file whose aws-cdk-lib is not the one scripts/cdk-lib-matrix.sh installed, so
// that a mapping that stopped working cannot pass as a run against that version.
const expected = process.env.CDK_LIB_EXPECTED_VERSION;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const actual = require('aws-cdk-lib/package.json').version;
if (expected && actual !== expected) {
  throw new Error(`these tests should run with aws-cdk-lib ${expected}, but loaded ${actual}`);
}
