import { describe, expect, it } from 'vitest';
import { compareCounters, compareSpeed, failures } from '../../src/gate/compare.js';
import { bencherMetricFormat, githubActionBenchmark } from '../../src/gate/ci-formats.js';

const base = { nic: { lookups: 1000, misses: 100, hits: 900, pteReads: 120 } };

describe('gate comparison', () => {
  it('passes identical counters', () => {
    const rows = compareCounters(base, structuredClone(base), 0);
    expect(rows.every((r) => r.status === 'ok')).toBe(true);
    expect(failures(rows)).toEqual([]);
  });

  it('fails a counter that moved the bad way, exactly or beyond the tolerance', () => {
    const worse = { nic: { ...base.nic, misses: 101, hits: 899 } };
    const exact = failures(compareCounters(base, worse, 0));
    expect(exact.map((r) => [r.name, r.status])).toEqual([['nic.misses', 'regressed'], ['nic.hits', 'regressed']]);
    expect(failures(compareCounters(base, worse, 0.02))).toEqual([]);
  });

  it('reports improvements without failing, and fails a workload change (lookups) either way', () => {
    const better = compareCounters(base, { nic: { ...base.nic, misses: 50 } }, 0);
    expect(better.find((r) => r.name === 'nic.misses')?.status).toBe('improved');
    expect(failures(better)).toEqual([]);
    const changed = failures(compareCounters(base, { nic: { ...base.nic, lookups: 999 } }, 0));
    expect(changed.map((r) => r.status)).toEqual(['changed']);
  });

  it('fails a missing scenario counter and a speed ratio that dropped past the threshold', () => {
    expect(failures(compareCounters(base, { nic: { lookups: 1000, misses: 100, hits: 900 } }, 0)).map((r) => r.status)).toEqual(['missing']);
    const speed = compareSpeed({ hit: 60, walk4: 30 }, { hit: 25, walk4: 28 }, 0.5);
    expect(speed.map((r) => r.status)).toEqual(['regressed', 'ok']);
  });

  it('writes github-action-benchmark and Bencher BMF shapes', () => {
    const gh = githubActionBenchmark(base, { hit: 23.5 });
    expect(gh).toContainEqual({ name: 'nic IOTLB misses per translation', unit: 'misses/translation', value: 0.1 });
    expect(gh).toContainEqual({ name: 'bench hit', unit: 'ns/op', value: 23.5 });
    const bmf = bencherMetricFormat(base, { hit: 60 }, { hit: 23.5 });
    expect(bmf['scenario/nic']!.misses).toEqual({ value: 100 });
    expect(bmf['bench/hit']).toEqual({ latency: { value: 23.5 }, 'speedup-vs-peer': { value: 60 } });
  });
});

describe('speed ratios measured too briefly', () => {
  it('are reported as too brief with why, never as a failure, however far they moved', () => {
    const rows = compareSpeed({ hit: 60, walk4: 30 }, { hit: 5, walk4: 29 }, 0.5, { hit: '3.3 ms per round (< 25)' });
    expect(rows.map((r) => [r.name, r.status, r.note])).toEqual([['hit', 'too brief', '3.3 ms per round (< 25)'], ['walk4', 'ok', undefined]]);
    expect(rows[0]!.change).toBeCloseTo(5 / 60 - 1);
    expect(failures(rows)).toEqual([]);
  });
});
