// The sweep plan from the report's options: which points run, their series names,
// and the combinations left out with why.
import { describe, expect, it } from 'vitest';
import { IOTLB_ENTRIES, IOTLB_WORKLOADS, mergeRepeats, sweepPlan, sweepTasks, type SweepPoint } from '../../src/report/sweeps.js';

describe('sweepTasks', () => {
  it('defaults: every workload at every size, the nesting set, and 3 runs per throughput point', () => {
    const tasks = sweepTasks(100);
    expect(tasks.filter((t) => t.sweep === 'iotlb')).toHaveLength(IOTLB_WORKLOADS.length * IOTLB_ENTRIES.length);
    expect(tasks.filter((t) => t.sweep === 'nesting')).toHaveLength(7);
    expect(tasks.filter((t) => t.sweep === 'throughput')).toHaveLength((IOTLB_WORKLOADS.length + 2) * 3);
    expect(tasks.find((t) => t.sweep === 'iotlb' && t.x === 64)?.overrides).toEqual({ steps: 1000, engine: { iotlb: { sets: 16, ways: 4 } } });
  });

  it('takes workloads, sizes, ways, sweeps and repeats', () => {
    const tasks = sweepTasks({ steps: 10, workloads: ['sva', 'nic-pool'], iotlbEntries: [16, 64], ways: 8, sweeps: ['iotlb', 'throughput'], repeats: 2 });
    expect(tasks.map((t) => [t.sweep, t.series, t.x])).toEqual([
      ['iotlb', 'sva', 16], ['iotlb', 'sva', 64], ['iotlb', 'nic-pool', 16], ['iotlb', 'nic-pool', 64],
      ['throughput', 'sva', 'sva'], ['throughput', 'sva', 'sva'], ['throughput', 'nic-pool', 'nic-pool'], ['throughput', 'nic-pool', 'nic-pool'],
    ]);
    expect(tasks[1]!.overrides).toEqual({ steps: 10, engine: { iotlb: { sets: 8, ways: 8 } } });
    expect(tasks[2]!.overrides.steps).toBe(100);
    expect(tasks.filter((t) => t.sweep === 'throughput').map((t) => t.repeat)).toEqual([0, 1, 0, 1]);
  });

  it('runs a series per page size where the workload uses it and says why it skipped the rest', () => {
    const plan = sweepPlan({ steps: 10, workloads: ['sva', 'nic-strict'], iotlbEntries: [64], pageSizes: ['4K', '2M'], sweeps: ['iotlb'] });
    expect(plan.tasks.map((t) => [t.series, t.overrides.pageSize])).toEqual([['sva 4K', '4K'], ['sva 2M', '2M'], ['nic-strict 4K', '4K']]);
    expect(plan.skipped).toEqual([expect.stringMatching(/^nic-strict at page size 2M: pageSize 2M has no effect on nic-strict/)]);
  });

  it('runs a series per unmap style only for workloads that invalidate each unmap', () => {
    const tasks = sweepTasks({ steps: 10, workloads: ['nic-strict', 'storage-random', 'nic-flush-queue', 'sva'], iotlbEntries: [64], unmapInvalidation: ['leaf', 'all-levels'], sweeps: ['iotlb'] });
    expect(tasks.map((t) => [t.series, t.overrides.unmapInvalidation])).toEqual([
      ['nic-strict leaf', 'leaf'], ['nic-strict all-levels', 'all-levels'],
      ['storage-random leaf', 'leaf'], ['storage-random all-levels', 'all-levels'],
      ['nic-flush-queue', undefined], ['sva', undefined],
    ]);
  });

  it('refuses sizes that are not ways times a power of two, unknown workloads and bad counts', () => {
    expect(() => sweepTasks({ steps: 10, iotlbEntries: [2], ways: 4 })).toThrow(/entries 2 with 4 ways/);
    expect(() => sweepTasks({ steps: 10, iotlbEntries: [48] })).toThrow(RangeError);
    expect(() => sweepTasks({ steps: 10, workloads: ['nope'] })).toThrow(/unknown workload "nope"/);
    expect(() => sweepTasks({ steps: 10, repeats: 0 })).toThrow(/repeats/);
  });
});

describe('mergeRepeats', () => {
  const point = (series: string, tps: number): SweepPoint => ({ sweep: 'throughput', series, scenario: series, x: series, hitRate: 0.5, missesPerUnit: 1, pteReadsPerTranslation: 2, pteReadsPerWalk: 4, engineTranslationsPerSecond: tps, translationsPerSecond: tps / 2 });

  it('keeps one throughput point per series with min/median/max over its repeats', () => {
    const iotlb: SweepPoint = { ...point('sva', 1), sweep: 'iotlb', x: 64 };
    const merged = mergeRepeats([point('sva', 30), iotlb, point('vm', 5), point('sva', 10), point('sva', 20)]);
    expect(merged.map((p) => [p.sweep, p.series])).toEqual([['throughput', 'sva'], ['iotlb', 'sva'], ['throughput', 'vm']]);
    expect(merged[0]).toMatchObject({ engineTranslationsPerSecond: 20, repeats: 3, engineTranslationsPerSecondSpread: { min: 10, median: 20, max: 30 }, translationsPerSecondSpread: { min: 5, median: 10, max: 15 }, hitRate: 0.5 });
    expect(merged[1]).toBe(iotlb);
    expect(merged[2]!.repeats).toBe(1);
  });
});
