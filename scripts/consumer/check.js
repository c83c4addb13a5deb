#!/usr/bin/env node
// Checks what `cdk synth` made of a consumer app (scripts/consumer-test.sh):
//   node check.js <consumer folder> <app folder> <stack>=<item>[,<item>...] ...
// where an item is a resource type (e.g. Custom::DrsExtendedSourceServer) or @<bundle> (e.g.
// @drill-steps: a function of the stack runs the package's assets/drill/drill-steps.lambda).
// - the installed cdk-drs-multi-account carries its handler bundle, and uses the consumer's one
//   aws-cdk-lib (no copy of its own);
// - each named stack's template has the named resources; each custom resource (Custom::*) is
//   served by a Lambda function of that template whose code is an asset of the assembly holding
//   exactly the handler bundle;
// - the staging stack has the trust role DRS looks for.
const fs = require('fs');
const path = require('path');

const [consumer, appDir, ...expectations] = process.argv.slice(2);
const problems = [];
const expect = (ok, what) => { if (!ok) problems.push(what); };

const pkgDir = path.join(consumer, 'node_modules', 'cdk-drs-multi-account');
/** assets/<concept>/<name>.lambda/index.js: the bundle of a function, wherever its concept is. */
const bundlePath = (name) => {
  const assets = path.join(pkgDir, 'assets');
  const concept = fs.existsSync(assets) ? fs.readdirSync(assets).find((d) => fs.existsSync(path.join(assets, d, `${name}.lambda`, 'index.js'))) : undefined;
  return path.join(assets, concept ?? '<none>', `${name}.lambda`, 'index.js');
};
const bundleFile = path.join(pkgDir, 'assets', 'provider', 'drs-handler.lambda', 'index.js');
expect(fs.existsSync(bundleFile), `the package has no handler bundle at ${bundleFile}`);
expect(!fs.existsSync(path.join(pkgDir, 'node_modules', 'aws-cdk-lib')), 'the package installed an aws-cdk-lib of its own');
const bundle = fs.existsSync(bundleFile) ? fs.readFileSync(bundleFile) : Buffer.alloc(0);

const out = path.join(appDir, 'cdk.out');
const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'));
for (const expectation of expectations) {
  const [stack, typeList] = expectation.split('=');
  const artifact = manifest.artifacts[stack];
  if (!artifact) { problems.push(`${stack}: not in ${out}/manifest.json`); continue; }
  const template = JSON.parse(fs.readFileSync(path.join(out, artifact.properties.templateFile), 'utf8'));
  const resources = Object.entries(template.Resources ?? {});
  const items = typeList ? typeList.split(',') : [];
  const assetManifest = Object.values(manifest.artifacts).find((a) => a.type === 'cdk:asset-manifest' && a.properties.file === `${stack}.assets.json`);
  const assetFiles = assetManifest ? JSON.parse(fs.readFileSync(path.join(out, assetManifest.properties.file), 'utf8')).files ?? {} : {};
  /** The index.js of the folder the CLI would zip and upload as the function's code. */
  const functionCode = (fn) => {
    const key = fn.Properties.Code?.S3Key;
    const source = typeof key === 'string' ? assetFiles[key.replace(/\.zip$/, '')]?.source : undefined;
    const file = source?.packaging === 'zip' && path.join(out, source.path, 'index.js');
    return file && fs.existsSync(file) ? fs.readFileSync(file) : undefined;
  };
  for (const item of items.filter((i) => i.startsWith('@'))) {
    const name = item.slice(1);
    const file = bundlePath(name);
    const expected = fs.existsSync(file) ? fs.readFileSync(file) : undefined;
    expect(expected, `the package has no ${name} bundle at ${file}`);
    const fns = resources.filter(([, r]) => r.Type === 'AWS::Lambda::Function');
    expect(expected && fns.some(([, fn]) => functionCode(fn)?.equals(expected)), `${stack}: no function runs the package's ${name} bundle`);
  }
  for (const type of items.filter((i) => !i.startsWith('@'))) {
    const found = resources.filter(([, r]) => r.Type === type);
    expect(found.length > 0, `${stack}: no ${type}`);
    for (const [id, r] of type.startsWith('Custom::') ? found : []) {
      const token = r.Properties?.ServiceToken?.['Fn::GetAtt'];
      const fn = token && template.Resources[token[0]];
      if (!fn || fn.Type !== 'AWS::Lambda::Function') { problems.push(`${stack}/${id}: its ServiceToken is not a function of the stack`); continue; }
      expect(functionCode(fn)?.equals(bundle), `${stack}/${id}: its function's code (${JSON.stringify(fn.Properties.Code)}) is not the package's handler bundle`);
    }
  }
  if (stack === 'DrsStaging') {
    const role = resources.find(([, r]) => r.Type === 'AWS::IAM::Role' && r.Properties.RoleName === 'DRSStagingAccountRole_222222222222');
    expect(role, `${stack}: no role DRSStagingAccountRole_222222222222`);
  }
}
for (const p of problems) console.error(`consumer check failed (${path.basename(appDir)}): ${p}`);
if (problems.length) process.exit(1);
console.log(`${path.basename(appDir)}: ${expectations.join('; ')}: templates, custom resources and the handler bundle are as expected`);
