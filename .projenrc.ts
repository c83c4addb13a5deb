import { awscdk, javascript, release } from 'projen';

// The DRS client is pinned: it is bundled into the handler asset, and the asset is what the
// end-to-end tests run, so the deployed code is the tested code.
const DRS_CLIENT = '@aws-sdk/client-drs@3.523.0';

// Deployed code, bundled by esbuild into assets/ (it never runs from lib/): every concept's
// runtime/ folder, the AWS SDK wrappers, and the Lambda entry points beside their constructs.
const DEPLOYED_CODE = ['src/*/runtime/**', 'src/aws/**', 'src/*/*.lambda.ts'];

const project = new awscdk.AwsCdkConstructLibrary({
  name: 'cdk-drs-multi-account',
  description:
    'AWS CDK constructs for AWS Elastic Disaster Recovery (DRS) multi-account setups: staging-account trust roles and extended source servers in the target account.',
  author: 'cdk-drs-multi-account contributors',
  authorAddress: 'maintainers@cdk-drs-multi-account.dev',
  repositoryUrl: 'https://github.com/cdk-drs-multi-account/cdk-drs-multi-account.git',
  keywords: ['aws-cdk', 'cdk', 'drs', 'elastic-disaster-recovery', 'disaster-recovery', 'multi-account'],
  license: 'Apache-2.0',
  defaultReleaseBranch: 'main',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,
  sampleCode: false,
  github: false,
  minNodeVersion: '20.0.0',

  // cdk-nag 3 (dev only) runs through aws-cdk-lib's Validations API, which hands plugins the
  // construct tree (IPolicyValidationContext.appConstruct) from 2.262.0 on.
  cdkVersion: '2.262.0',
  constructsVersion: '10.5.1',
  jsiiVersion: '~6.0.0',

  devDeps: [
    DRS_CLIENT,
    // Bundled too: the handler continues long reconciliations in a fresh invocation of itself.
    '@aws-sdk/client-lambda@3.523.0',
    'aws-sdk-client-mock@4.1.0',
    'cdk-nag@^3.0.2',
    // cdk-nag 2, side by side under another name: most CDK apps still run it as an Aspect, and the
    // library's acknowledgements must hold under both majors (test/support/check-nag-packs.ts).
    'cdk-nag2@npm:cdk-nag@2.38.2',
    '@cloud-copilot/iam-simulate@0.1.173',
    // The integ test (test/integ); its peer range (aws-cdk-lib ^2.245.0) includes cdkVersion.
    // Not @aws-cdk/integ-runner: its newest (2.197.10) cannot read the cloud-assembly schema 54
    // that aws-cdk-lib 2.262 writes; test/integ/snapshot.ts does its snapshot step instead.
    '@aws-cdk/integ-tests-alpha@2.245.0-alpha.0',
    // Bundled: the handler reads a resource's resolved Metadata (reconcile schedule) and checks
    // whether a resource still exists in its stack.
    '@aws-sdk/client-cloudformation@3.523.0',
    // Bundled into the coverage report: its EventBridge event.
    '@aws-sdk/client-eventbridge@3.523.0',
    // Bundled: launch settings (EC2 launch templates), the drill's clean-up and sweeper (Step
    // Functions executions, the execution's S3 object). Same pinned version as the DRS client.
    '@aws-sdk/client-ec2@3.523.0',
    '@aws-sdk/client-sfn@3.523.0',
    '@aws-sdk/client-s3@3.523.0',
    // Model-based lifecycle tests: generated stack histories.
    'fast-check@^4.10.2',
    '@fast-check/jest@^2.3.0',
    // A States Language interpreter: the drill state machine the construct synthesizes runs in tests.
    'aws-local-stepfunctions@^3.0.0',
    // The CDK CLI, pinned: it reads the cloud-assembly schema that the supported aws-cdk-lib versions write.
    'aws-cdk@2.1148.1',
  ],

  // Semantic versioning, 0.x while the API settles: `npx projen release` bumps the version from
  // the conventional commits, tags it and prepends the release notes to CHANGELOG.md.
  majorVersion: 0,
  releaseTrigger: release.ReleaseTrigger.manual({ changelogPath: 'CHANGELOG.md', gitPushCommand: '' }),

  lambdaOptions: {
    runtime: awscdk.LambdaRuntime.NODEJS_22_X,
    // Bundle the DRS client instead of taking whatever the Lambda runtime ships.
    bundlingOptions: { externals: [], sourcemap: false },
    awsSdkConnectionReuse: false,
  },

  publishToPypi: {
    distName: 'cdk-drs-multi-account',
    module: 'cdk_drs_multi_account',
  },
  publishToMaven: {
    javaPackage: 'io.github.cdk_drs_multi_account',
    mavenGroupId: 'io.github.cdk-drs-multi-account',
    mavenArtifactId: 'cdk-drs-multi-account',
  },
  publishToNuget: {
    dotNetNamespace: 'CdkDrsMultiAccount',
    packageId: 'CdkDrsMultiAccount',
  },
  publishToGo: {
    moduleName: 'github.com/cdk-drs-multi-account/cdk-drs-multi-account-go',
    packageName: 'cdkdrsmultiaccount',
  },

  eslintOptions: {
    dirs: ['src'],
    // Examples, scripts and test support may use dev dependencies (cdk-nag, the DRS client).
    devdirs: ['test', 'build-tools', 'projenrc', 'examples', 'scripts', 'benchmarks'],
  },

  jestOptions: {
    jestConfig: {
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testTimeout: 60_000,
      // Jest's default is one worker fewer than the cores: one worker on CI's 2 cores. The e2e
      // files wait on child processes and local servers about half their time, so a worker per
      // core runs the suite faster (the e2e folder: 402 s with one worker, 323 s with two).
      maxWorkers: '100%',
    },
  },
  gitignore: ['cdk.out', '.benchmark/', '.ci-out/'],
});

// Examples and test support are type-checked and linted with the tests.
project.tsconfigDev.addInclude('../examples/**/*.ts');
project.tsconfigDev.addInclude('../scripts/**/*.ts');
project.tsconfigDev.addInclude('../benchmarks/**/*.ts');
// Except the consumer test's apps: they import the packed library by its name, in a folder of
// their own (scripts/consumer-test.sh), and are type-checked there.
project.tsconfigDev.addExclude('../scripts/consumer/**');
project.eslint?.addIgnorePattern('scripts/consumer/');

// projen's lambda bundling has no minify option: rewrite each bundle task with it.
for (const task of project.tasks.all) {
  const args = task.steps[0]?.execArgs;
  if (task.name.startsWith('bundle:') && !task.name.endsWith(':watch') && args) {
    task.reset();
    task.exec([...args, '--minify', '--legal-comments=none'].join(' '));
  }
}

// The main job: synthesize the example, then deploy and destroy it against the local DRS.
const demo = project.addTask('demo', {
  description: 'Run the example app\'s whole lifecycle against a local DRS (no AWS account needed)',
});
demo.say('Demo: bundle the handlers, then deploy, update, drill and destroy the example app against a local DRS (about 3 minutes)');
demo.spawn(project.tasks.tryFind('bundle')!);
// Transpile only: type-checking the demo's imports took ~30 s of silence (the build type-checks test/).
demo.say('Demo: loading the demo, aws-cdk-lib and the local DRS (ts-node, transpile only)');
demo.exec('ts-node --transpile-only --project test/tsconfig.json test/lifecycle/demo.ts');

// The tarball must carry the handler bundles (assets/): `package:js` bundles first, and `npm pack`
// (so `npm publish` too) refuses to pack without every bundle (scripts/check-bundles.js).
project.tasks.tryFind('package:js')!.prependSpawn(project.tasks.tryFind('bundle')!);
project.package.setScript('prepack', 'node scripts/check-bundles.js');

// Every TypeScript snippet in the README and in doc comments must compile against the built
// library (fixtures in rosetta/), so that the Python, Java, C# and Go translations are right;
// `strict` in the assembly makes Construct Hub's own translation hold to the same rule.
project.package.file.addOverride('jsii.metadata.jsii.rosetta.strict', true);
const rosetta = project.addTask('rosetta', {
  description: 'Compile every TypeScript example (README, doc comments), translate it to each jsii language, check the README\'s Python',
});
rosetta.exec('jsii-rosetta extract --strict');
// Each ```python block after a ```ts block in the README must be rosetta's translation of it.
rosetta.exec('node rosetta/readme-python.js');
project.addTask('rosetta:readme', {
  description: 'Rewrite the README\'s Python examples from rosetta\'s translations (after compile)',
  steps: [{ exec: 'jsii-rosetta extract --strict' }, { exec: 'node rosetta/readme-python.js --write' }],
});
project.gitignore.exclude('.jsii.tabl.json');
// The fixtures ship (Construct Hub compiles the examples with them); the README check does not.
project.addPackageIgnore('/rosetta/*.js');

// Generates each jsii target's code without its toolchain (`package-all` needs Python, Java,
// .NET and Go installed); run after `compile` and `rosetta`.
const codeOnly = project.addTask('package:code-only', {
  description: 'Generate the Python, Java, .NET and Go bindings (code only, into dist/code-only)',
});
codeOnly.exec('rm -rf dist/code-only');
// The README's examples reach the other languages from rosetta's tablet: (re)build it first
// (cached: a second run after `npx projen rosetta` takes seconds).
codeOnly.exec('jsii-rosetta extract --strict');
// One run for all four: the assembly is loaded once (a third of the time of four runs).
codeOnly.exec('jsii-pacmak --code-only --no-npmignore --rosetta-tablet .jsii.tabl.json ' +
  '--target python --target java --target dotnet --target go --outdir dist/code-only');

// The integ test: its snapshot is checked by jest (test/integ/snapshot.test.ts) without AWS;
// integ:deploy runs it in two real accounts with the pinned CDK CLI (a dev dependency).
const INTEG_APP = 'ts-node --project test/tsconfig.json test/integ/integ.multi-account.ts';
project.addTask('integ:snapshot', {
  description: 'Re-synthesize the integ tests into their committed snapshots (test/integ/*.snapshot)',
  exec: 'ts-node --project test/tsconfig.json test/integ/snapshot.ts',
});
const integDeploy = project.addTask('integ:deploy', {
  description: 'Deploy the integ test to real staging and target accounts (DRS_INTEG_* variables), assert the extended server, destroy',
});
// First a preflight: without DRS_INTEG_* variables or AWS credentials it stops with what to set,
// before anything is bundled or deployed (the defaults are the snapshot's placeholder accounts).
integDeploy.exec('ts-node --transpile-only --project test/tsconfig.json test/integ/preflight.ts');
integDeploy.spawn(project.tasks.tryFind('bundle')!);
// Destroy even when the deployment or an assertion failed, and report the deployment's result.
integDeploy.exec(`cdk deploy --app "${INTEG_APP}" --output cdk.out/integ --all --require-approval never; rc=$?; ` +
  `cdk destroy --app "${INTEG_APP}" --output cdk.out/integ --all --force || rc=1; exit $rc`);

// The deployed code (each concept's runtime/, src/aws/ and the *.lambda.ts entry points) imports
// the AWS SDK clients, dev dependencies: esbuild bundles them into the assets. jsii still compiles
// it to lib/, where nothing reaches it: it stays out of the package (below), and only the
// generated function constructs (<concept>/<name>-function.ts) that point at the assets ship.
for (const deployed of DEPLOYED_CODE) project.eslint?.allowDevDeps(deployed);

// The house rules (CONTRIBUTING.md, "Layout"), kept by the linter instead of by memory:
// - no import cycles, type-only imports included: two modules that need each other are one
//   concept that wants a file of its own;
// - deployed code (and the contract it shares with the constructs) imports neither aws-cdk-lib
//   nor constructs, so no construct code can reach a bundle;
// - only src/aws/ imports an AWS SDK client: retries, pagination and error translation live there.
project.eslint?.addRules({ 'import/no-cycle': ['error', { ignoreExternal: true, allowUnsafeDynamicCyclicDependency: false }] });
const NO_CDK = [
  { group: ['aws-cdk-lib', 'aws-cdk-lib/*', 'constructs'], message: 'Deployed code (runtime/, aws/, *.lambda.ts, contract/) must not import construct code: it is bundled into a Lambda asset.' },
];
const NO_SDK = [
  { group: ['@aws-sdk/*'], message: 'Only src/aws/ imports an AWS SDK client: add what you need there (src/aws/drs/sdk.ts for DRS).' },
];
project.eslint?.addOverride({ files: ['src/**/*.ts'], rules: { 'no-restricted-imports': ['error', { patterns: NO_SDK }] } });
project.eslint?.addOverride({
  files: [...DEPLOYED_CODE.filter((glob) => glob !== 'src/aws/**'), 'src/contract/**'],
  rules: { 'no-restricted-imports': ['error', { patterns: [...NO_CDK, ...NO_SDK] }] },
});
project.eslint?.addOverride({ files: ['src/aws/**'], rules: { 'no-restricted-imports': ['error', { patterns: NO_CDK }] } });
// Benchmarks: synthesis and local-DRS figures side by side, written to benchmarks/RESULTS.md.
project.addTask('benchmark', {
  description: 'Measure (a) ExtendedSourceServer, (b) StagingAccountExtension and (c) AwsCustomResource side by side',
  exec: 'ts-node --project test/tsconfig.json benchmarks/run.ts',
  receiveArgs: true,
});

// The drill state machine in the States Language interpreter at 3, 100 and 300 servers.
project.addTask('benchmark:drill', {
  description: 'Run the RecoveryDrill definition against the local DRS at 3, 100 and 300 servers (benchmarks/RESULTS-drill.md)',
  exec: 'ts-node --project test/tsconfig.json benchmarks/drill.ts',
  receiveArgs: true,
});

// What each built-in drill check adds per server (transitions, polls, DRS/EC2 calls).
project.addTask('benchmark:drill-checks', {
  description: 'Run the RecoveryDrill definition with each DrillCheck against the local DRS (benchmarks/RESULTS-drill-checks.md)',
  exec: 'ts-node --project test/tsconfig.json benchmarks/drill-checks.ts',
  receiveArgs: true,
});

// Model-based tests, the long run (CI runs a fixed seed inside jest: test/model/model.test.ts).
project.addTask('fuzz', {
  description: 'Run random stack histories against the local DRS: npx projen fuzz -- --seed 42 --runs 10000 (see test/model/README.md)',
  env: { TS_NODE_TRANSPILE_ONLY: '1' },
  exec: 'ts-node --project test/tsconfig.json test/model/fuzz.ts',
  receiveArgs: true,
});

// Generated drill executions, the long run (CI runs a fixed seed inside jest: test/drill/model/drill-model.test.ts).
project.addTask('fuzz:drill', {
  description: 'Run generated drill executions against the local DRS: npx projen fuzz:drill -- --seed 42 --runs 2000 (see test/drill/README.md)',
  env: { TS_NODE_TRANSPILE_ONLY: '1' },
  exec: 'ts-node --project test/tsconfig.json test/drill/model/fuzz.ts',
  receiveArgs: true,
});

for (const pattern of [
  '/examples', '/scripts', '/.ci', '/benchmarks', '/docs', '/.cfnlintrc.yaml',
  // CI and benchmark output (the cdk-lib matrix installs a whole aws-cdk-lib into .ci-out).
  '/.ci-out', '/.benchmark', 'cdk.out',
  ...DEPLOYED_CODE.map((glob) => `/${glob.replace(/^src\//, 'lib/').replace(/\.ts$/, '.*')}`),
]) {
  project.addPackageIgnore(pattern);
}

project.synth();
