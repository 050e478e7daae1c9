import { describe, expect, it } from 'vitest';
import { Access, Perm } from '../../src/engine/types.js';
import { BumpAllocator, guestMemory, MapPhysMemory, oracleTranslate, PageTableBuilder } from '../../src/oracle/index.js';
import { ok, PA_BITS, space } from './helpers.js';

const { R, W, X, U } = Perm;
const IOVA = 0x80_8060_4000n; // x86-64 indices 1, 2, 3, 4

describe('MapPhysMemory', () => {
  it('reads undefined until a frame is backed, then zeros around what was written', () => {
    const mem = new MapPhysMemory();
    expect(mem.read64(0x5008n)).toBeUndefined();
    mem.write64(0x5008n, 0x1234n);
    expect(mem.read64(0x5008n)).toBe(0x1234n);
    expect(mem.read64(0x5000n)).toBe(0n);
    expect(mem.read64(0x5ff8n)).toBe(0n);
    expect(mem.read64(0x6000n)).toBeUndefined();
    expect(mem.isBacked(0x5abcn & ~7n)).toBe(true);
    expect([mem.reads, mem.writes]).toEqual([5, 1]);
  });

  it('stores 64-bit values and refuses unaligned or out-of-range addresses', () => {
    const mem = new MapPhysMemory();
    mem.write64(0xffff_ffff_ffff_f000n, -1n);
    expect(mem.read64(0xffff_ffff_ffff_f000n)).toBe(0xffff_ffff_ffff_ffffn);
    expect(() => mem.read64(0x1004n)).toThrow(RangeError);
    expect(() => mem.write64(1n << 64n, 0n)).toThrow(RangeError);
  });
});

describe('BumpAllocator', () => {
  it('hands out consecutive 4 KiB frames from a rounded-up start until the end', () => {
    const alloc = new BumpAllocator(0x1001n, 0x4000n);
    expect([alloc.next(), alloc.next()]).toEqual([0x2000n, 0x3000n]);
    expect(() => alloc.next()).toThrow(RangeError);
  });
});

describe('PageTableBuilder', () => {
  function setup() {
    const mem = new MapPhysMemory();
    const builder = new PageTableBuilder(mem, new BumpAllocator(0x1000n));
    return { mem, builder, root: builder.newTable() };
  }

  it('writes x86-64 table entries granting everything and a leaf carrying the permissions', () => {
    const { mem, builder, root } = setup();
    expect(root).toBe(0x1000n);
    const s = space('x86-64', 4, root);
    builder.map(s, IOVA, 0xabcde000n, 12, R | W);
    expect([mem.read64(0x1008n), mem.read64(0x2010n), mem.read64(0x3018n)]).toEqual([0x2007n, 0x3007n, 0x4007n]);
    // P | R/W, U/S clear, XD set.
    expect(mem.read64(0x4020n)).toBe(0x8000_0000_abcd_e003n);
    // The next page reuses all tables: P | U/S, XD clear.
    builder.map(s, IOVA + 0x1000n, 0xabcdf000n, 12, R | X | U);
    expect(mem.read64(0x4028n)).toBe(0xabcd_f005n);
    expect(mem.read64(0x5000n)).toBeUndefined();
    expect(oracleTranslate(mem, PA_BITS, s, IOVA + 0x1234n, Access.READ | Access.USER)).toEqual(ok(0xabcd_f234n, 0, R | X | U, 12));
  });

  it('writes x86-64 2 MiB and 1 GiB leaves with PS', () => {
    const { mem, builder, root } = setup();
    const s = space('x86-64', 4, root);
    builder.map(s, 0x80_8040_0000n, 0x4060_0000n, 21, R | W | X | U); // PD index 2
    builder.map(s, 0x80_4000_0000n, 0xc000_0000n, 30, R | W | X | U); // PDPT index 1
    expect(mem.read64(0x3010n)).toBe(0x4060_0087n);
    expect(mem.read64(0x2008n)).toBe(0xc000_0087n);
    expect(oracleTranslate(mem, PA_BITS, s, 0x80_7fff_fff8n, Access.WRITE)).toEqual(ok(0xffff_fff8n, 2, 15, 30));
  });

  it('writes vtd-ss entries (R 0, W 1, X 2, PS 7)', () => {
    const { mem, builder, root } = setup();
    const s = space('vtd-ss', 3, root);
    builder.map(s, 0x4060_4000n, 0xabcde000n, 12, R | X);
    builder.map(s, 0x4080_0000n, 0x4060_0000n, 21, W);
    expect([mem.read64(0x1008n), mem.read64(0x2018n), mem.read64(0x3020n)]).toEqual([0x2007n, 0x3007n, 0xabcd_e005n]);
    expect(mem.read64(0x2020n)).toBe(0x4060_0082n);
  });

  it('refuses misaligned addresses, unmappable sizes and descending through a large page', () => {
    const { builder, root } = setup();
    const s = space('x86-64', 4, root);
    expect(() => builder.map(s, IOVA + 8n, 0x1000n, 12, R)).toThrow(RangeError);
    expect(() => builder.map(s, IOVA, 0x1800n, 12, R)).toThrow(RangeError);
    expect(() => builder.map(s, IOVA, 0x1000n, 13, R)).toThrow(RangeError);
    expect(() => builder.map(s, IOVA, 0x1000n, 39, R)).toThrow(RangeError);
    expect(() => builder.map(s, IOVA, 0x1000n, 12, W)).toThrow();
    builder.map(s, 0x80_8040_0000n, 0x4060_0000n, 21, R);
    expect(() => builder.map(s, 0x80_8040_0000n, 0x1000n, 12, R)).toThrow();
  });

  it('builds stage-1 tables at GPAs through guestMemory without touching the parent A/D bits', () => {
    const mem = new MapPhysMemory();
    const host = new PageTableBuilder(mem, new BumpAllocator(0x100000n));
    const parent = space('vtd-ss', 4, host.newTable(), true);
    // GPA 0x1000..0x8000 -> HPA 0x201000..0x208000.
    for (let page = 1n; page <= 8n; page++) host.map(parent, page << 12n, 0x200000n + (page << 12n), 12, R | W | X);

    const guest = new PageTableBuilder(guestMemory(mem, PA_BITS, parent), new BumpAllocator(0x1000n));
    const nested = space('x86-64', 4, guest.newTable(), false, parent);
    guest.map(nested, IOVA, 0x7000n, 12, R | W | X | U);
    expect([mem.read64(0x201008n), mem.read64(0x202010n), mem.read64(0x203018n), mem.read64(0x204020n)]).toEqual([0x2007n, 0x3007n, 0x4007n, 0x7007n]);
    // Parent L0 table is the builder's fourth frame: 0x103000; GPA page 1 is its entry 1.
    expect(mem.read64(0x103008n)).toBe(0x201007n);
    expect(oracleTranslate(mem, PA_BITS, nested, IOVA + 0x567n, Access.READ)).toEqual(ok(0x207567n, 0, 15, 12));
  });
});
