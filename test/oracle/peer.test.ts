import { describe, expect, it } from 'vitest';
import { PlainIommu } from '../../bench/peer/plain-iommu.js';
import { Access, FaultReason as F, Perm } from '../../src/engine/types.js';
import { BumpAllocator, guestMemory, MapPhysMemory, PageTableBuilder } from '../../src/oracle/index.js';
import { fault, ok, PA_BITS, space } from './helpers.js';

const { READ, WRITE } = Access;
const { R, W, X, U } = Perm;
const ALL = R | W | X | U;

// x86-64 4-level; pages 0x10000, 0x11000, 0x12000 -> 0xa0000.., 2 MiB at 0x200000 -> 0x4000_0000.
function setup(iotlbEntries: number, ad = false) {
  const mem = new MapPhysMemory();
  const builder = new PageTableBuilder(mem, new BumpAllocator(0x1000n));
  const s = space('x86-64', 4, builder.newTable(), ad);
  builder.map(s, 0x10000n, 0xa0000n, 12, ALL);
  builder.map(s, 0x11000n, 0xa1000n, 12, ALL);
  builder.map(s, 0x12000n, 0xa2000n, 12, R | X | U);
  builder.map(s, 0x200000n, 0x4000_0000n, 21, ALL);
  mem.resetCounters();
  return { mem, builder, s, iommu: new PlainIommu({ mem, paBits: PA_BITS, iotlbEntries }) };
}

describe('PlainIommu', () => {
  it('walks on a miss and answers the rest of the page from the IOTLB', () => {
    const { mem, s, iommu } = setup(8);
    expect(iommu.translate(s, 1, 0x10123n, READ)).toEqual(ok(0xa0123n, 0, ALL, 12));
    expect(mem.reads).toBe(4);
    expect(iommu.translate(s, 1, 0x10ff8n, WRITE)).toEqual(ok(0xa0ff8n, 0, ALL, 12));
    expect(mem.reads).toBe(4);
    expect(iommu.stats).toEqual({ lookups: 2, hits: 1, walks: 1, faults: 0 });
  });

  it('holds a 2 MiB translation as one entry', () => {
    const { mem, s, iommu } = setup(8);
    expect(iommu.translate(s, 1, 0x200000n, READ)).toEqual(ok(0x4000_0000n, 1, ALL, 21));
    expect(iommu.translate(s, 1, 0x3ffff8n, READ)).toEqual(ok(0x401f_fff8n, 1, ALL, 21));
    expect(mem.reads).toBe(3);
  });

  it('evicts the oldest insertion when full', () => {
    const { mem, s, iommu } = setup(2);
    iommu.translate(s, 1, 0x10000n, READ);
    iommu.translate(s, 1, 0x11000n, READ);
    iommu.translate(s, 1, 0x12000n, READ); // evicts 0x10000
    expect(mem.reads).toBe(12);
    iommu.translate(s, 1, 0x12000n, READ);
    expect(mem.reads).toBe(12);
    iommu.translate(s, 1, 0x10000n, READ); // walks again, evicts 0x11000
    expect(mem.reads).toBe(16);
    iommu.translate(s, 1, 0x11000n, READ);
    expect(mem.reads).toBe(20);
  });

  it('returns a stale translation until the range is invalidated, and drops only overlapping entries', () => {
    const { builder, s, iommu } = setup(8);
    iommu.translate(s, 1, 0x10000n, READ);
    iommu.translate(s, 1, 0x11000n, READ);
    iommu.translate(s, 1, 0x200000n, READ);
    builder.map(s, 0x10000n, 0xb0000n, 12, ALL);
    builder.map(s, 0x11000n, 0xb1000n, 12, ALL);
    builder.map(s, 0x200000n, 0x8000_0000n, 21, ALL);
    expect(iommu.translate(s, 1, 0x10000n, READ).addr).toBe(0xa0000n);

    iommu.invalidateRange(1, 0x10000n, 0x1000n);
    expect(iommu.translate(s, 1, 0x10000n, READ).addr).toBe(0xb0000n);
    expect(iommu.translate(s, 1, 0x11000n, READ).addr).toBe(0xa1000n);
    // Eight bytes inside a 2 MiB page drop the whole page.
    iommu.invalidateRange(1, 0x300000n, 8n);
    expect(iommu.translate(s, 1, 0x200000n, READ).addr).toBe(0x8000_0000n);
  });

  it('invalidates one space and keeps the others', () => {
    const { mem, s, iommu } = setup(8);
    iommu.translate(s, 1, 0x10000n, READ);
    iommu.translate(s, 2, 0x10000n, READ);
    iommu.invalidateSpace(1);
    mem.resetCounters();
    iommu.translate(s, 2, 0x10000n, READ);
    expect(mem.reads).toBe(0);
    iommu.translate(s, 1, 0x10000n, READ);
    expect(mem.reads).toBe(4);
  });

  it('walks every time when the IOTLB is off, and never caches a fault', () => {
    const off = setup(0);
    off.iommu.translate(off.s, 1, 0x10000n, READ);
    off.iommu.translate(off.s, 1, 0x10000n, READ);
    expect(off.mem.reads).toBe(8);

    const on = setup(8);
    // 0x13000 shares every table with 0x10000; its PTE (index 0x13) is empty at 0x4098.
    expect(on.iommu.translate(on.s, 1, 0x13000n, READ)).toEqual(fault(F.TRANSLATION, 1, 0, 0x4098n));
    expect(on.iommu.translate(on.s, 1, 0x13000n, READ)).toEqual(fault(F.TRANSLATION, 1, 0, 0x4098n));
    expect(on.mem.reads).toBe(8);
  });

  it('walks again for an access the cached entry does not allow, reporting the exact fault', () => {
    const { mem, s, iommu } = setup(8);
    iommu.translate(s, 1, 0x12000n, READ);
    expect(iommu.translate(s, 1, 0x12008n, WRITE)).toEqual(fault(F.PERMISSION, 1, 0, 0x12008n));
    expect(mem.reads).toBe(8);
  });

  it('with ad, makes the first write to a clean page walk and set D, then serves writes from the IOTLB', () => {
    const { mem, s, iommu } = setup(8, true);
    iommu.translate(s, 1, 0x10000n, READ);
    iommu.translate(s, 1, 0x10008n, READ);
    // 4 entry reads, and each A bit is an atomic OR that reads the word again.
    expect(mem.reads).toBe(8);
    expect(mem.read64(0x4080n)).toBe(0xa0027n); // A set, D clear (PTE index 0x10)
    mem.resetCounters();
    expect(iommu.translate(s, 1, 0x10010n, WRITE)).toEqual(ok(0xa0010n, 0, ALL, 12));
    expect(mem.reads).toBe(5); // 4 entries, then the OR that sets D
    expect(mem.read64(0x4080n)).toBe(0xa0067n);
    mem.resetCounters();
    iommu.translate(s, 1, 0x10018n, WRITE);
    expect(mem.reads).toBe(0);
  });

  it('with a parent that has ad, also makes the first write walk while the stage-2 leaf is clean', () => {
    const mem = new MapPhysMemory();
    const host = new PageTableBuilder(mem, new BumpAllocator(0x100000n));
    const parent = space('vtd-ss', 4, host.newTable(), true);
    for (let page = 1n; page <= 8n; page++) host.map(parent, page << 12n, 0x200000n + (page << 12n), 12, R | W | X);
    const guest = new PageTableBuilder(guestMemory(mem, PA_BITS, parent), new BumpAllocator(0x1000n));
    const nested = space('x86-64', 4, guest.newTable(), false, parent);
    guest.map(nested, 0x10000n, 0x7000n, 12, ALL);
    const iommu = new PlainIommu({ mem, paBits: PA_BITS, iotlbEntries: 8 });

    mem.resetCounters();
    expect(iommu.translate(nested, 1, 0x10000n, READ)).toEqual(ok(0x207000n, 0, ALL, 12));
    // 24 entry reads; setting the parent's A bits on the 8 stage-2 entries it reads
    // for the first time re-reads each word (an atomic OR).
    expect(mem.reads).toBe(32);
    mem.resetCounters();
    expect(iommu.translate(nested, 1, 0x10008n, WRITE)).toEqual(ok(0x207008n, 0, ALL, 12));
    expect(mem.reads).toBe(25); // 24 entries, then the OR that sets the stage-2 leaf's D
    mem.resetCounters();
    iommu.translate(nested, 1, 0x10010n, WRITE);
    expect(mem.reads).toBe(0);
  });
});
