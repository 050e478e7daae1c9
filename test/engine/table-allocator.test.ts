// Table allocators keep their free list in engine metadata: a table page freed while
// its guest RAM is unmapped is not lost, and a rewritten table pointer (double free,
// foreign page, another space's table) is refused with a defined error.
import { describe, expect, it } from 'vitest';
import { Engine, Access, Perm, FaultReason } from '../../src/index.js';
import { EngineError } from '../../src/engine/errors.js';

const RW = Perm.R | Perm.W;
const KiB4 = 0x1000n;
/** Guest RAM holding the stage-1 tables, and the guest data page stage-1 leaves point at. */
const TABLE_GPA = 0x10_0000n;
const TABLE_PAGES = 16;
const DATA_GPA = 0x4000_0000n;
const DATA_HPA = 0x2_0000_0000n;
/** IOVA `i` sits under its own top-level entry: mapping it takes three table pages. */
const iova = (i: number) => BigInt(i) << 39n;

function codeOf(call: () => unknown): string | undefined {
  try {
    call();
    return undefined;
  } catch (error) {
    if (error instanceof EngineError) return error.code;
    throw error;
  }
}

interface Guest { engine: Engine; s2: number; allocator: number; frames: bigint[] }

/** A stage 2 with TABLE_PAGES pages of guest RAM for tables, an allocator over them and a data page. */
async function guest(build: 'debug' | 'release'): Promise<Guest> {
  const engine = await Engine.create({ build });
  const s2 = engine.createSpace({ format: 'vtd-ss', levels: 4 });
  const frames: bigint[] = [];
  for (let i = 0; i < TABLE_PAGES; i++) frames.push(engine.phys.allocFrame()!);
  mapTableRam(engine, s2, frames);
  engine.map(s2, DATA_GPA, DATA_HPA, KiB4, RW);
  const allocator = engine.createAllocator(TABLE_GPA, TABLE_GPA + BigInt(TABLE_PAGES) * KiB4, s2);
  return { engine, s2, allocator, frames };
}

function mapTableRam(engine: Engine, s2: number, frames: bigint[], only?: number[]): void {
  for (const i of only ?? frames.map((_, i) => i)) engine.map(s2, TABLE_GPA + BigInt(i) * KiB4, frames[i], KiB4, RW);
}

function unmapTableRam(g: Guest, only?: number[]): void {
  for (const i of only ?? g.frames.map((_, i) => i)) g.engine.unmap(g.s2, TABLE_GPA + BigInt(i) * KiB4, KiB4);
  g.engine.invalidateAll();
}

/** A nested space that takes every page of the allocator (root + 5 x 3), each mapping checked. */
function fillAllocator(g: Guest): number {
  const s1 = g.engine.createSpace({ format: 'x86-64', levels: 4, parent: g.s2, allocator: g.allocator });
  for (let i = 0; i < 5; i++) g.engine.map(s1, iova(i), DATA_GPA, KiB4, RW);
  expect(codeOf(() => g.engine.map(s1, iova(5), DATA_GPA, KiB4, RW))).toBe('NO_MEMORY');
  for (let i = 0; i < 5; i++) expect(g.engine.translate(s1, iova(i) + 0x18n, Access.WRITE).addr).toBe(DATA_HPA + 0x18n);
  expect(g.engine.allocatorStats(g.allocator)).toEqual({ pages: TABLE_PAGES, inUse: TABLE_PAGES, free: 0 });
  return s1;
}

/** The table pages of a nested space (4 KiB mappings only), as GPAs, read through stage 2. */
function tableGpas(g: Guest, s1: number): Set<bigint> {
  const seen = new Set<bigint>();
  const visit = (gpa: bigint, level: number) => {
    seen.add(gpa);
    if (level === 0) return;
    const host = g.engine.resolve(g.s2, gpa)!;
    for (let i = 0n; i < 512n; i++) {
      const pte = g.engine.phys.read64(host + i * 8n)!;
      if (pte & 1n) visit(pte & 0xf_ffff_ffff_f000n, level - 1);
    }
  };
  visit(g.engine.root(s1), 3);
  return seen;
}

describe.each(['debug', 'release'] as const)('table allocator (%s build)', (build) => {
  it('gets back stage-1 table pages freed while stage 2 did not map their guest RAM', async () => {
    const g = await guest(build);
    const s1 = fillAllocator(g);
    const first = tableGpas(g, s1);
    expect(first.size).toBe(TABLE_PAGES);
    // The guest's RAM for tables goes away, then the space holding them: its pages
    // cannot be read or written, but they go back on the free list all the same.
    unmapTableRam(g);
    g.engine.destroySpace(s1);
    expect(g.engine.allocatorStats(g.allocator)).toEqual({ pages: TABLE_PAGES, inUse: 0, free: TABLE_PAGES });
    // Nothing reachable to hand out while the RAM is gone.
    expect(codeOf(() => g.engine.createSpace({ format: 'x86-64', levels: 4, parent: g.s2, allocator: g.allocator }))).toBe('NO_MEMORY');
    expect(g.engine.allocatorStats(g.allocator).free).toBe(TABLE_PAGES);
    // Mapped again, every page is handed out once more, each exactly once.
    mapTableRam(g.engine, g.s2, g.frames);
    const again = fillAllocator(g);
    expect(tableGpas(g, again)).toEqual(first);
    // The counters agree: what is allocated and not freed is what the allocators hold (stage 2's own included).
    const c = g.engine.counters();
    expect(c.tablesAllocated - c.tablesFreed).toBe(TABLE_PAGES + g.engine.allocatorStats(g.engine.hostAllocator).inUse);
  });

  it('skips free pages whose guest RAM is unmapped and hands them out once it is mapped again', async () => {
    const g = await guest(build);
    const s1 = fillAllocator(g);
    g.engine.destroySpace(s1);
    // The most recently freed pages are tried first: take away half the RAM.
    const gone = [0, 2, 4, 6, 8, 10, 12, 14];
    unmapTableRam(g, gone);
    const s = g.engine.createSpace({ format: 'x86-64', levels: 4, parent: g.s2, allocator: g.allocator });
    for (let i = 0; i < 2; i++) g.engine.map(s, iova(i), DATA_GPA, KiB4, RW);
    // The refused map keeps the (empty) top-level table it got before running dry.
    expect(codeOf(() => g.engine.map(s, iova(2), DATA_GPA, KiB4, RW))).toBe('NO_MEMORY');
    const held = tableGpas(g, s);
    expect(held.size).toBe(8);
    for (const gpa of held) expect(gone).not.toContain(Number((gpa - TABLE_GPA) / KiB4));
    expect(g.engine.allocatorStats(g.allocator)).toEqual({ pages: TABLE_PAGES, inUse: 8, free: 8 });
    mapTableRam(g.engine, g.s2, g.frames, gone);
    g.engine.invalidateAll();
    for (let i = 2; i < 5; i++) g.engine.map(s, iova(i), DATA_GPA, KiB4, RW);
    expect(g.engine.allocatorStats(g.allocator)).toEqual({ pages: TABLE_PAGES, inUse: TABLE_PAGES, free: 0 });
    expect(tableGpas(g, s).size).toBe(TABLE_PAGES);
  });

  it('passes over a never-used page whose guest RAM is unmapped and hands it out once it is mapped again', async () => {
    const g = await guest(build);
    unmapTableRam(g, [1]);
    const s = g.engine.createSpace({ format: 'x86-64', levels: 4, parent: g.s2, allocator: g.allocator });
    g.engine.map(s, iova(0), DATA_GPA, KiB4, RW);
    expect(g.engine.allocatorStats(g.allocator)).toEqual({ pages: TABLE_PAGES, inUse: 4, free: 1 });
    expect(tableGpas(g, s)).not.toContain(TABLE_GPA + KiB4);
    mapTableRam(g.engine, g.s2, g.frames, [1]);
    g.engine.map(s, iova(1), DATA_GPA, KiB4, RW);
    expect(tableGpas(g, s)).toContain(TABLE_GPA + KiB4);
    expect(g.engine.allocatorStats(g.allocator)).toEqual({ pages: TABLE_PAGES, inUse: 7, free: 0 });
  });

  it('refuses a double free: the freed table is neither freed again nor written', async () => {
    const e = await Engine.create({ build });
    const s = e.createSpace({ format: 'x86-64', levels: 4 });
    e.map(s, iova(0), DATA_HPA, KiB4, RW);
    e.map(s, iova(1), DATA_HPA, KiB4, RW);
    const root = e.root(s);
    // Somebody rewrites the root: entry 1 now names entry 0's table too.
    e.phys.write64(root + 8n, e.phys.read64(root)!);
    expect(e.unmap(s, iova(0), KiB4)).toBe(KiB4); // frees entry 0's three tables
    const before = e.allocatorStats(e.hostAllocator);
    expect(() => e.unmap(s, iova(1), KiB4)).toThrow(/double free or foreign page/);
    expect(codeOf(() => e.unmap(s, iova(1), KiB4))).toBe('BAD_TABLE');
    expect(codeOf(() => e.map(s, iova(1) + 0x20_0000n, DATA_HPA, KiB4, RW))).toBe('BAD_TABLE');
    expect(e.allocatorStats(e.hostAllocator)).toEqual(before);
    // The freed pages go to the next tables, each once.
    const t = e.createSpace({ format: 'x86-64', levels: 4 });
    e.map(t, iova(0), DATA_HPA + KiB4, KiB4, RW);
    expect(e.allocatorStats(e.hostAllocator).free).toBe(0);
    expect(e.translate(t, iova(0), Access.READ).addr).toBe(DATA_HPA + KiB4);
  });

  it('refuses a foreign page or another space\'s table and leaves both untouched', async () => {
    const e = await Engine.create({ build });
    const s = e.createSpace({ format: 'x86-64', levels: 4 });
    const t = e.createSpace({ format: 'x86-64', levels: 4 });
    e.map(s, iova(0), DATA_HPA, KiB4, RW);
    e.map(t, iova(0), DATA_HPA, KiB4, RW);
    const foreign = e.phys.allocFrame()!;
    const marker = DATA_HPA | 0x3n; // a present entry in the foreign page
    e.phys.write64(foreign, marker);
    // Entry 1 of s names a page no allocator handed out; entry 2 names t's L3 table.
    e.phys.write64(e.root(s) + 8n, foreign | 0x7n);
    e.phys.write64(e.root(s) + 16n, e.phys.read64(e.root(t))!);
    const before = e.allocatorStats(e.hostAllocator);
    for (const i of [1, 2]) {
      expect(codeOf(() => e.map(s, iova(i), DATA_HPA, KiB4, RW))).toBe('BAD_TABLE');
      expect(codeOf(() => e.unmap(s, iova(i), 1n << 39n))).toBe('BAD_TABLE');
    }
    expect(e.phys.read64(foreign)).toBe(marker);
    expect(e.translate(t, iova(0), Access.WRITE).addr).toBe(DATA_HPA);
    expect(e.allocatorStats(e.hostAllocator)).toEqual(before);
    // The rest of a range is unmapped; only what hangs below a refused pointer stays.
    expect(codeOf(() => e.unmap(s, 0n, 3n << 39n))).toBe('BAD_TABLE');
    e.invalidateSpace(s);
    expect(e.translate(s, iova(0), Access.READ).fault).toBe(FaultReason.TRANSLATION);
    // Destroying s frees exactly its own tables (the root and entry 0's three).
    e.destroySpace(s);
    expect(e.allocatorStats(e.hostAllocator)).toEqual({ ...before, inUse: before.inUse - 4, free: before.free + 4 });
    expect(e.translate(t, iova(0), Access.READ).addr).toBe(DATA_HPA);
  });

  it('reports running out of table-page records, with nothing half done', async () => {
    // Records for the host allocator's first chunk (1024 pages) only.
    // Data frames below 2 GiB, so a second host allocator fits between them and the tables.
    const e = await Engine.create({ build, tablePageRecords: 1024, dataRegion: { base: 0x10_0000n, limit: 0x8000_0000n } });
    const s = e.createSpace({ format: 'x86-64', levels: 4 });
    const other = e.createAllocator(0x8000_0000n, 0x8010_0000n); // records are taken when pages are
    expect(() => e.createSpace({ format: 'x86-64', levels: 4, allocator: other })).toThrow(/tablePageRecords/);
    expect(codeOf(() => e.createSpace({ format: 'x86-64', levels: 4, allocator: other }))).toBe('NO_METADATA');
    // Each 1 GiB region under the first top-level entry takes two tables (L2, L1).
    let mapped = 0;
    for (; mapped < 1024; mapped++) {
      const code = codeOf(() => e.map(s, BigInt(mapped) << 30n, DATA_HPA, KiB4, RW));
      if (code !== undefined) { expect(code).toBe('NO_METADATA'); break; }
    }
    // Root + L3 + two per region = 1024 records: 511 regions fit.
    expect(mapped).toBe(511);
    expect(e.allocatorStats(e.hostAllocator)).toEqual({ pages: expect.any(Number), inUse: 1024, free: 0 });
    expect(e.translate(s, BigInt(mapped) << 30n, Access.READ).fault).toBe(FaultReason.TRANSLATION);
    expect(e.tableRecordsLeft()).toBe(0);
    // Freeing needs no records: unmapping gives pages back and they are reused.
    e.unmap(s, 0n, 1n << 30n);
    e.map(s, BigInt(mapped) << 30n, DATA_HPA, KiB4, RW);
    expect(e.allocatorStats(e.hostAllocator).inUse).toBe(1024);
  });
});
