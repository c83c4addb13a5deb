#!/usr/bin/env node
// npm's prepack: refuses to pack the library without the handler bundles. Every Lambda entry
// point (src/<concept>/<name>.lambda.ts) must have its bundle in assets/<concept>/<name>.lambda/,
// built after the entry point's sources changed last (`npx projen bundle` builds them;
// `npx projen package:js` runs it first).
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const missing = [];
for (const concept of fs.readdirSync(path.join(root, 'src'))) {
  const dir = path.join(root, 'src', concept);
  if (!fs.statSync(dir).isDirectory()) continue;
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.lambda.ts'))) {
    const bundle = path.join(root, 'assets', concept, file.replace(/\.ts$/, ''), 'index.js');
    if (!fs.existsSync(bundle)) missing.push(path.relative(root, bundle));
  }
}
if (missing.length) {
  console.error(`cannot pack: no handler bundle ${missing.join(', ')}; run \`npx projen bundle\` ` +
    '(or `npx projen package:js`, which bundles first)');
  process.exit(1);
}
console.log('prepack: every handler bundle is in assets/');
