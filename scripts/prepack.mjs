#!/usr/bin/env node
// `npm pack` / `npm publish` run this first: it builds what the package ships (build/*.wasm,
// dist/) when it is missing or older than its sources, and rebuilds dist/ from scratch
// when it holds output whose source is gone (a moved or deleted module would otherwise
// ship). A fresh build (npm test builds first) is left alone. `--check` only reports.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname, '..');
const check = process.argv.includes('--check');

function files(dir, test) {
  const out = [];
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...files(path, test));
    else if (test(entry.name)) out.push(path);
  }
  return out;
}

const mtime = (path) => statSync(path).mtimeMs;
const newest = (paths) => Math.max(0, ...paths.map(mtime));
const isSource = (name) => name.endsWith('.ts') && !name.endsWith('.d.ts');

function wasmReason() {
  const newestSource = newest([...files(join(root, 'assembly'), (n) => n.endsWith('.ts')), join(root, 'asconfig.json')]);
  for (const target of ['release', 'debug']) {
    const wasm = join(root, 'build', `${target}.wasm`);
    if (!existsSync(wasm)) return `build/${target}.wasm is missing`;
    if (mtime(wasm) < newestSource) return `build/${target}.wasm is older than assembly/`;
  }
  return undefined;
}

/** Why dist/ must be rebuilt, and whether from scratch (it holds output of a deleted source). */
function distReason() {
  const sources = ['src', 'bench'].flatMap((dir) => files(join(root, dir), isSource));
  const config = mtime(join(root, 'tsconfig.json'));
  const expected = new Set();
  for (const source of sources) {
    const out = join(root, 'dist', relative(root, source).replace(/\.ts$/, '.js'));
    expected.add(out);
    if (!existsSync(out)) return { why: `${relative(root, out)} is missing`, clean: false };
    if (mtime(out) < Math.max(mtime(source), config)) return { why: `${relative(root, out)} is older than its source`, clean: false };
  }
  const outputs = ['src', 'bench'].flatMap((dir) => files(join(root, 'dist', dir), (n) => n.endsWith('.js')));
  const orphan = outputs.find((out) => !expected.has(out));
  if (orphan) return { why: `${relative(root, orphan)} has no source any more`, clean: true };
  return undefined;
}

function run(args) {
  execFileSync('npm', ['run', ...args], { cwd: root, stdio: 'inherit' });
}

const wasm = wasmReason();
const dist = distReason();
if (!wasm && !dist) {
  console.log('prepack: build/ and dist/ are up to date');
} else if (check) {
  console.log(`prepack: would rebuild: ${[wasm, dist?.why].filter(Boolean).join('; ')}`);
  process.exitCode = 1;
} else {
  if (wasm) {
    console.log(`prepack: ${wasm}: building the Wasm core`);
    run(['asbuild']);
  }
  if (dist) {
    console.log(`prepack: ${dist.why}: compiling dist/${dist.clean ? ' from scratch' : ''}`);
    if (dist.clean) rmSync(join(root, 'dist'), { recursive: true, force: true });
    execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
  }
}
