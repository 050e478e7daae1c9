// `iommu-wasm bench` output formats, in process (from the TypeScript sources).
import { describe, expect, it } from 'vitest';
import { cli, lines } from '../cli/helpers.js';

const QUICK = ['bench', '--case', 'hit', '--time', '40', '--rounds', '2', '--no-native'];

describe('iommu-wasm bench output', () => {
  it('--format csv: a header and one row per case, with the rounds\' spread', async () => {
    const r = await cli(...QUICK, '--format', 'csv');
    expect(r.status).toBe(0);
    const [header, row, ...rest] = r.stdout.split('\r\n');
    expect(header!.split(',').slice(0, 8)).toEqual(['case', 'unit', 'ns_per_op', 'peer_ns_per_op', 'speedup_vs_peer', 'speedup_min', 'speedup_median', 'speedup_max']);
    expect(row!.split(',')[0]).toBe('hit');
    const cells = row!.split(',');
    const [min, median, max] = [5, 6, 7].map((i) => Number(cells[i]));
    expect(min).toBeLessThanOrEqual(median!);
    expect(median).toBeLessThanOrEqual(max!);
    // 40 ms over 2 rounds is 20 ms a round: too brief.
    expect(cells[header!.split(',').indexOf('too_brief')]).toContain('20 ms per round');
    expect(rest).toEqual(['']);
  });

  it('--json: the environment and the cases, flagged too brief', async () => {
    const r = await cli(...QUICK, '--json');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { environment: { tool: string; command: string }; cases: { name: string; tooBrief: string | null; spread: { speedupVsPeer: { median: number } } }[] };
    expect(out.environment.tool).toBe('iommu-wasm');
    expect(out.cases.map((c) => c.name)).toEqual(['hit']);
    expect(out.cases[0]!.tooBrief).toMatch(/ms per round/);
    expect(out.cases[0]!.spread.speedupVsPeer.median).toBeGreaterThan(0);
  });

  it('text: a spread column and a warning under the table for a brief ratio', async () => {
    const r = await cli(...QUICK);
    expect(r.status).toBe(0);
    expect(lines(r.stdout)[0]).toMatch(/vs peer\s+rounds vs peer\s+spread/);
    expect(r.stdout).toMatch(/\nwarning: hit: too brief: 20 ms per round \(< 25\)/);
  });

  it('refuses --json with --format, and an unknown format, in one line', async () => {
    for (const args of [[...QUICK, '--json', '--format', 'csv'], [...QUICK, '--format', 'xml'], ['bench', '--time', '0']]) {
      const r = await cli(...args);
      expect(r.status).toBe(2);
      expect(lines(r.stderr)).toHaveLength(1);
    }
  });
});
