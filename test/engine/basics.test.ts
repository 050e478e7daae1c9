import { describe, expect, it } from 'vitest';
import { Engine, Access, FaultReason, Perm } from '../../src/index.js';

const RW = Perm.R | Perm.W;

describe.each(['debug', 'release'] as const)('engine basics (%s build)', (build) => {
  it('maps a 4 KiB page and translates reads and writes within it', async () => {
    const e = await Engine.create({ build });
    const s = e.createSpace({ format: 'x86-64', levels: 4 });
    e.map(s, 0x1000_0000n, 0x2_0000_0000n, 0x1000n, RW);
    expect(e.translate(s, 0x1000_0123n, Access.READ)).toEqual({ fault: 0, stage: 0, level: 0, addr: 0x2_0000_0123n });
    expect(e.translate(s, 0x1000_0ff8n, Access.WRITE).addr).toBe(0x2_0000_0ff8n);
    const c = e.counters();
    expect(c.lookups).toBe(2);
    expect(c.walks).toBe(1);
    expect(c.hits).toBe(1);
    expect(c.pteReads).toBe(4);
  });

  it('reports a not-present fault with the address of the empty entry', async () => {
    const e = await Engine.create({ build });
    const s = e.createSpace({ format: 'x86-64', levels: 4 });
    const r = e.translate(s, 0x5000n, Access.READ);
    expect(r.fault).toBe(FaultReason.TRANSLATION);
    expect(r.stage).toBe(1);
    expect(r.level).toBe(3);
    const root = e.root(s);
    expect(r.addr).toBe(root);
    const faults = e.drainFaults();
    expect(faults).toHaveLength(1);
    expect(faults[0]).toMatchObject({ iova: 0x5000n, reason: 1, stage: 1, level: 3, space: s });
  });

  it('uses the largest page the alignment allows and caches it as one entry', async () => {
    const e = await Engine.create({ build });
    const s = e.createSpace({ format: 'vtd-ss', levels: 4 });
    e.map(s, 0x4000_0000n, 0x8000_0000n, 0x4000_0000n, RW); // 1 GiB
    e.map(s, 0x20_0000n, 0x60_0000n, 0x20_0000n, RW); // 2 MiB
    expect(e.walk(s, 0x4123_4567n, Access.READ)).toMatchObject({ fault: 0, addr: 0x8123_4567n, pageShift: 30, level: 2 });
    expect(e.walk(s, 0x21_0000n, Access.WRITE)).toMatchObject({ fault: 0, addr: 0x61_0000n, pageShift: 21, level: 1 });
    for (let i = 0n; i < 100n; i++) e.translate(s, 0x4000_0000n + i * 0x80_0000n, Access.READ);
    expect(e.counters().walks).toBe(1);
    expect(e.counters().hits1G).toBe(99);
  });

  it('denies writes to read-only pages with a permission fault at the leaf', async () => {
    const e = await Engine.create({ build });
    const s = e.createSpace({ format: 'x86-64', levels: 4 });
    e.map(s, 0x1000n, 0x10_0000n, 0x1000n, Perm.R);
    expect(e.translate(s, 0x1000n, Access.READ).fault).toBe(0);
    expect(e.translate(s, 0x1000n, Access.WRITE)).toEqual({ fault: FaultReason.PERMISSION, stage: 1, level: 0, addr: 0x1000n });
  });

  it('keeps a stale translation until the right invalidation, as hardware does', async () => {
    const e = await Engine.create({ build });
    const s = e.createSpace({ format: 'x86-64', levels: 4, staleCheck: true });
    e.map(s, 0x1000n, 0x10_0000n, 0x1000n, RW);
    expect(e.translate(s, 0x1000n, Access.READ).addr).toBe(0x10_0000n);
    e.unmap(s, 0x1000n, 0x1000n);
    e.map(s, 0x1000n, 0x20_0000n, 0x1000n, RW);
    expect(e.translate(s, 0x1000n, Access.READ).addr).toBe(0x10_0000n);
    expect(e.counters().staleHits).toBe(1);
    expect(e.drainFaults().map((f) => f.reason)).toEqual([6]);
    e.invalidateRange(s, 0x1000n, 0x1000n, true);
    expect(e.translate(s, 0x1000n, Access.READ).addr).toBe(0x20_0000n);
    expect(e.counters().staleHits).toBe(1);
  });

  it('setOptions changes only the options it names', async () => {
    const engine = await Engine.create({ build, physMemBytes: 16 << 20 });
    const space = engine.createSpace({ format: 'x86-64', levels: 4 });
    engine.setOptions(space, { staleCheck: true });
    engine.setOptions(space, { ad: true });
    expect(engine.options(space)).toEqual({ ad: true, staleCheck: true });
    engine.setOptions(space, { staleCheck: false });
    expect(engine.options(space)).toEqual({ ad: true, staleCheck: false });
    expect(() => engine.setOptions(999, { ad: true })).toThrow(/no space 999/);
  });

  it('splits a large page on a partial unmap and frees tables that become empty', async () => {
    const e = await Engine.create({ build });
    const s = e.createSpace({ format: 'x86-64', levels: 4 });
    e.map(s, 0x20_0000n, 0x40_0000n, 0x20_0000n, RW);
    expect(e.unmap(s, 0x20_1000n, 0x1000n)).toBe(0x1000n);
    expect(e.walk(s, 0x20_0000n, Access.READ)).toMatchObject({ addr: 0x40_0000n, pageShift: 12 });
    expect(e.walk(s, 0x20_1000n, Access.READ).fault).toBe(FaultReason.TRANSLATION);
    expect(e.walk(s, 0x3f_f000n, Access.READ)).toMatchObject({ addr: 0x5f_f000n, pageShift: 12 });
    expect(e.counters().pagesSplit).toBe(1);
    expect(e.unmap(s, 0x20_0000n, 0x20_0000n)).toBe(0x1f_f000n);
    const c = e.counters();
    expect(c.tablesFreed).toBe(c.tablesAllocated - 1); // only the root stays
  });
});

describe('memory budget', () => {
  it('keeps an IOTLB entry at 32 bytes and the default engine (without physical memory) under 16 MiB', async () => {
    const e = await Engine.create();
    expect(e.iotlbEntries()).toBe(16384);
    // The IOTLB region is sets * ways * 32 bytes, laid out inside the metadata.
    expect(e.metadataBytes()).toBeLessThan(16 * 1024 * 1024);
    const small = await Engine.create({ iotlb: { sets: 16, ways: 4 } });
    const large = await Engine.create({ iotlb: { sets: 16 + 1024, ways: 4 } }).catch(() => undefined);
    expect(large).toBeUndefined(); // sets must be a power of two
    const bigger = await Engine.create({ iotlb: { sets: 1024, ways: 4 } });
    // Growing the IOTLB by 4032 entries grows the metadata by 32 bytes each, plus one
    // round-robin byte per set; regions after the caches start on 4 KiB boundaries.
    const grown = bigger.metadataBytes() - small.metadataBytes();
    expect(grown).toBeLessThanOrEqual((1024 - 16) * 4 * 32 + (1024 - 16) + 4096);
    expect(grown).toBeGreaterThan((1024 - 16) * 4 * 32 - 4096);
  });
});

describe('batched misses', () => {
  it('walks a page once when several requests of one batch miss on it, as one-at-a-time translation would', async () => {
    const e = await Engine.create({ walkCache: false });
    const s = e.createSpace({ format: 'x86-64', levels: 4 });
    e.map(s, 0x10000n, 0x10_0000n, 0x10000n, RW);
    const b = e.batch;
    for (let i = 0; i < 64; i++) b.set(i, s, 0x10000 + i * 256, i % 3 === 0 ? Access.WRITE : Access.READ);
    expect(b.run(64)).toBe(0);
    for (let i = 0; i < 64; i++) expect(b.outAt(i)).toBe(0x10_0000 + i * 256);
    expect(e.counters()).toMatchObject({ lookups: 64, hits: 60, misses: 4, walks: 4, pteReads: 16 });
  });

  it('keeps fault records in request order when a page that faults is requested twice in a batch', async () => {
    const e = await Engine.create();
    const s = e.createSpace({ format: 'x86-64', levels: 4 });
    e.map(s, 0x1000n, 0x10_0000n, 0x1000n, RW);
    const b = e.batch;
    const iovas = [0x9000, 0x1000, 0x9008, 0x1008];
    iovas.forEach((iova, i) => b.set(i, s, iova, Access.READ));
    expect(b.run(4)).toBe(2);
    expect(e.drainFaults().map((f) => Number(f.iova))).toEqual([0x9000, 0x9008]);
    expect(e.counters()).toMatchObject({ misses: 3, hits: 1 });
  });
});

describe('inspection', () => {
  it('resolves an address without caches, A/D writes or counters', async () => {
    const e = await Engine.create({ maxGroups: 16 });
    expect(e.maxGroups).toBe(16);
    const s = e.createSpace({ format: 'vtd-ss', levels: 4, ad: true });
    e.map(s, 0x20_0000n, 0x40_0000n, 0x20_0000n, RW);
    expect(e.resolve(s, 0x21_2345n)).toBe(0x41_2345n);
    expect(e.resolve(s, 0x1000n)).toBeUndefined();
    expect(e.counters().pteReads).toBe(0);
    expect(e.walk(s, 0x21_0000n, Access.READ)).toMatchObject({ fault: 0, pageShift: 21 });
  });
});
