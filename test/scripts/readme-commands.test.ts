import * as fs from 'fs';
import * as path from 'path';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { commands } = require('../../scripts/readme-commands.js') as { commands: (markdown: string) => string[] };

const fence = '```';

test('joins continuation lines and drops comments, blank lines and trailing comments', () => {
  const md = [
    'Text with `npx cdk synth` inline is not a command.',
    `${fence}sh`,
    'cd examples/basic',
    '',
    '# a comment',
    'npx cdk synth \\',
    '  -c a=1 \\',
    '  -c b=2,3',
    'npx cdk deploy Stack --exclusively   # staging account credentials',
    fence,
    `${fence}ts`,
    'const notShell = 1;',
    fence,
    `${fence}bash`,
    'npx cdk ls',
    fence,
  ].join('\n');
  expect(commands(md)).toEqual([
    'cd examples/basic',
    'npx cdk synth -c a=1 -c b=2,3',
    'npx cdk deploy Stack --exclusively',
    'npx cdk ls',
  ]);
});

test.each(fs.readdirSync(path.join(__dirname, '..', '..', 'examples'), { withFileTypes: true })
  .filter((d) => d.isDirectory()).map((d) => d.name))('examples/%s/README.md shows the commands CI runs', (name) => {
  // scripts/synth-examples.sh runs these as written: cd into the example, ls, synth, synth -c.
  const found = commands(fs.readFileSync(path.join(__dirname, '..', '..', 'examples', name, 'README.md'), 'utf8'));
  expect(found[0]).toBe(`cd examples/${name}`);
  expect(found).toContain('npx cdk ls');
  expect(found).toContain('npx cdk synth');
  expect(found.some((c) => /^npx cdk synth( -c [^ ]+=[^ ]+)+$/.test(c))).toBe(true);
  // The CLI the READMEs use is the repository's pinned one, not a global install.
  expect(found.filter((c) => /^cdk /.test(c))).toEqual([]);
});
