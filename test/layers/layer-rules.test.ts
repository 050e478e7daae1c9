// The layer rules of .dependency-cruiser.cjs hold for the tree, and each one really
// fires: a scratch tree with one offending import per rule must fail on exactly it.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');
const DEPCRUISE = join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
}

function cruise(cwd: string, paths: string[]): Violation[] {
  let out: string;
  try {
    out = execFileSync(process.execPath, [DEPCRUISE, ...paths, '--config', CONFIG, '--output-type', 'json'], { cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
  } catch (err) {
    // depcruise exits non-zero when it finds errors; the JSON is still on stdout.
    out = (err as { stdout: string }).stdout;
  }
  return (JSON.parse(out) as { summary: { violations: Violation[] } }).summary.violations;
}

describe('layer rules', () => {
  it('hold for src/ and bench/', () => {
    expect(cruise(ROOT, ['src', 'bench'])).toEqual([]);
  });

  const scratch = mkdtempSync(join(tmpdir(), 'layers-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  const files: Record<string, string> = {
    'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', allowJs: true } }),
    'src/engine/types.ts': 'export const A = 1;\n',
    'src/engine/engine.ts': "import { X } from '../uapi/system.js';\nexport const E = X;\n",
    'src/iommu/driver.ts': "import { X } from '../uapi/system.js';\nexport const D = X;\n",
    'src/uapi/system.ts': "import { M } from '../drivers/mock/driver.js';\nexport const X = M;\n",
    'src/drivers/mock/driver.ts': "import { H } from '../../hw/vtd/unit.js';\nexport const M = H;\n",
    'src/drivers/vtd/device.ts': "import { M } from '../mock/driver.js';\nimport { X } from '../../uapi/system.js';\nexport const V = [M, X];\n",
    'src/hw/vtd/unit.ts': "import { D } from '../../iommu/driver.js';\nimport { S } from '../smmu/unit.js';\nexport const H = [D, S];\n",
    'src/hw/smmu/unit.ts': 'export const S = 1;\n',
    'src/hw/common/regs.ts': "import { S } from '../smmu/unit.js';\nexport const R = S;\n",
    'src/oracle/walk.ts': "import { E } from '../engine/engine.js';\nexport const W = E;\n",
    'src/trace/io.ts': "import { readFileSync } from 'node:fs';\nexport const T = readFileSync;\n",
    'src/trace/node.ts': "import { readFileSync } from 'node:fs';\nexport const T = readFileSync;\n",
    'src/trace/index.ts': "import { T } from './node.js';\nexport const I = T;\n",
    'src/gate/run.ts': "import { C } from '../cli/main.js';\nexport const G = C;\n",
    'src/cli/main.ts': "import { T } from '../trace/node.js';\nexport const C = T;\n",
    'src/selftest/cmd.ts': "import { V } from '../drivers/vtd/device.js';\nexport const C = V;\n",
    'src/host/system.ts': "import { W } from '../workload/run.js';\nexport const Y = W;\n",
    'src/workload/run.ts': "import { Y } from '../host/system.js';\nimport { B } from '../../bench/suite.js';\nexport const W = [Y, B];\n",
    'bench/suite.ts': 'export const B = 1;\n',
    'src/uapi/uses-node.ts': "import { readFileSync } from 'node:fs';\nexport const N = readFileSync;\n",
    'src/uapi/lazy-node.ts': "export const L = () => import('node:fs');\n",
    'src/uapi/uses-npm.ts': "import { Command } from 'commander';\nexport const P = Command;\n",
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(scratch, path)), { recursive: true });
    writeFileSync(join(scratch, path), text);
  }
  mkdirSync(join(scratch, 'node_modules/commander'), { recursive: true });
  writeFileSync(join(scratch, 'node_modules/commander/package.json'), JSON.stringify({ name: 'commander', main: 'index.js' }));
  writeFileSync(join(scratch, 'node_modules/commander/index.js'), 'exports.Command = 1;\n');
  writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'scratch', type: 'module', dependencies: { commander: '*' } }));

  it('each fire on an offending import', () => {
    const found = cruise(scratch, ['src', 'bench']).map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`);
    const expected = [
      'engine-is-the-bottom: src/engine/engine.ts -> src/uapi/system.ts',
      'iommu-contract-imports-engine: src/iommu/driver.ts -> src/uapi/system.ts',
      'uapi-knows-drivers-through-contract: src/uapi/system.ts -> src/drivers/mock/driver.ts',
      'drivers-are-independent: src/drivers/vtd/device.ts -> src/drivers/mock/driver.ts',
      'drivers-below-uapi: src/drivers/vtd/device.ts -> src/uapi/system.ts',
      'hw-imports-engine-and-common: src/hw/vtd/unit.ts -> src/iommu/driver.ts',
      'hw-models-are-independent: src/hw/vtd/unit.ts -> src/hw/smmu/unit.ts',
      'hw-models-are-independent: src/hw/common/regs.ts -> src/hw/smmu/unit.ts',
      'oracle-shares-only-vocabulary: src/oracle/walk.ts -> src/engine/engine.ts',
      'selftest-over-uapi-and-mock: src/selftest/cmd.ts -> src/drivers/vtd/device.ts',
      'host-assembles-below: src/host/system.ts -> src/workload/run.ts',
      'only-the-tools-run-benchmarks: src/workload/run.ts -> bench/suite.ts',
      'library-loads-no-node-module: src/uapi/uses-node.ts -> fs',
      'library-loads-no-package: src/uapi/uses-npm.ts -> node_modules/commander/index.js',
      'no-cycles-between-folders: src/host/system.ts -> src/workload/run.ts',
      'trace-and-workload-run-in-a-browser: src/trace/io.ts -> fs',
      'browser-entries-stay-off-node-files: src/trace/index.ts -> src/trace/node.ts',
      'cli-is-the-top: src/gate/run.ts -> src/cli/main.ts',
    ];
    for (const e of expected) expect(found).toContain(e);
    // A lazy import() on a Node-only path, a Node entry's own node: use, and the CLI reaching a Node entry are allowed.
    expect(found.filter((f) => f.includes('lazy-node') || f.includes(': src/trace/node.ts -> fs') || f.startsWith('browser-entries-stay-off-node-files: src/cli'))).toEqual([]);
  });
});
