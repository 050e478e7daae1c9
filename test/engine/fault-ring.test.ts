// The fault ring when faults come faster than they are drained: the oldest records
// are kept, the newest dropped, and the loss is visible (assembly/faults.ts).
import { describe, expect, it } from 'vitest';
import { Engine, Access, FaultReason, Perm } from '../../src/index.js';

const RING = 4;

async function faulting(build: 'debug' | 'release') {
  const e = await Engine.create({ build, faultRingEntries: RING });
  const s = e.createSpace({ format: 'x86-64', levels: 4 }); // nothing mapped: every access faults
  const fault = (page: number) => expect(e.translate(s, BigInt(page) << 12n, Access.READ).fault).toBe(FaultReason.TRANSLATION);
  const drained = () => e.drainFaults().map((f) => ({ page: Number(f.iova >> 12n), sequence: f.sequence }));
  return { e, s, fault, drained };
}

describe.each(['debug', 'release'] as const)('fault ring overflow (%s build)', (build) => {
  it('keeps the oldest records, drops the newest, and shows the loss three ways', async () => {
    const { e, fault, drained } = await faulting(build);
    for (let page = 0; page < 10; page++) fault(page);
    expect(e.counters()).toMatchObject({ faults: 10, faultTranslation: 10, faultRingOverflows: 6 });
    expect(e.faultsLost()).toBe(6);
    expect(drained()).toEqual([0, 1, 2, 3].map((page) => ({ page, sequence: page })));
    expect(e.drainFaults()).toEqual([]);
    // Drained, the ring takes records again; the first one's sequence jumps over the six lost.
    fault(10);
    fault(11);
    expect(drained()).toEqual([{ page: 10, sequence: 10 }, { page: 11, sequence: 11 }]);
    // The counter is a perf counter and resets; the loss count does not.
    e.resetCounters();
    expect(e.counters().faultRingOverflows).toBe(0);
    expect(e.faultsLost()).toBe(6);
  });

  it('loses nothing while drained in time, across the wrap of the ring', async () => {
    const { e, fault, drained } = await faulting(build);
    for (const round of [0, 1, 2]) {
      const first = round * 3;
      for (let page = first; page < first + 3; page++) fault(page);
      expect(drained()).toEqual([0, 1, 2].map((i) => ({ page: first + i, sequence: first + i })));
    }
    // Exactly full is not an overflow; one more is.
    for (let page = 9; page < 9 + RING; page++) fault(page);
    expect(e.faultsLost()).toBe(0);
    fault(13);
    expect(e.faultsLost()).toBe(1);
    expect(drained().map((r) => r.page)).toEqual([9, 10, 11, 12]);
    fault(14);
    expect(drained()).toEqual([{ page: 14, sequence: 14 }]);
    expect(e.counters().faultRingOverflows).toBe(1);
  });

  it('drops records, never results: a batch with more faults than the ring reports every status', async () => {
    const { e, s, drained } = await faulting(build);
    e.map(s, 0x100_0000n, 0x10_0000n, 0x1000n, Perm.R | Perm.W);
    const b = e.batch;
    const pages = [0, 1, 2, 0x1000, 3, 4, 5, 6];
    pages.forEach((page, i) => b.set(i, s, page * 4096, Access.READ));
    expect(b.run(pages.length)).toBe(7);
    pages.forEach((page, i) => expect(b.status[i] === 0).toBe(page === 0x1000));
    expect(drained()).toEqual([0, 1, 2, 3].map((page, i) => ({ page, sequence: i })));
    expect(e.faultsLost()).toBe(3);
  });

  it('counts stale-hit records (reason 6) in the same ring and the same loss', async () => {
    const e = await Engine.create({ build, faultRingEntries: RING });
    const s = e.createSpace({ format: 'x86-64', levels: 4, staleCheck: true });
    e.map(s, 0, 0x10_0000n, 0x1000n, Perm.R);
    e.translate(s, 0, Access.READ);
    e.unmap(s, 0, 0x1000n); // no invalidation: every hit is now stale
    for (let i = 0; i < RING + 2; i++) e.translate(s, 8 * i, Access.READ);
    expect(e.drainFaults().map((f) => [f.reason, f.sequence])).toEqual([[6, 0], [6, 1], [6, 2], [6, 3]]);
    expect(e.faultsLost()).toBe(2);
    expect(e.counters()).toMatchObject({ staleHits: RING + 2, faultRingOverflows: 2 });
  });
});
