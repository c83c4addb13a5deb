#!/usr/bin/env node
// Prints the aws-cdk-lib and constructs versions CI tests the library with, as
// "<aws-cdk-lib version> <constructs version>":
//
//   node scripts/cdk-lib-version.js minimum   the lower bounds of package.json's peer ranges
//   node scripts/cdk-lib-version.js newest    the registry's latest aws-cdk-lib and constructs
//
// `newest` asks the registry (npm view) at CI time. When the registry does not answer, it falls
// back to the newest versions known when this was written (a warning on stderr says so); the
// install that follows needs the registry anyway, so the fallback mostly helps a cached npm.
const { execFileSync } = require('child_process');
const path = require('path');

const LAST_KNOWN_NEWEST = { 'aws-cdk-lib': '2.276.0', constructs: '10.8.1' };

function minimum(pkg) {
  const range = require(path.join(__dirname, '..', 'package.json')).peerDependencies[pkg];
  const m = /^(?:\^|~|>=)?\s*(\d+\.\d+\.\d+)$/.exec(range ?? '');
  if (!m) throw new Error(`package.json peerDependencies.${pkg} is '${range}': expected ^x.y.z or >=x.y.z`);
  return m[1];
}

function newest(pkg) {
  try {
    const version = execFileSync('npm', ['view', `${pkg}@latest`, 'version', '--fetch-retries=1', '--fetch-timeout=20000'],
      { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    if (!/^\d+\.\d+\.\d+$/.test(version)) throw new Error(`npm view answered '${version}'`);
    return version;
  } catch (e) {
    const fallback = LAST_KNOWN_NEWEST[pkg];
    console.error(`warning: could not ask the registry for the newest ${pkg} (${e.message.split('\n')[0]}); using ${fallback}`);
    return fallback;
  }
}

const which = process.argv[2];
if (which !== 'minimum' && which !== 'newest') {
  console.error('usage: node scripts/cdk-lib-version.js minimum|newest');
  process.exit(2);
}
const resolve = which === 'minimum' ? minimum : newest;
const lib = resolve('aws-cdk-lib');
const constructs = resolve('constructs');
if (!constructs.startsWith('10.')) {
  console.error(`constructs ${constructs} is not 10.x, the major aws-cdk-lib 2 uses`);
  process.exit(1);
}
console.log(`${lib} ${constructs}`);
