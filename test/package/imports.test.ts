// What an entry point loads, read from the built package (dist/, what npm ships;
// `npm test` builds first). Every browser-safe entry's transitive static imports are
// relative files of the package: no npm package, no node: module. A lazy import() may
// name a node: module (the Node-only file paths take them) but no npm package. Then,
// at run time, importing the package root in Node resolves nothing outside it.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, string | { types: string; default: string }> };

/** Subpaths that are Node-only by design: files, worker threads, the CLI's peers. */
const NODE_ONLY = new Set(['./trace/node', './workload/node', './gate', './report']);

const entries = Object.entries(pkg.exports).filter((e): e is [string, { types: string; default: string }] => typeof e[1] === 'object');
const browserEntries = entries.filter(([subpath]) => !NODE_ONLY.has(subpath));

interface Edge {
  from: string;
  specifier: string;
  dynamic: boolean;
}

/** Import and export-from specifiers of a compiled module, static and dynamic. */
function importsOf(file: string): Edge[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  const edges: Edge[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      edges.push({ from: file, specifier: node.moduleSpecifier.text, dynamic: false });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const arg = node.arguments[0];
      edges.push({ from: file, specifier: arg && ts.isStringLiteralLike(arg) ? arg.text : `<computed: ${arg?.getText()}>`, dynamic: true });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return edges;
}

/** Every module reachable from `entry` (static and dynamic relative imports) and every import edge leaving one. */
function graph(entry: string): { files: Set<string>; edges: Edge[] } {
  const files = new Set<string>();
  const edges: Edge[] = [];
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    for (const edge of importsOf(file)) {
      edges.push(edge);
      if (edge.specifier.startsWith('./') || edge.specifier.startsWith('../')) queue.push(resolve(dirname(file), edge.specifier));
    }
  }
  return { files, edges };
}

const show = (e: Edge): string => `${relative(ROOT, e.from)}: ${e.dynamic ? 'import()' : 'import'} '${e.specifier}'`;

describe('the package entries', () => {
  it('every exports entry exists in dist with its types', () => {
    const missing = entries.flatMap(([subpath, target]) => [target.default, target.types]
      .filter((file) => !existsSync(join(ROOT, file)))
      .map((file) => `${subpath} -> ${file}`));
    expect(missing, 'exports naming files the build did not produce (npm run build)').toEqual([]);
  });

  it.each(browserEntries.map(([subpath, target]) => [subpath, target.default]))('%s loads only files of the package (no npm package, no node: module at load)', (_subpath, target) => {
    const entry = join(ROOT, target);
    expect(existsSync(entry), `${target} is missing: run npm run build`).toBe(true);
    const { files, edges } = graph(entry);
    const outside = edges.filter((e) => !(e.specifier.startsWith('./') || e.specifier.startsWith('../')));
    const bad = outside.filter((e) => !e.dynamic || !e.specifier.startsWith('node:'));
    expect(bad.map(show), 'imports that would load an npm package or a Node module with the entry').toEqual([]);
    // Relative imports stay inside dist/ and name files that exist (a browser fetches them as they are).
    const dangling = edges.filter((e) => e.specifier.startsWith('.') && !existsSync(resolve(dirname(e.from), e.specifier)));
    expect(dangling.map(show)).toEqual([]);
    for (const file of files) expect(relative(join(ROOT, 'dist'), file).startsWith('..'), file).toBe(false);
  });

  it('the scan sees what it must refuse', () => {
    const dir = mkdtempSync(join(tmpdir(), 'imports-'));
    try {
      writeFileSync(join(dir, 'a.js'), "import { b } from './b.js';\nexport * from './c.js';\nexport const x = () => import('node:fs');\n");
      writeFileSync(join(dir, 'b.js'), "import 'vega';\nexport const b = 1;\n");
      writeFileSync(join(dir, 'c.js'), "import { readFile } from 'node:fs/promises';\nexport const c = () => import('tinybench');\n");
      const { edges } = graph(join(dir, 'a.js'));
      expect(edges.map((e) => `${e.dynamic ? 'dynamic' : 'static'} ${e.specifier}`).sort()).toEqual(
        ['dynamic node:fs', 'dynamic tinybench', 'static ./b.js', 'static ./c.js', 'static node:fs/promises', 'static vega'],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('importing the root in Node resolves no module outside the package (a resolve hook records them)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'resolve-hook-'));
    try {
      const log = join(dir, 'resolved.txt');
      writeFileSync(join(dir, 'hooks.mjs'), [
        "import { appendFileSync } from 'node:fs';",
        'export async function resolve(specifier, context, next) {',
        '  const result = await next(specifier, context);',
        `  appendFileSync(${JSON.stringify(log)}, result.url + '\\n');`,
        '  return result;',
        '}',
      ].join('\n'));
      writeFileSync(join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});\n`);
      const root = pathToFileURL(join(ROOT, 'dist/src/index.js')).href;
      const out = execFileSync(process.execPath, ['--import', pathToFileURL(join(dir, 'register.mjs')).href, '--input-type=module', '-e',
        `const m = await import(${JSON.stringify(root)}); console.log(typeof m.Engine.create, typeof m.System);`], { encoding: 'utf8' });
      expect(out.trim()).toBe('function function');
      const resolved = readFileSync(log, 'utf8').trim().split('\n');
      const dist = pathToFileURL(join(ROOT, 'dist')).href + '/';
      expect(resolved.length).toBeGreaterThan(20);
      expect(resolved.filter((url) => !url.startsWith(dist))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
