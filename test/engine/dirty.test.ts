// Engine.readDirty / clearDirty / leafEntry by hand: which bits a leaf of each size
// sets, clearing across the core's 2^16-bit calls, the IOTLB contract after a clear,
// what is skipped instead of followed, and every bad argument's error.
import { describe, expect, it } from 'vitest';
import { Engine, Access, EngineError, FaultReason, Perm, bitRuns } from '../../src/index.js';

const RW = Perm.R | Perm.W;
const K4 = 0x1000n;
const M2 = 0x20_0000n;
const G1 = 0x4000_0000n;
const VTD_D = 1n << 9n;
const X86_D = 1n << 6n;

/** Indices of the set bits of a bitmap. */
function setBits(bitmap: Uint8Array): number[] {
  const out: number[] = [];
  bitmap.forEach((byte, i) => { for (let b = 0; b < 8; b++) if (byte & (1 << b)) out.push(i * 8 + b); });
  return out;
}

function expectError(f: () => unknown, code: string): void {
  let thrown: unknown;
  try { f(); } catch (e) { thrown = e; }
  expect(thrown).toBeInstanceOf(EngineError);
  expect((thrown as EngineError).code).toBe(code);
}

describe.each(['debug', 'release'] as const)('dirty bits (%s build)', (build) => {
  /** A vtd-ss 4-level space with A/D on: a 1 GiB page at 1 GiB, a 2 MiB page at 4 MiB, four 4 KiB pages at 8 MiB. */
  async function world() {
    const e = await Engine.create({ build });
    const s = e.createSpace({ format: 'vtd-ss', levels: 4, ad: true });
    e.map(s, G1, 2n * G1, G1, RW);
    e.map(s, 2n * M2, 4n * M2, M2, RW);
    e.map(s, 4n * M2, 8n * M2, 4n * K4, RW);
    return { e, s };
  }

  it('reports the pages a write dirtied at the leaf\'s size, keeps D without clear and clears it with', async () => {
    const { e, s } = await world();
    e.translate(s, 4n * M2 + 2n * K4 + 8n, Access.WRITE);
    e.translate(s, 2n * M2 + 5n * K4, Access.WRITE);
    e.translate(s, 4n * M2, Access.READ);
    // 4 KiB bits over [0, 16 MiB): the whole 2 MiB page at 4 MiB, and one 4 KiB page at 8 MiB.
    const expected = [...Array.from({ length: 512 }, (_, i) => 1024 + i), 2048 + 2];
    for (let round = 0; round < 2; round++) {
      const r = e.readDirty(s, 0n, 8n * M2, K4);
      expect(setBits(r.bitmap)).toEqual(expected);
      expect(r).toMatchObject({ dirtyLeaves: 2, skipped: 0 });
      expect(r.bitmap.length).toBe(512);
    }
    expect(setBits(e.readDirty(s, 0n, 8n * M2, M2, { clear: true }).bitmap)).toEqual([2, 4]);
    expect(setBits(e.readDirty(s, 0n, 8n * M2, K4).bitmap)).toEqual([]);
    expect(e.leafEntry(s, 2n * M2).value & VTD_D).toBe(0n);
  });

  it('sub-page bits: a 4 KiB leaf sets every 512-byte bit it covers', async () => {
    const { e, s } = await world();
    e.translate(s, 4n * M2 + K4, Access.WRITE);
    expect(setBits(e.readDirty(s, 4n * M2, 2n * K4, 512n).bitmap)).toEqual([8, 9, 10, 11, 12, 13, 14, 15]);
  });

  it('a 1 GiB leaf read as 4 KiB bits spans four core calls; its D is cleared once, by the last', async () => {
    const { e, s } = await world();
    e.translate(s, G1 + 0x1234_5000n, Access.WRITE);
    const before = e.counters();
    const r = e.readDirty(s, G1, G1, K4, { clear: true });
    expect(e.counters()).toEqual(before);
    expect(r.dirtyLeaves).toBe(1);
    expect(r.bitmap.length).toBe(32768);
    expect(r.bitmap.every((byte) => byte === 0xff)).toBe(true);
    expect(e.leafEntry(s, G1).value & VTD_D).toBe(0n);
  });

  it('a leaf overlapping the range is reported for its part in it and cleared whole', async () => {
    const { e, s } = await world();
    e.translate(s, G1, Access.WRITE);
    const r = e.readDirty(s, G1 + G1 / 2n, 4n * K4, K4, { clear: true });
    expect(setBits(r.bitmap)).toEqual([0, 1, 2, 3]);
    expect(e.leafEntry(s, G1 + G1 - K4).value & VTD_D).toBe(0n);
  });

  it('clearing does not invalidate: a cached writable entry serves the next write without D until the range is invalidated', async () => {
    const { e, s } = await world();
    const page = 4n * M2 + K4;
    e.translate(s, page, Access.WRITE); // walks, sets D, fills the IOTLB with W
    e.readDirty(s, page, K4, K4, { clear: true });
    const hit = e.counters().hits;
    e.translate(s, page, Access.WRITE);
    expect(e.counters().hits).toBe(hit + 1);
    expect(setBits(e.readDirty(s, page, K4, K4).bitmap)).toEqual([]);
    // The contract: invalidate after clearing (leaf-only is enough: walk caches hold no D).
    e.invalidateRange(s, page, K4, true);
    e.translate(s, page, Access.WRITE);
    expect(setBits(e.readDirty(s, page, K4, K4).bitmap)).toEqual([0]);
  });

  it('a parent\'s clear and range invalidation make a nested write set the parent\'s D again', async () => {
    const e = await Engine.create({ build });
    const parent = e.createSpace({ format: 'vtd-ss', levels: 4, ad: true });
    e.map(parent, 0n, 0x100_0000n, 0x40_0000n, RW); // guest RAM, 2 MiB pages
    const guest = e.createAllocator(0x10_0000n, 0x20_0000n, parent);
    const nested = e.createSpace({ format: 'x86-64', levels: 4, parent, allocator: guest });
    e.map(nested, 0x7000_0000n, 0x30_0000n, K4, RW);
    e.translate(nested, 0x7000_0000n, Access.WRITE);
    expect(setBits(e.readDirty(parent, 0x20_0000n, M2, M2, { clear: true }).bitmap)).toEqual([0]);
    e.invalidateRange(parent, 0x20_0000n, M2, true);
    e.translate(nested, 0x7000_0000n, Access.WRITE);
    expect(setBits(e.readDirty(parent, 0x20_0000n, M2, M2).bitmap)).toEqual([0]);
  });

  it('x86-64: the upper half, and D at bit 6', async () => {
    const e = await Engine.create({ build });
    const s = e.createSpace({ format: 'x86-64', levels: 4, ad: true });
    const top = 0xffff_ffff_ffe0_0000n;
    e.map(s, top, 0x20_0000n, M2, RW);
    e.translate(s, top + 0x1f_f000n, Access.WRITE);
    expect(e.leafEntry(s, top)).toMatchObject({ fault: 0, level: 1, pageShift: 21 });
    expect(e.leafEntry(s, top).value & X86_D).toBe(X86_D);
    expect(setBits(e.readDirty(s, top, M2, M2 / 2n, { clear: true }).bitmap)).toEqual([0, 1]);
    expect(e.leafEntry(s, top).value & X86_D).toBe(0n);
  });

  it('clearDirty clears every leaf of a range no power-of-two block covers', async () => {
    const { e, s } = await world();
    for (const iova of [G1 + K4, 2n * M2, 4n * M2, 4n * M2 + 3n * K4]) e.translate(s, iova, Access.WRITE);
    const r = e.clearDirty(s, K4, 2n * G1 - K4);
    expect(r).toMatchObject({ dirtyLeaves: 4, skipped: 0 });
    expect(setBits(e.readDirty(s, 0n, 2n * G1, M2).bitmap)).toEqual([]);
  });

  it('leafEntry: the entry, or where and why the lookup stopped; no counter moves', async () => {
    const { e, s } = await world();
    const before = e.counters();
    const leaf = e.leafEntry(s, 4n * M2 + K4 + 0x123n);
    expect(leaf).toMatchObject({ fault: 0, level: 0, pageShift: 12 });
    expect(leaf.value & ~0xfffn).toBe(8n * M2 + K4);
    expect(e.phys.read64(leaf.addr)).toBe(leaf.value);
    const hole = e.leafEntry(s, 4n * M2 + 100n * K4);
    expect(hole).toMatchObject({ fault: FaultReason.TRANSLATION, level: 0, value: 0n, pageShift: 0 });
    expect(e.walk(s, 4n * M2 + 100n * K4, Access.READ).addr).toBe(hole.addr);
    expect(e.leafEntry(s, 1n << 48n)).toMatchObject({ fault: FaultReason.ADDRESS_SIZE, level: 3, addr: 1n << 48n });
    expect(e.counters()).toEqual(before);
    expectError(() => e.leafEntry(999, 0n), 'BAD_SPACE');
  });

  it('skips an unbacked table page and a reserved entry, says where, and reports the rest', async () => {
    const e = await Engine.create({ build, paBits: 40 });
    const root = 0x1000_0000n;
    const table = (pa: bigint) => pa | 0b111n;
    const leaf2M = (pa: bigint) => pa | 0b11n | (1n << 7n) | VTD_D;
    e.phys.write64(root, table(0x2000_0000n)); // index 0: a table page nobody backed
    e.phys.write64(root + 8n, table(1n << 40n)); // index 1: an address bit at paBits
    e.phys.write64(root + 16n, table(0x1000_1000n)); // index 2: a table of 2 MiB leaves
    e.phys.write64(0x1000_1000n, leaf2M(0x40_0000n));
    e.phys.write64(0x1000_1008n, leaf2M(0x60_0000n) | (1n << 13n)); // a low address bit of a 2 MiB page
    const s = e.createSpace({ format: 'vtd-ss', levels: 3, root });
    const r = e.readDirty(s, 0n, 3n * G1, G1, { clear: true });
    expect(setBits(r.bitmap)).toEqual([2]);
    expect(r).toMatchObject({ dirtyLeaves: 1, skipped: 3 });
    expect(r.firstSkip).toEqual({ reason: FaultReason.EXTERNAL, level: 1, addr: 0x2000_0000n, iova: 0n });
    // Skipped entries are left as they were.
    expect(e.phys.read64(0x1000_1008n)! & VTD_D).toBe(VTD_D);
    expect(e.phys.read64(0x1000_1000n)! & VTD_D).toBe(0n);
    expect(e.readDirty(s, G1, G1, G1).firstSkip).toEqual({ reason: FaultReason.RESERVED, level: 2, addr: root + 8n, iova: G1 });
    expect(e.leafEntry(s, 0n)).toMatchObject({ fault: FaultReason.EXTERNAL, level: 1, addr: 0x2000_0000n, value: 0n });
    expect(e.leafEntry(s, G1)).toMatchObject({ fault: FaultReason.RESERVED, level: 2, addr: root + 8n, value: table(1n << 40n) });
    // An unbacked root: the whole range is one skip.
    const bare = e.createSpace({ format: 'x86-64', levels: 4, root: 0x3000_0000n });
    expect(e.readDirty(bare, 0n, 1n << 47n, 1n << 47n)).toMatchObject({ dirtyLeaves: 0, skipped: 1, firstSkip: { reason: FaultReason.EXTERNAL, level: 3 } });
  });

  it('refuses bad arguments with a defined error and touches nothing', async () => {
    const { e, s } = await world();
    e.translate(s, 2n * M2, Access.WRITE);
    const nestedParent = e.createSpace({ format: 'vtd-ss', levels: 3 });
    const nested = e.createSpace({ format: 'x86-64', levels: 4, parent: nestedParent, root: 0x1000n });
    const cases: Array<[string, () => unknown, string]> = [
      ['no space', () => e.readDirty(999, 0n, K4, K4), 'BAD_SPACE'],
      ['a nested space', () => e.readDirty(nested, 0n, K4, K4), 'BAD_SPACE'],
      ['size 0', () => e.readDirty(s, 0n, 0n, K4), 'BAD_RANGE'],
      ['iova not 4 KiB aligned', () => e.readDirty(s, 0x800n, K4, 512n), 'BAD_RANGE'],
      ['size not 4 KiB aligned', () => e.readDirty(s, 0n, K4 + 512n, 512n), 'BAD_RANGE'],
      ['iova not page aligned', () => e.readDirty(s, K4, M2, M2), 'BAD_RANGE'],
      ['size not page aligned', () => e.readDirty(s, 0n, M2 + K4, M2), 'BAD_RANGE'],
      ['page size not a power of two', () => e.readDirty(s, 0n, 3n * K4, 3n * K4), 'BAD_ARGUMENT'],
      ['page size 0', () => e.readDirty(s, 0n, K4, 0n), 'BAD_ARGUMENT'],
      ['beyond the input width', () => e.readDirty(s, (1n << 48n) - K4, 2n * K4, K4), 'BAD_RANGE'],
      ['wrapping', () => e.readDirty(s, (1n << 64n) - K4, 2n * K4, K4), 'BAD_RANGE'],
      ['negative', () => e.readDirty(s, -K4, K4, K4), 'BAD_RANGE'],
      ['too many bits', () => e.readDirty(s, 0n, 1n << 48n, 16n), 'BAD_ARGUMENT'],
      ['clearDirty beyond the width', () => e.clearDirty(s, 0n, 1n << 49n), 'BAD_RANGE'],
    ];
    const before = e.counters();
    for (const [what, call, code] of cases) {
      expect(() => call(), what).toThrow(EngineError);
      expectError(call, code);
    }
    expect(e.counters()).toEqual(before);
    expect(e.leafEntry(s, 2n * M2).value & VTD_D).toBe(VTD_D);
    // x86-64: a range crossing the non-canonical hole.
    const x = e.createSpace({ format: 'x86-64', levels: 4 });
    expectError(() => e.readDirty(x, (1n << 47n) - K4, 2n * K4, K4), 'BAD_RANGE');
    expectError(() => e.readDirty(x, 0xffff_7fff_ffff_f000n, K4, K4), 'BAD_RANGE');
    // The raw ABI: unknown flags, and every code negative.
    expect(e.core.readDirty(s, 0n, K4, K4, 2)).toBe(-5n);
    expect(e.core.readDirty(s, 0n, K4, 3n, 0)).toBe(-4n);
  });
});

describe('spaces()', () => {
  it('lists live spaces in id order, without destroyed ones, with reused ids', async () => {
    const e = await Engine.create({ build: 'debug', maxSpaces: 8 });
    expect(e.spaces()).toEqual([]);
    const ids = [0, 1, 2, 3].map(() => e.createSpace({ format: 'vtd-ss', levels: 3 }));
    expect(e.spaces()).toEqual(ids);
    e.destroySpace(ids[1]);
    e.destroySpace(ids[3]);
    expect(e.spaces()).toEqual([ids[0], ids[2]]);
    const again = e.createSpace({ format: 'x86-64', levels: 4, root: 0x5000n });
    expect(again).toBe(ids[1]);
    expect(e.spaces()).toEqual([ids[0], ids[1], ids[2]]);
    while (e.spaces().length < 8) e.createSpace({ format: 'vtd-ss', levels: 3 });
    expect(e.spaces()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(e.core.nextLiveSpace(8)).toBe(-1);
    expect(e.core.nextLiveSpace(0xffff_ffff)).toBe(-1);
  });
});

describe('bitRuns', () => {
  it('lists the runs of set bits in order, across bytes, to the last bit', () => {
    const runs = (bytes: number[]) => [...bitRuns(new Uint8Array(bytes))].map((r) => [r.first, r.count]);
    expect(runs([])).toEqual([]);
    expect(runs([0, 0])).toEqual([]);
    expect(runs([0xff])).toEqual([[0, 8]]);
    expect(runs([0b1011_0110, 0xff, 0x01, 0, 0x80])).toEqual([[1, 2], [4, 2], [7, 10], [39, 1]]);
    expect(runs([0, 0xf0, 0xff, 0xff])).toEqual([[12, 20]]);
  });
});
