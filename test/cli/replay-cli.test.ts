// `iommu-wasm replay` as a user meets it: what-if options and sweeps, exit codes for
// traces that did not replay whole, and usage errors as one line with exit 2.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, lines } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'iommu-replay-cli-'));
const trace = join(dir, 'nic.iotrace');
const ftrace = join(dir, 'linux.txt');
const h16 = (v: number) => v.toString(16).padStart(16, '0');
const mapLine = (iova: number, pa: number, size: number) =>
  `  fio-2231    [003] ..... 1.000001: map: IOMMU: iova=0x${h16(iova)} - 0x${h16(iova + size)} paddr=0x${h16(pa)} size=${size}`;

beforeAll(async () => {
  expect((await cli('run', 'nic-pool', '--steps', '300', '--record', trace)).status).toBe(0);
  writeFileSync(ftrace, ['# tracer: nop', mapLine(0x100000, 0x200000, 4096), 'CPU:1 [LOST 3 EVENTS]', mapLine(0x100000, 0x200000, 4096)].join('\n'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('iommu-wasm replay', () => {
  it('--sweep prints one row per machine, every combination', async () => {
    const r = await cli('replay', trace, '--sweep', 'iotlb=16x4,256x4', '--sweep', 'page-size=4K,2M');
    expect(r.status).toBe(0);
    const rows = r.stdout.split('\n').filter((l) => /^iotlb=/.test(l));
    expect(rows.map((l) => l.split(/\s{2,}/)[0])).toEqual(['iotlb=16x4 page-size=4K', 'iotlb=16x4 page-size=2M', 'iotlb=256x4 page-size=4K', 'iotlb=256x4 page-size=2M']);
    const json = JSON.parse((await cli('replay', trace, '--sweep', 'iotlb=16x4,256x4', '--json')).stdout) as {
      environment: { tool: string; node: string }; trace: string; points: { point: string; hitRate: number }[];
    };
    expect(json.environment).toMatchObject({ tool: 'iommu-wasm', node: process.version });
    expect(json.trace).toBe(trace);
    expect(json.points.map((p) => p.point)).toEqual(['iotlb=16x4', 'iotlb=256x4']);
    expect(json.points[1]!.hitRate).toBeGreaterThan(json.points[0]!.hitRate);
    // CSV: a row per machine, the full-precision numbers of the JSON.
    const csv = (await cli('replay', trace, '--sweep', 'iotlb=16x4,256x4', '--format', 'csv')).stdout.trimEnd().split('\r\n');
    expect(csv).toHaveLength(3);
    const header = csv[0]!.split(',');
    expect(header.slice(0, 3)).toEqual(['machine', 'scenario', 'unit']);
    const hitRate = header.indexOf('hitRate');
    expect(csv.slice(1).map((row) => Number(row.split(',')[hitRate]))).toEqual(json.points.map((p) => p.hitRate));
  });

  it('a what-if option changes the machine and says so in the title', async () => {
    const r = await cli('replay', trace, '--iotlb', '256x4', '--nested', '--stage2-page-size', '2M');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/IOTLB 1024 entries; what-if iotlb=256x4, nested=true, stage2PageSize=2M/);
  });

  it('records that failed, lost events and unreadable lines exit 1 with one line; --lenient exits 0', async () => {
    const r = await cli('replay', ftrace);
    expect(r.status).toBe(1);
    expect(lines(r.stderr)).toEqual(['replay: 1 records failed; the kernel lost 3 events (--lenient accepts this, --strict stops at the first)']);
    expect(r.stdout).toMatch(/failed records 1: map EXISTS 1/);
    expect(r.stdout).toMatch(/lost-events markers 1 \(3 events lost\)/);
    expect((await cli('replay', ftrace, '--lenient')).status).toBe(0);
    const strict = await cli('replay', ftrace, '--strict');
    expect(strict.thrown).toMatch(/dropped 3 events.*line 3/);
  });

  it.each([
    [['--sweep', 'bogus=1'], /KEY one of iotlb/],
    [['--sweep', 'iotlb=16x4,16x4'], /given twice/],
    [['--sweep', 'iotlb=16x4,'], /empty/],
    [['--sweep', 'iotlb=3x4'], /power of two/],
    [['--sweep', 'walkers=1,2,3,4,5,6,7,8', '--sweep', 'iotlb=1x1,2x1,4x1,8x1,16x1,32x1,64x1,128x1,256x1'], /72 points; at most 64/],
    [['--via', 'iommufd', '--iotlb', '64x4'], /--iotlb changes the engine's machine/],
    [['--via', 'gpu'], /Allowed choices are engine, iommufd/],
    [['--strict', '--lenient'], /contradict/],
    [['--stage2-page-size', '2M'], /only with --nested/],
    [['--max-map-bytes', '8192'], /applies to --via iommufd/],
    [['--page-size', '1G'], /Allowed choices are 4K, 2M/],
    [['--json', '--format', 'csv'], /cannot be used with option '--format/],
  ])('%j is a usage error: one line, exit 2', async (args, message) => {
    const r = await cli('replay', trace, ...args);
    expect(r.status).toBe(2);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });

  it('an empty file is refused, not replayed as nothing', async () => {
    const empty = join(dir, 'empty.txt');
    writeFileSync(empty, '');
    const r = await cli('replay', empty);
    expect(r.thrown).toMatch(/not a trace: the file is empty/);
  });
});

describe('iommu-wasm run --record', () => {
  it('writes NDJSON for a .ndjson name or --record-form ndjson, and replay reads it back', async () => {
    const nd = join(dir, 'run.ndjson');
    expect((await cli('run', 'sva', '--steps', '50', '--record', nd)).status).toBe(0);
    const first = JSON.parse(readFileSync(nd, 'utf8').split('\n')[0]!) as { format: string };
    expect(first.format).toBe('iommu-wasm-trace');
    const other = join(dir, 'run.trace');
    expect((await cli('run', 'sva', '--steps', '50', '--record', other, '--record-form', 'ndjson')).status).toBe(0);
    expect(readFileSync(other, 'utf8')).toBe(readFileSync(nd, 'utf8'));
    const replay = await cli('replay', other, '--json');
    expect(replay.status).toBe(0);
    expect((JSON.parse(replay.stdout) as { replay: { form: string } }).replay.form).toBe('ndjson');
    const csv = (await cli('run', 'sva', '--steps', '50', '--format', 'csv')).stdout.split('\r\n');
    expect(csv[0]).toBe('metric,value');
    expect(csv).toContain('counters.walks,' + String((JSON.parse((await cli('run', 'sva', '--steps', '50', '--json')).stdout) as { counters: { walks: number } }).counters.walks));
    const usage = await cli('run', 'sva', '--record-form', 'ndjson');
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/--record-form needs --record FILE/);
  });
});
