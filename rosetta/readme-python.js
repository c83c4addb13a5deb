#!/usr/bin/env node
/**
 * Keeps the README's ```python examples equal to jsii-rosetta's translation of the ```ts example
 * right before each of them (every ```ts example has one: --write adds those that are missing), so the Python a reader copies is the Python that was type-checked
 * against the library. Only the imports are tidied (rosetta repeats and splits them).
 *
 *   node rosetta/readme-python.js          check; exit 1 and show the expected Python on a mismatch
 *   node rosetta/readme-python.js --write  rewrite the ```python blocks
 *
 * Needs the tablet from `npx projen compile && npx projen rosetta` (.jsii.tabl.json), made from
 * the current README.
 */
'use strict';
const fs = require('fs');
const path = require('path');

const ROOT = path.join(__dirname, '..');
const README = path.join(ROOT, 'README.md');
const TABLET = path.join(ROOT, '.jsii.tabl.json');

/** Fenced blocks with their language and the character range of their body. */
function fencedBlocks(md) {
  const blocks = [];
  const re = /^```([^\n]*)\n([\s\S]*?)^```[ \t]*$/gm;
  let m;
  while ((m = re.exec(md))) {
    const bodyStart = m.index + 3 + m[1].length + 1;
    blocks.push({ lang: m[1].trim().split(/\s+/)[0], body: m[2], bodyStart, bodyEnd: bodyStart + m[2].length, end: re.lastIndex });
  }
  return blocks;
}

/** Merges rosetta's leading import lines per module, names sorted and unique. */
function tidyPython(source) {
  const lines = source.replace(/\s+$/, '').split('\n');
  const modules = new Map();
  let i = 0;
  for (; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '') continue;
    const from = /^from (\S+) import (.+)$/.exec(line);
    const plain = /^import (\S+)$/.exec(line);
    if (from) {
      const names = modules.get(from[1]) ?? new Set();
      for (const name of from[2].split(',')) names.add(name.trim());
      modules.set(from[1], names);
    } else if (plain) {
      modules.set(plain[1], modules.get(plain[1]) ?? null);
    } else {
      break;
    }
  }
  const imports = [...modules].map(([mod, names]) => (names ? `from ${mod} import ${[...names].sort().join(', ')}` : `import ${mod}`));
  const body = lines.slice(i).join('\n');
  // PEP 8: two blank lines before a top-level class or function, one before other code.
  const gap = /^(class|def) /.test(body) ? '\n\n\n' : '\n\n';
  return `${imports.join('\n')}${imports.length ? gap : ''}${body}\n`;
}

function main() {
  const write = process.argv.includes('--write');
  if (!fs.existsSync(TABLET)) {
    console.error('no .jsii.tabl.json: run `npx projen compile && npx projen rosetta` first');
    return 1;
  }
  const snippets = Object.values(JSON.parse(fs.readFileSync(TABLET, 'utf8')).snippets);
  const pythonOf = (ts) => snippets.find((s) => s.translations.$.source.trim() === ts.trim())?.translations.python?.source;

  let md = fs.readFileSync(README, 'utf8');
  const blocks = fencedBlocks(md);
  const problems = [];
  const edits = [];
  let pairs = 0;
  blocks.forEach((block, i) => {
    const next = blocks[i + 1];
    if (!['ts', 'typescript'].includes(block.lang)) return;
    const line = md.slice(0, block.bodyStart).split('\n').length;
    const translated = pythonOf(block.body);
    // Every TypeScript example has its Python right after it; --write adds a missing one.
    if (next?.lang !== 'python' || md.slice(block.end, next.bodyStart - '```python\n'.length).trim() !== '') {
      if (translated === undefined) problems.push(`README.md:${line}: this TypeScript example has no Python after it, and is not in the tablet (npx projen compile, then npx projen rosetta:readme)`);
      else if (write) edits.push({ start: block.end, end: block.end, text: `\n\n\`\`\`python\n${tidyPython(translated)}\`\`\`` });
      else problems.push(`README.md:${line}: this TypeScript example has no Python after it; npx projen rosetta:readme adds it`);
      return;
    }
    pairs++;
    if (translated === undefined) {
      problems.push(`README.md:${line}: this TypeScript example is not in the tablet; recompile (npx projen compile) and rerun npx projen rosetta`);
      return;
    }
    const expected = tidyPython(translated);
    if (next.body !== expected) {
      if (write) edits.push({ start: next.bodyStart, end: next.bodyEnd, text: expected });
      else problems.push(`README.md:${line}: the Python after this example differs from its translation; expected:\n${expected}`);
    }
  });
  for (const edit of edits.reverse()) md = md.slice(0, edit.start) + edit.text + md.slice(edit.end);
  if (edits.length) fs.writeFileSync(README, md);

  for (const problem of problems) console.error(problem);
  console.log(`${pairs} TypeScript/Python example pair(s) in README.md; ${write ? `${edits.length} rewritten` : `${problems.length} out of date`}`);
  if (!write && problems.length) console.error('fix: node rosetta/readme-python.js --write');
  return problems.length ? 1 : 0;
}

process.exitCode = main();
