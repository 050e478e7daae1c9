// The package as a user gets it: `npm pack` the checkout (built by `npm test`'s
// pretest; --ignore-scripts so packing never rebuilds), install the tarball into an
// empty project without dev dependencies, and run there what README.md shows: the
// engine example and the System example (taken from README.md itself), a VT-d unit
// through `iommu-wasm/hw/vtd`, types for every subpath, the CLI without its optional
// peers (a one-line message) and with them (`run --json`, `--version`, `bench`).
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  exports: Record<string, unknown>;
  peerDependencies: Record<string, string>;
};
const npm = spawnSync('npm', ['--version'], { encoding: 'utf8' });
const HAVE_NPM = npm.status === 0;

/** The code block under a README heading, `## Using the engine` for one. */
export function readmeBlock(heading: string): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const at = readme.indexOf(`\n${heading}\n`);
  if (at < 0) throw new Error(`README.md has no "${heading}" section`);
  const block = /```(?:ts|js)\n([\s\S]*?)```/.exec(readme.slice(at));
  if (!block || block.index > readme.slice(at).indexOf('\n## ', 1)) throw new Error(`README.md's "${heading}" section has no code block`);
  return block[1]!;
}

/**
 * The README code as a script that prints what its bare expression lines evaluate to
 * (the lines the README annotates with their results), as JSON with BigInts in hex.
 */
function instrumented(code: string, names: RegExp, epilogue = ''): string {
  const lines = code.split('\n').map((line) => {
    const m = /^([\w.]+\(.*\));(\s*\/\/.*)?$/.exec(line);
    return m && names.test(m[1]!) ? `__seen.push([${JSON.stringify(m[1])}, ${m[1]}]);${m[2] ?? ''}` : line;
  });
  return [
    'const __seen = [];',
    ...lines,
    epilogue,
    "console.log(JSON.stringify(__seen, (_, v) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v)));",
  ].join('\n');
}

const VTD_SCRIPT = `
import { Engine } from 'iommu-wasm';
import { VtdUnit, Reg, Gcmd } from 'iommu-wasm/hw/vtd';
const engine = await Engine.create({ physMemBytes: 64 << 20 });
const interrupts = [];
const unit = new VtdUnit(engine, { onInterrupt: (kind) => interrupts.push(kind) });
const ver = unit.mmioRead(Reg.VER, 4);
const cap = unit.mmioRead(Reg.CAP, 8);
unit.mmioWrite(Reg.RTADDR, 8, 0x12_3000n);
unit.mmioWrite(Reg.GCMD, 4, Gcmd.SRTP);
const gsts = unit.mmioRead(Reg.GSTS, 4);
console.log(JSON.stringify({
  ver: Number(ver),
  nd: Number(cap & 7n),
  mgaw: Number((cap >> 16n) & 0x3fn) + 1,
  rtaddr: Number(unit.mmioRead(Reg.RTADDR, 8)),
  rtps: Number((gsts >> 30n) & 1n),
}));
`;

const TYPES_CHECK = (subpaths: string[]): string => [
  ...subpaths.map((s, i) => `import * as m${i} from '${s === '.' ? 'iommu-wasm' : `iommu-wasm/${s.slice(2)}`}';`),
  "import { Engine, type EngineOptions } from 'iommu-wasm';",
  "import { VtdUnit } from 'iommu-wasm/hw/vtd';",
  "const options: EngineOptions = { wasm: new URL('https://example.org/release.wasm') };",
  'export const checks = [options, Engine.create, VtdUnit, ' + subpaths.map((_, i) => `m${i}`).join(', ') + '];',
].join('\n');

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(cwd: string, command: string, args: string[], timeout = 120_000): Run {
  const r: SpawnSyncReturns<string> = spawnSync(command, args, { cwd, encoding: 'utf8', timeout, env: { ...process.env, NO_COLOR: '1', npm_config_update_notifier: 'false' } });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ok(r: Run, what: string): string {
  if (r.status !== 0) throw new Error(`${what} exited ${r.status}:\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

describe.skipIf(!HAVE_NPM)('the packed package, installed without dev dependencies', () => {
  let dir: string;
  let app: string;
  let tarball: string;
  let files: string[];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'iommu-pack-'));
    app = join(dir, 'app');
    mkdirSync(app);
    const packed = JSON.parse(execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8' })) as { filename: string; files: { path: string }[] }[];
    tarball = join(dir, packed[0]!.filename);
    files = packed[0]!.files.map((f) => f.path);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, type: 'module' }));
    ok(run(app, 'npm', ['install', '--omit=dev', '--no-audit', '--no-fund', tarball]), 'npm install <tarball>');
  }, 180_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('ships dist, the two builds, bin and LICENSE, and no sources', () => {
    for (const file of ['package.json', 'LICENSE', 'README.md', 'bin/iommu-wasm.js', 'build/release.wasm', 'build/debug.wasm', 'dist/src/index.js', 'dist/src/index.d.ts', 'bench/native/reference.c']) {
      expect(files, file).toContain(file);
    }
    expect(files.filter((f) => /^(assembly|src|test|scripts)\//.test(f) || f.endsWith('.wat') || (f.startsWith('bench/') && f !== 'bench/native/reference.c'))).toEqual([]);
  });

  it('installs no other package: the library has no dependencies', () => {
    const installed = readdirSync(join(app, 'node_modules')).filter((name) => !name.startsWith('.'));
    expect(installed).toEqual(['iommu-wasm']);
  });

  it("runs README.md's engine example", () => {
    writeFileSync(join(app, 'engine-example.mjs'), instrumented(readmeBlock('## Using the engine'), /^(engine\.translate|batch\.run|engine\.counters)\(/));
    const seen = JSON.parse(ok(run(app, process.execPath, ['engine-example.mjs']), 'engine example')) as [string, unknown][];
    const [translate, batch, counters] = seen;
    expect(translate).toEqual(['engine.translate(s1, 0x7f00_0001_2345n, Access.READ | Access.USER)', { fault: 0, stage: 0, level: 0, addr: '0x100212345' }]);
    expect(batch).toEqual(['batch.run(1000)', 0]);
    // The block ends at the invalidation: one walk (3 stage-1 reads, 5 for their stage-2
    // walks, 1 for the output), as its last comment says.
    expect(counters![1]).toMatchObject({ walks: 1, hits2M: 1000, pteReads: 9 });
  });

  it("runs README.md's System example: IOMMU_IOAS_ALLOC returns 0 and writes an IOAS id", () => {
    const epilogue = "const __back = sys.mem.read(arg, 12); __seen.push(['ioas', __back.ok ? new DataView(__back.value.buffer, __back.value.byteOffset).getUint32(8, true) : __back]);";
    writeFileSync(join(app, 'system-example.mjs'), instrumented(readmeBlock('## iommufd, as a process sees it'), /^sys\.ioctl\(/, epilogue));
    const seen = JSON.parse(ok(run(app, process.execPath, ['system-example.mjs']), 'System example')) as [string, unknown][];
    expect(seen).toEqual([['sys.ioctl(fd, 0x3b81, arg)', 0], ['ioas', 1]]);
  });

  it('drives a VT-d unit through iommu-wasm/hw/vtd over MMIO', () => {
    writeFileSync(join(app, 'vtd.mjs'), VTD_SCRIPT);
    const regs = JSON.parse(ok(run(app, process.execPath, ['vtd.mjs']), 'VT-d unit'));
    expect(regs).toEqual({ ver: 0x60, nd: 3, mgaw: 57, rtaddr: 0x12_3000, rtps: 1 });
  });

  it('gives every subpath types a TypeScript user resolves (moduleResolution nodenext)', () => {
    const subpaths = Object.keys(pkg.exports).filter((s) => !s.endsWith('.json') && !s.endsWith('.wasm'));
    writeFileSync(join(app, 'check.ts'), TYPES_CHECK(subpaths));
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2023', lib: ['es2023', 'dom'], strict: true, noEmit: true, skipLibCheck: false, types: ['node'], typeRoots: [join(ROOT, 'node_modules/@types')] },
      files: ['check.ts'],
    }));
    const tsc = run(app, process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json']);
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  });

  it('prints its version, and without commander names the peers to install in one line', () => {
    expect(ok(run(app, 'npx', ['--no-install', 'iommu-wasm', '--version']), '--version').trim()).toBe(pkg.version);
    const r = run(app, 'npx', ['--no-install', 'iommu-wasm', 'run', '--steps', '10']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe('the iommu-wasm command needs commander and cli-progress, not installed (optional peer dependencies of iommu-wasm): npm i commander cli-progress');
  });

  it('runs the CLI once commander and cli-progress are installed; report names its own missing peers', () => {
    ok(run(app, 'npm', ['install', '--omit=dev', '--no-audit', '--no-fund', `commander@${pkg.peerDependencies.commander}`, `cli-progress@${pkg.peerDependencies['cli-progress']}`], 180_000), 'npm install commander cli-progress');
    expect(existsSync(join(app, 'node_modules/vega'))).toBe(false);
    const result = JSON.parse(ok(run(app, 'npx', ['--no-install', 'iommu-wasm', 'run', '--steps', '1000', '--json']), 'iommu-wasm run')) as { translations: number; faults: number; scenario: string };
    expect(result.scenario).toBe('dma-stream');
    expect(result.translations).toBeGreaterThan(0);
    expect(result.faults).toBe(0);
    expect(ok(run(app, 'npx', ['--no-install', 'iommu-wasm', '--version']), '--version').trim()).toBe(pkg.version);
    const report = run(app, 'npx', ['--no-install', 'iommu-wasm', 'report', '--out', 'report']);
    expect(report.status).toBe(2);
    expect(report.stderr.trim()).toBe('iommu-wasm report needs vega, vega-lite, @resvg/resvg-js and piscina, not installed (optional peer dependencies of iommu-wasm): npm i vega vega-lite @resvg/resvg-js piscina');
    // Comparing two report.json files needs none of the report's chart libraries.
    const point = { sweep: 'iotlb', series: 'sva', scenario: 'sva', x: 64, hitRate: 0.5, missesPerUnit: 1, pteReadsPerTranslation: 1, pteReadsPerWalk: 4, engineTranslationsPerSecond: 1e7, translationsPerSecond: 1e6 };
    writeFileSync(join(app, 'a.json'), JSON.stringify({ command: 'a', points: [point] }));
    writeFileSync(join(app, 'b.json'), JSON.stringify({ command: 'b', points: [{ ...point, hitRate: 0.75 }] }));
    const compared = ok(run(app, 'npx', ['--no-install', 'iommu-wasm', 'report', '--compare', 'a.json', 'b.json', '--format', 'csv']), 'report --compare');
    expect(compared).toMatch(/hitRate,0\.5,0\.75/);
    const bench = run(app, 'npx', ['--no-install', 'iommu-wasm', 'bench']);
    expect(bench.status).toBe(2);
    expect(bench.stderr.trim()).toBe('iommu-wasm bench needs tinybench, not installed (optional peer dependency of iommu-wasm): npm i tinybench');
  }, 240_000);

  it('benchmarks once tinybench is installed (the native reference source ships with it)', () => {
    ok(run(app, 'npm', ['install', '--omit=dev', '--no-audit', '--no-fund', `tinybench@${pkg.peerDependencies.tinybench}`], 180_000), 'npm install tinybench');
    const out = JSON.parse(ok(run(app, 'npx', ['--no-install', 'iommu-wasm', 'bench', '--case', 'hit', '--time', '50', '--rounds', '1', '--json']), 'iommu-wasm bench')) as {
      environment: { tool: string; version: string; node: string };
      cases: { name: string; nsPerOp: number; speedupVsPeer: number }[];
    };
    // The installed copy names itself and its Node (not in a git checkout: no commit).
    expect(out.environment).toMatchObject({ tool: 'iommu-wasm', version: pkg.version, node: process.version });
    const cases = out.cases;
    expect(cases.map((c) => c.name)).toEqual(['hit']);
    expect(cases[0]!.nsPerOp).toBeGreaterThan(0);
    expect(cases[0]!.speedupVsPeer).toBeGreaterThan(1);
  }, 240_000);
});

if (!HAVE_NPM) {
  describe('the packed package', () => {
    it.skip('install test skipped: npm is not on PATH', () => {});
  });
}
