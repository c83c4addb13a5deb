// Jest configuration for running the construct and template tests against another aws-cdk-lib
// than the one installed in node_modules (scripts/cdk-lib-matrix.sh installs it).
//
//   CDK_LIB_DIR=.ci-out/cdk-newest npx jest -c scripts/jest-cdk-lib.config.js test/servers test/integ
//
// CDK_LIB_DIR is a folder whose node_modules holds aws-cdk-lib and constructs. Every require of
// them, from the tests, the library's sources and the dev dependencies that build on them (cdk-nag,
// integ-tests-alpha), resolves there, so one copy of each is loaded.
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const dir = process.env.CDK_LIB_DIR;
if (!dir) throw new Error('CDK_LIB_DIR is not set: name the folder whose node_modules holds the aws-cdk-lib to test');
const modules = path.resolve(root, dir, 'node_modules');
for (const pkg of ['aws-cdk-lib', 'constructs']) {
  if (!fs.existsSync(path.join(modules, pkg, 'package.json'))) {
    throw new Error(`CDK_LIB_DIR=${dir}: ${pkg} is not installed in ${modules}`);
  }
}

const base = require(path.join(root, 'package.json')).jest;
module.exports = {
  ...base,
  rootDir: root,
  // A second run of the same tests: its coverage and JUnit report would replace the main run's.
  collectCoverage: false,
  reporters: ['default'],
  setupFiles: [...(base.setupFiles ?? []), path.join(__dirname, 'jest-cdk-lib.setup.js')],
  moduleNameMapper: {
    ...base.moduleNameMapper,
    '^aws-cdk-lib$': path.join(modules, 'aws-cdk-lib'),
    '^aws-cdk-lib/(.*)$': path.join(modules, 'aws-cdk-lib', '$1'),
    '^constructs$': path.join(modules, 'constructs'),
  },
};
