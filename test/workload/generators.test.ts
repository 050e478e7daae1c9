// Every generator is a pure function of its parameters and seed, and its counters
// on the engine tell the story the literature tells.
import { describe, expect, it } from 'vitest';
import { createScenario, SCENARIO_NAMES } from '../../src/workload/scenarios/index.js';
import { emitAll } from '../../src/workload/workload.js';
import { RecordSink } from '../../src/workload/record-sink.js';
import { runWorkload } from '../../src/workload/runner.js';
import { validateRecord } from '../../src/trace/records.js';

const SMALL: Record<string, Record<string, unknown>> = { 'dma-stream': { steps: 20_000 } };
const small = (name: string, extra: Record<string, unknown> = {}) => ({ steps: 1500, ...SMALL[name], ...extra });

function records(name: string, overrides: Record<string, unknown>) {
  const sink = new RecordSink();
  emitAll(createScenario(name, overrides), sink);
  return sink.records;
}

describe('workload generators', () => {
  it.each(SCENARIO_NAMES)('%s: same seed, same operations; another seed, other operations', (name) => {
    const a = records(name, small(name, { seed: 7 }));
    const b = records(name, small(name, { seed: 7 }));
    const c = records(name, small(name, { seed: 8 }));
    expect(a.length).toBeGreaterThan(100);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
    for (const r of a.slice(0, 2000)) validateRecord(r);
  });

  it.each(SCENARIO_NAMES)('%s: runs on the engine without faults and translates every DMA', async (name) => {
    const r = await runWorkload(createScenario(name, small(name)));
    expect(r.faults).toBe(0);
    expect(r.translations).toBeGreaterThan(0);
    expect(r.counters.lookups).toBe(r.translations);
    expect(r.counters.hits + r.counters.misses).toBe(r.counters.lookups);
  });

  it('strict per-packet unmapping misses on (nearly) every packet; a persistent pool does not', async () => {
    const strict = await runWorkload(createScenario('nic-strict', { steps: 4000 }));
    const pool = await runWorkload(createScenario('nic-pool', { steps: 4000, poolBuffers: 256 }));
    expect(strict.missesPerUnit).toBeGreaterThan(0.98);
    expect(strict.invalidations.range).toBe(4000);
    // What is left are cold misses (pool and ring pages) and set conflicts: 209 of 4000 packets here.
    expect(pool.missesPerUnit).toBeLessThan(strict.missesPerUnit / 15);
    expect(pool.records.map + pool.records.unmap).toBeLessThan(20);
  });

  it('the walker count changes walk-cache reuse, never what misses or faults', async () => {
    const runs = await Promise.all([1, 8, 24].map((walkers) => runWorkload(createScenario('sva', { steps: 200, engine: { walkers } }))));
    const readsPerWalk = runs.map((r) => r.counters.pteReads / r.counters.walks);
    // Walks of one group do not see each other's walk-cache fills: more walkers, more reads.
    expect(readsPerWalk[0]).toBeLessThan(readsPerWalk[1]!);
    expect(readsPerWalk[1]).toBeLessThan(readsPerWalk[2]!);
    for (const r of runs) expect(r.faults).toBe(0);
    const misses = runs.map((r) => r.counters.misses);
    expect(Math.max(...misses) - Math.min(...misses)).toBeLessThanOrEqual(misses[0]! / 1000 + 5);
  });

  it('a flush queue issues one domain invalidation per 256 unmaps instead of one per unmap', async () => {
    const fq = await runWorkload(createScenario('nic-flush-queue', { steps: 4000 }));
    expect(fq.invalidations.range).toBe(0);
    expect(fq.invalidations.space).toBe(Math.floor(fq.records.unmap / 256) + (fq.records.unmap % 256 ? 1 : 0));
  });

  it('hugepage-backed pool buffers nearly remove misses when 4 KiB pages overflow the IOTLB', async () => {
    const small4k = await runWorkload(createScenario('nic-pool', { steps: 4000, poolBuffers: 4096 }));
    const huge = await runWorkload(createScenario('nic-pool-2m', { steps: 4000, poolBuffers: 4096 }));
    expect(small4k.missesPerUnit).toBeGreaterThan(0.4);
    // 42 misses in 4000 packets, nearly all cold (descriptor pages are 4 KiB coherent memory).
    expect(huge.missesPerUnit).toBeLessThan(small4k.missesPerUnit / 40);
    expect(huge.hitRateBySize['2M']).toBeGreaterThan(0.3);
  });

  it('all-levels invalidation (AMD PDE) drops walk caches: more page-table reads per walk than leaf-only (VT-d IH)', async () => {
    const leaf = await runWorkload(createScenario('nic-strict', { steps: 2000, unmapInvalidation: 'leaf' }));
    const allLevels = await runWorkload(createScenario('nic-strict', { steps: 2000, unmapInvalidation: 'all-levels' }));
    expect(leaf.pteReadsPerWalk).toBeLessThan(1.1);
    expect(allLevels.pteReadsPerWalk).toBeGreaterThan(3);
  });

  it('nesting 4-level over 4-level reads 24 entries per walk without caches', async () => {
    const flat = await runWorkload(createScenario('sva', { steps: 200, engine: { walkCache: false, nestedTableCache: false } }));
    const nested = await runWorkload(createScenario('vm', { steps: 200, engine: { walkCache: false, nestedTableCache: false } }));
    expect(flat.pteReadsPerWalk).toBe(4);
    expect(nested.pteReadsPerWalk).toBe(24);
    const cached = await runWorkload(createScenario('vm', { steps: 200 }));
    expect(cached.pteReadsPerWalk).toBeLessThan(24);
  });

  it('SVA: 2 MiB pages turn a missing working set into a hitting one', async () => {
    const k4 = await runWorkload(createScenario('sva', { steps: 500 }));
    const m2 = await runWorkload(createScenario('sva-2m', { steps: 500 }));
    expect(k4.hitRate).toBeLessThan(0.05);
    expect(m2.hitRate).toBeGreaterThan(0.95);
  });

  it('storage: per-I/O mapping misses on every page; a persistent sequential buffer hits with 2 MiB pages', async () => {
    const perIo = await runWorkload(createScenario('storage-sequential', { steps: 300 }));
    expect(perIo.missesPerUnit).toBeGreaterThanOrEqual(32);
    const persistent = await runWorkload(createScenario('storage-sequential', { steps: 300, mapping: 'persistent', pageSize: '2M' }));
    // What remains is the 4 KiB PRP-list page each I/O slot reads (one new page per slot).
    expect(persistent.missesPerUnit).toBeLessThan(2);
  });

  it('invalidation storm: the engine counts every invalidation the generator issued', async () => {
    const r = await runWorkload(createScenario('invalidation-storm', { steps: 300 }));
    const inv = r.invalidations;
    expect(inv.range + inv.space + inv.group + inv.all).toBe(r.records.invalidate);
    expect(inv.range).toBeGreaterThan(inv.space);
    expect(inv.entriesDropped).toBeGreaterThan(0);
  });
});
