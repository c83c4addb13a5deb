/**
 * The layout's rules (CONTRIBUTING.md, "Layout"), over the import graph of src/ as TypeScript
 * reads it. eslint keeps the same rules file by file (import/no-cycle, no-restricted-imports), but
 * import/no-cycle passes over `import type`: this test counts those too, since a type-only cycle
 * is still two modules that cannot be read apart.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

const SRC = path.join(__dirname, '..', 'src');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(full) : e.name.endsWith('.ts') ? [full] : [];
  });
}

/** Every module specifier a file imports or re-exports, type-only ones included. */
function specifiers(file: string): string[] {
  const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, false);
  const found: string[] = [];
  for (const statement of source.statements) {
    if ((ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) && statement.moduleSpecifier
      && ts.isStringLiteral(statement.moduleSpecifier)) {
      found.push(statement.moduleSpecifier.text);
    }
  }
  return found;
}

function resolveLocal(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = path.resolve(path.dirname(from), spec);
  return [`${base}.ts`, path.join(base, 'index.ts')].find((f) => fs.existsSync(f));
}

const files = sourceFiles(SRC);
const rel = (f: string) => path.relative(SRC, f);
const graph = new Map(files.map((f) => [f, specifiers(f)]));

/** Deployed code: bundled by esbuild into a Lambda asset. */
const isDeployed = (f: string) => /(^|\/)runtime\//.test(rel(f)) || rel(f).startsWith('aws/') || f.endsWith('.lambda.ts');

describe('the house rules of src/', () => {
  test('no import cycles, type-only imports included', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (f: string) => {
      state.set(f, 'open');
      stack.push(f);
      for (const spec of graph.get(f) ?? []) {
        const to = resolveLocal(f, spec);
        if (!to) continue;
        if (state.get(to) === 'open') cycles.push([...stack.slice(stack.indexOf(to)), to].map(rel).join(' → '));
        else if (!state.has(to)) visit(to);
      }
      stack.pop();
      state.set(f, 'done');
    };
    for (const f of files) if (!state.has(f)) visit(f);
    expect(cycles).toEqual([]);
  });

  test('deployed code and the contract import neither aws-cdk-lib nor constructs', () => {
    const offending = files.filter((f) => isDeployed(f) || rel(f).startsWith('contract/'))
      .flatMap((f) => specifiers(f).filter((s) => /^(aws-cdk-lib|constructs)(\/|$)/.test(s)).map((s) => `${rel(f)} imports ${s}`));
    expect(offending).toEqual([]);
  });

  test('only src/aws/ imports an AWS SDK client', () => {
    const offending = files.filter((f) => !rel(f).startsWith('aws/'))
      .flatMap((f) => specifiers(f).filter((s) => s.startsWith('@aws-sdk/')).map((s) => `${rel(f)} imports ${s}`));
    expect(offending).toEqual([]);
  });

  test('construct code reaches deployed code only through the generated function constructs', () => {
    const offending = files.filter((f) => !isDeployed(f) && !rel(f).startsWith('contract/'))
      .flatMap((f) => specifiers(f).map((s) => resolveLocal(f, s)).filter((to): to is string => !!to && isDeployed(to))
        .map((to) => `${rel(f)} imports ${rel(to)}`));
    expect(offending).toEqual([]);
  });

  test('one folder per concept: no flat folder of constructs or handlers is left', () => {
    const top = fs.readdirSync(SRC, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
    expect(top).toEqual(['aws', 'common', 'contract', 'drill', 'observability', 'provider', 'servers', 'trust']);
  });
});
