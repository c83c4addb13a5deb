#!/usr/bin/env node
// Prints the commands of a Markdown file's ```sh blocks, one per line, as a reader would type
// them: backslash continuations joined, blank lines and comments dropped, trailing comments cut.
// scripts/synth-examples.sh runs the examples' documented commands with it, exactly as written.
//
//   node scripts/readme-commands.js examples/basic/README.md
const fs = require('fs');

function commands(markdown) {
  const out = [];
  for (const block of markdown.matchAll(/```(?:sh|bash|shell)\n([\s\S]*?)```/g)) {
    let pending = '';
    for (const raw of block[1].split('\n')) {
      const line = raw.trim();
      if (!pending && (line === '' || line.startsWith('#'))) continue;
      if (line.endsWith('\\')) {
        pending += line.slice(0, -1).trimEnd() + ' ';
        continue;
      }
      // A comment after a command ("cmd   # note"); the examples' values never contain " #".
      out.push((pending + line).replace(/\s+#.*$/, '').trim());
      pending = '';
    }
    if (pending) out.push(pending.trim());
  }
  return out;
}

if (require.main === module) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node scripts/readme-commands.js <file.md>');
    process.exit(2);
  }
  for (const command of commands(fs.readFileSync(file, 'utf8'))) console.log(command);
}

module.exports = { commands };
