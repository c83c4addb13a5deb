#!/usr/bin/env node
// The README's "What it deploys and what it costs" table, generated from the examples' synthesized
// templates (scripts/synth-examples.sh's cloud assemblies), so it cannot go stale.
//
//   node scripts/deploy-table.js [--write|--check] [<assembly dir> ...]   (default: .ci-out/<example>/)
//
// Each resource is attributed to the top-level construct of its stack it belongs to (its construct
// path, from the assembly's aws:cdk:logicalId metadata); the construct's class is found from the
// examples' sources (`new Class(scope, 'Id'` or a template literal id). The DRS handler that the
// library creates once per stack (`CdkDrsMultiAccountHandler`) has a row of its own. Each class
// gets the resources of its smallest instance in the examples (a trust for one target account, one
// server, ...). --write rewrites the table between the README's markers; --check fails (exit 1)
// when the README's table differs; without either, prints it.
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const START = '<!-- deploy-table:start -->';
const END = '<!-- deploy-table:end -->';
const HANDLER_ID = 'CdkDrsMultiAccountHandler';

/** Columns: a heading and the CloudFormation types it counts. */
const COLUMNS = [
  ['Lambda functions', ['AWS::Lambda::Function']],
  ['KMS keys', ['AWS::KMS::Key']],
  ['schedules and event rules', ['AWS::Events::Rule', 'AWS::Scheduler::Schedule']],
  ['state machines', ['AWS::StepFunctions::StateMachine']],
  ['log groups', ['AWS::Logs::LogGroup']],
  ['alarms', ['AWS::CloudWatch::Alarm']],
  ['IAM roles', ['AWS::IAM::Role']],
  ['custom resources', (type) => type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource'],
];
const counted = (type) => COLUMNS.some(([, match]) => (typeof match === 'function' ? match(type) : match.includes(type)));

/** The library's exported classes (src/index.ts's modules' `export class`). */
function libraryClasses() {
  const index = fs.readFileSync(path.join(root, 'src/index.ts'), 'utf8');
  const names = new Set();
  for (const [, mod] of index.matchAll(/export \* from '\.\/(.+)';/g)) {
    const file = path.join(root, 'src', `${mod}.ts`);
    if (!fs.existsSync(file)) continue;
    for (const [, name] of fs.readFileSync(file, 'utf8').matchAll(/export class (\w+)/g)) names.add(name);
  }
  return names;
}

/** [id pattern, class] for every `new <library class>(scope, 'id'` in the examples. */
function constructIds(classes) {
  const found = [];
  for (const example of fs.readdirSync(path.join(root, 'examples'))) {
    const dir = path.join(root, 'examples', example);
    if (!fs.statSync(dir).isDirectory()) continue;
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      const source = fs.readFileSync(path.join(dir, file), 'utf8');
      for (const [, cls, quote, id] of source.matchAll(/new (\w+)\(\s*\w+,\s*(['`])([^'`]+)\2/g)) {
        if (!classes.has(cls)) continue;
        const pattern = quote === '`'
          ? new RegExp(`^${id.split(/\$\{[^}]*\}/).map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.+')}$`)
          : new RegExp(`^${id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
        found.push([pattern, cls]);
      }
    }
  }
  return found;
}

function stackMetadata(dir, artifactId, artifact) {
  const file = path.join(dir, `${artifactId}.metadata.json`);
  return { ...artifact.metadata, ...(fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {}) };
}

/** class → the resource type counts of its smallest instance, and where that instance is. */
function measure(dirs) {
  const classes = libraryClasses();
  const ids = constructIds(classes);
  const rows = new Map();
  for (const dir of dirs) {
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    for (const [artifactId, artifact] of Object.entries(manifest.artifacts ?? {})) {
      if (artifact.type !== 'aws:cloudformation:stack' || !artifact.properties?.templateFile) continue;
      const template = JSON.parse(fs.readFileSync(path.join(dir, artifact.properties.templateFile), 'utf8'));
      const instances = new Map();
      for (const [constructPath, entries] of Object.entries(stackMetadata(dir, artifactId, artifact))) {
        for (const entry of entries) {
          if (entry.type !== 'aws:cdk:logicalId') continue;
          const resource = template.Resources?.[entry.data];
          if (!resource) continue;
          const top = constructPath.split('/')[2];
          const cls = top === HANDLER_ID ? HANDLER_ID : ids.find(([pattern]) => pattern.test(top))?.[1];
          if (!cls) continue;
          const key = `${cls}\0${top}`;
          const types = instances.get(key) ?? {};
          types[resource.Type] = (types[resource.Type] ?? 0) + 1;
          instances.set(key, types);
        }
      }
      for (const [key, types] of instances) {
        const [cls, top] = key.split('\0');
        const total = Object.values(types).reduce((a, b) => a + b, 0);
        const where = `${path.basename(dir)}: ${artifactId}/${top}`;
        const best = rows.get(cls);
        if (!best || total < best.total || (total === best.total && where < best.where)) rows.set(cls, { types, total, where });
      }
    }
  }
  return rows;
}

function table(rows) {
  const order = [...rows.keys()].sort((a, b) => (a === HANDLER_ID) - (b === HANDLER_ID) || a.localeCompare(b));
  const lines = [
    `| construct | ${COLUMNS.map(([h]) => h).join(' | ')} | other resources | measured on |`,
    `|---|${COLUMNS.map(() => '---:').join('|')}|---|---|`,
  ];
  for (const cls of order) {
    const { types, where } = rows.get(cls);
    const count = (match) => Object.entries(types)
      .filter(([type]) => (typeof match === 'function' ? match(type) : match.includes(type)))
      .reduce((sum, [, n]) => sum + n, 0);
    const other = Object.entries(types).filter(([type]) => !counted(type)).sort()
      .map(([type, n]) => `${n} ${type.replace(/^AWS::/, '')}`).join(', ') || '–';
    const name = cls === HANDLER_ID ? `DRS handler, once per stack (${HANDLER_ID})` : `\`${cls}\``;
    lines.push(`| ${name} | ${COLUMNS.map(([, match]) => count(match) || '–').join(' | ')} | ${other} | ${where} |`);
  }
  return lines.join('\n');
}

function main(args) {
  const mode = args.find((a) => a === '--write' || a === '--check');
  let dirs = args.filter((a) => !a.startsWith('--'));
  if (dirs.length === 0) {
    const out = path.join(root, '.ci-out');
    dirs = fs.existsSync(out) ? fs.readdirSync(out).map((d) => path.join(out, d))
      .filter((d) => !/\.context-\d+$/.test(d) && fs.existsSync(path.join(d, 'manifest.json'))).sort() : [];
  }
  if (dirs.length === 0) {
    console.error('no cloud assemblies: run scripts/synth-examples.sh first (or name assembly folders)');
    return 2;
  }
  const generated = table(measure(dirs));
  if (!mode) {
    console.log(generated);
    return 0;
  }
  const readmePath = path.join(root, 'README.md');
  const readme = fs.readFileSync(readmePath, 'utf8');
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) {
    console.error(`README.md has no ${START} ... ${END} markers`);
    return 1;
  }
  const updated = `${readme.slice(0, start + START.length)}\n${generated}\n${readme.slice(end)}`;
  if (mode === '--write') {
    fs.writeFileSync(readmePath, updated);
    console.log('README.md: deploy table written');
    return 0;
  }
  if (updated !== readme) {
    console.error('README.md\'s "What it deploys" table is stale; the examples synthesize:\n' + generated +
      '\nRun scripts/synth-examples.sh, then node scripts/deploy-table.js --write');
    return 1;
  }
  console.log('README.md: deploy table matches the examples\' templates');
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));

module.exports = { measure, table };
