// Regression (issue 17, defect 6): `run sva --nested` and `run sva-2m --nested` always
// failed: the default guest RAM was written `2 << 30`, which is -2147483648 in 32-bit
// integer arithmetic, so mapping the guest's RAM in stage 2 was refused.
import { describe, expect, it } from 'vitest';
import { createScenario } from '../../src/workload/scenarios/index.js';
import { runWorkload } from '../../src/workload/runner.js';
import { SVA_DEFAULTS } from '../../src/workload/generators/sva.js';

const STEPS = 300;

describe('sva scenarios nested in a guest', () => {
  it('default guest RAM is 2 GiB, not a 32-bit overflow', () => {
    expect(SVA_DEFAULTS.guestRamBytes).toBe(2 * 2 ** 30);
  });

  it.each(['sva', 'sva-2m'])('%s --nested runs a few hundred steps with sane counters', async (name) => {
    const flat = await runWorkload(createScenario(name, { steps: STEPS }));
    const r = await runWorkload(createScenario(name, { steps: STEPS, nested: true }));
    expect(r.faults).toBe(0);
    // The same jobs are generated nested or not: same DMAs, one more map (guest RAM).
    expect(r.translations).toBe(flat.translations);
    expect(r.translations).toBeGreaterThan(STEPS);
    expect(r.records.map).toBe(flat.records.map + 1);
    expect(r.counters.lookups).toBe(r.translations);
    expect(r.counters.hits + r.counters.misses).toBe(r.counters.lookups);
    expect(r.counters.walks).toBe(r.counters.misses);
    // Nested walks go through stage 2: stage-2 walks happen and cost more table reads.
    expect(r.counters.stage2Walks).toBeGreaterThan(0);
    expect(r.counters.nestedTableHits + r.counters.nestedTableMisses).toBeGreaterThan(0);
    expect(r.pteReadsPerWalk).toBeGreaterThan(flat.pteReadsPerWalk);
    expect(flat.counters.stage2Walks).toBe(0);
  });

  it('sva-2m --nested over a 2 MiB stage 2 hits 2 MiB IOTLB entries', async () => {
    const r = await runWorkload(createScenario('sva-2m', { steps: STEPS, nested: true, stage2PageSize: '2M' }));
    expect(r.faults).toBe(0);
    expect(r.hitRateBySize['2M']).toBeGreaterThan(0.9);
  });

  it.each(['sva', 'sva-2m'])('%s --nested is deterministic in its seed', async (name) => {
    const a = await runWorkload(createScenario(name, { steps: 200, nested: true, seed: 5 }));
    const b = await runWorkload(createScenario(name, { steps: 200, nested: true, seed: 5 }));
    expect(b.counters).toEqual(a.counters);
  });
});
