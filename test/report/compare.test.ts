// `iommu-wasm report --compare A B` on two crafted report.json files: counters that
// changed are real, throughput only beyond the two runs' ranges; bad files are a
// one-line usage error (exit 2).
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, lines } from '../cli/helpers.js';
import { compareReports } from '../../src/report/compare.js';
import type { SweepPoint } from '../../src/report/sweeps.js';

const dir = mkdtempSync(join(tmpdir(), 'iommu-compare-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const base = { hitRate: 0.5, missesPerUnit: 2, pteReadsPerTranslation: 1, pteReadsPerWalk: 4, translationsPerSecond: 1e6 };
const iotlb = (hitRate: number): SweepPoint => ({ ...base, sweep: 'iotlb', series: 'sva', scenario: 'sva', x: 64, hitRate, engineTranslationsPerSecond: 1e7 });
const nesting = (reads: number): SweepPoint => ({ ...base, sweep: 'nesting', series: 'nested 4x4, no caches', scenario: 'vm', x: 'nested 4x4, no caches', pteReadsPerWalk: reads, engineTranslationsPerSecond: 1e7 });
const tp = (series: string, min: number, median: number, max: number): SweepPoint => ({
  ...base, sweep: 'throughput', series, scenario: series, x: series, engineTranslationsPerSecond: median * 1e6, repeats: 3,
  engineTranslationsPerSecondSpread: { min: min * 1e6, median: median * 1e6, max: max * 1e6 },
});
const env = (commit: string) => ({ tool: 'iommu-wasm', version: '0.1.0', commit, node: 'v20.1.0', platform: 'linux', arch: 'x64', cpu: 'Test CPU', cores: 2, date: '2025-01-01T00:00:00.000Z', command: 'iommu-wasm report' });

const A = [iotlb(0.5), nesting(24), tp('sva', 9, 10, 11), tp('vm', 9, 10, 11)];
const B = [iotlb(0.5), nesting(20), tp('sva', 10.5, 11, 12), tp('vm', 12, 13, 14), tp('nic-pool', 1, 1, 1)];
const fileA = join(dir, 'a.json');
const fileB = join(dir, 'b.json');
writeFileSync(fileA, JSON.stringify({ environment: env('a'.repeat(40)), command: 'iommu-wasm report', points: A }));
writeFileSync(fileB, JSON.stringify({ environment: env('b'.repeat(40)), command: 'iommu-wasm report', points: B }));

describe('compareReports', () => {
  it('calls any counter change real and a throughput change real only when the ranges do not overlap', () => {
    const rows = compareReports(A, B);
    const find = (series: string, metric: string) => rows.find((r) => r.series === series && r.metric === metric)!;
    expect(find('sva', 'hitRate')).toMatchObject({ sweep: 'iotlb', a: 0.5, b: 0.5, change: 0, verdict: 'same' });
    expect(find('nested 4x4, no caches', 'pteReadsPerWalk')).toMatchObject({ a: 24, b: 20, verdict: 'changed' });
    expect(find('nested 4x4, no caches', 'pteReadsPerWalk').change).toBeCloseTo(-1 / 6);
    // sva: 11 M/s is 10% up but [9, 11] and [10.5, 12] overlap.
    expect(rows.find((r) => r.sweep === 'throughput' && r.series === 'sva' && r.metric === 'engineTranslationsPerSecond')).toMatchObject({ verdict: 'within noise' });
    expect(rows.find((r) => r.series === 'vm' && r.metric === 'engineTranslationsPerSecond')).toMatchObject({ verdict: 'faster' });
    expect(rows.filter((r) => r.series === 'nic-pool').map((r) => r.verdict)).toEqual(['only in B', 'only in B']);
    expect(compareReports(B, A).find((r) => r.series === 'vm' && r.metric === 'engineTranslationsPerSecond')?.verdict).toBe('slower');
  });
});

describe('iommu-wasm report --compare', () => {
  it('prints both environments, their differences and every point side by side; exit 0', async () => {
    const r = await cli('report', '--compare', fileA, fileB);
    expect(r.status).toBe(0);
    const out = lines(r.stdout);
    expect(out[0]).toMatch(/^A: iommu-wasm 0\.1\.0 \(aaaaaaaaaaaa\), Node v20\.1\.0, linux\/x64, Test CPU x2/);
    expect(out[2]).toBe(`differs: commit ${'a'.repeat(40)} -> ${'b'.repeat(40)}`);
    expect(r.stdout).toMatch(/nesting\s+nested 4x4, no caches\s+nested 4x4, no caches\s+pteReadsPerWalk\s+24\.0000\s+20\.0000\s+-16\.7%\s+changed/);
    expect(r.stdout).toMatch(/throughput\s+vm\s+vm\s+engineTranslationsPerSecond\s+10\.00 M\/s\s+13\.00 M\/s\s+\+30\.0%\s+faster/);
    expect(r.stdout).toMatch(/throughput\s+sva\s+sva\s+engineTranslationsPerSecond\s+10\.00 M\/s\s+11\.00 M\/s\s+\+10\.0%\s+within noise/);
    expect(out.at(-1)).toBe('12 values: 1 counters changed, 1 faster, 0 slower, 1 within noise, 2 in one report only');
  });

  it('--format csv and json', async () => {
    const csv = await cli('report', '--compare', fileA, fileB, '--format', 'csv');
    expect(csv.stdout.split('\r\n')[0]).toBe('sweep,series,x,metric,a,b,change,verdict');
    expect(csv.stdout).toContain('\r\nthroughput,vm,vm,engineTranslationsPerSecond,10000000,13000000,0.30000000000000004,faster\r\n');
    const json = JSON.parse((await cli('report', '--compare', fileA, fileB, '--format', 'json')).stdout) as { environmentDifferences: string[]; rows: unknown[] };
    expect(json.environmentDifferences).toHaveLength(1);
    expect(json.rows).toHaveLength(12);
  });

  it('refuses a missing, non-JSON or foreign file and a wrong count in one line, exit 2', async () => {
    const notJson = join(dir, 'bad.json');
    const foreign = join(dir, 'foreign.json');
    writeFileSync(notJson, '{ nope');
    writeFileSync(foreign, JSON.stringify({ version: 1, counters: {} }));
    const cases: [string[], RegExp][] = [
      [[join(dir, 'missing.json'), fileB], /missing\.json: no such file; give the report\.json/],
      [[fileA, notJson], /bad\.json: not JSON/],
      [[foreign, fileB], /foreign\.json: not an iommu-wasm report\.json/],
      [[fileA], /--compare takes two report\.json files \(A, then B\), got 1/],
    ];
    for (const [files, message] of cases) {
      const r = await cli('report', '--compare', ...files);
      expect(r.status).toBe(2);
      expect(lines(r.stderr)).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    }
  });
});

describe('iommu-wasm report options', () => {
  it('refuses a bad value of each sweep option in one line naming the option, exit 2', async () => {
    const cases: [string[], RegExp][] = [
      [['--workloads', 'sva,nope'], /--workloads: unknown "nope"; known: dma-stream/],
      [['--iotlb-entries', '16,48'], /--iotlb-entries: "48" is not a power of two/],
      [['--iotlb-entries', '2', '--ways', '4'], /--iotlb-entries 2: each must be --ways \(4\) times a power of two/],
      [['--ways', '0'], /--ways must be a whole number from 1 to 64/],
      [['--page-sizes', '1G'], /--page-sizes: unknown "1G"; known: 4K, 2M/],
      [['--sweeps', 'iotlb,'], /--sweeps is a comma-separated list with no empty items/],
      [['--unmap-invalidation', 'some'], /--unmap-invalidation: unknown "some"; known: leaf, all-levels/],
      [['--repeats', '0'], /--repeats must be a whole number from 1 to 100/],
      [['--format', 'csv'], /--format applies to --compare/],
    ];
    for (const [args, message] of cases) {
      const r = await cli('report', '--out', join(dir, 'never'), ...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(lines(r.stderr), args.join(' ')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    }
  });
});
