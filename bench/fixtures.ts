// Identical page tables for the Wasm engine and the plain-TypeScript peer: the same
// random pages mapped the same way, so both sides translate the same requests.
import { Engine, Perm, type EngineOptions, type FormatName, type SpaceDescriptor } from '../src/engine/index.js';
import { MapPhysMemory, PageTableBuilder, BumpAllocator, guestMemory } from '../src/oracle/index.js';
import { PlainIommu } from './peer/plain-iommu.js';
import { Rng, distinctPages } from '../src/workload/rng.js';

export const PA_BITS = 40;
const RW = Perm.R | Perm.W;

export interface Side {
  engine: Engine;
  space: number;
  peer: PlainIommu;
  peerSpace: SpaceDescriptor;
  /** The page numbers (4 KiB) mapped, in the order they were generated. */
  pages: number[];
}

export interface FlatFixtureOptions {
  pages: number;
  /** IOVAs are below 2^iovaBits. */
  iovaBits: number;
  seed: number;
  engine: EngineOptions;
  peerIotlbEntries: number;
  /** The space's format and levels; default x86-64, 4 levels. */
  shape?: { format: FormatName; levels: number };
}

/** A 4-level space (x86-64 unless `shape` says) with `pages` random distinct 4 KiB pages mapped to random frames. */
export async function flatFixture(o: FlatFixtureOptions): Promise<Side> {
  const rng = new Rng(o.seed);
  const engine = await Engine.create({ paBits: PA_BITS, ...o.engine });
  const shape = o.shape ?? { format: 'x86-64', levels: 4 };
  const space = engine.createSpace(shape);
  const mem = new MapPhysMemory();
  const builder = new PageTableBuilder(mem, new BumpAllocator(1n << 39n));
  const peerSpace: SpaceDescriptor = { ...shape, root: builder.newTable(), ad: false };
  const pages = distinctPages(rng, o.pages, o.iovaBits - 12);
  for (const page of pages) {
    const iova = BigInt(page) << 12n;
    const pa = BigInt(rng.bits(PA_BITS - 13)) << 12n;
    engine.map(space, iova, pa, 0x1000n, RW);
    builder.map(peerSpace, iova, pa, 12, RW);
  }
  const peer = new PlainIommu({ mem, paBits: PA_BITS, iotlbEntries: o.peerIotlbEntries });
  return { engine, space, peer, peerSpace, pages };
}

export interface NestedFixtureOptions {
  guestPages: number;
  iovaBits: number;
  guestRamBytes: number;
  seed: number;
  engine: EngineOptions;
}

/**
 * Nested x86-64 stage 1 over a 4-level VT-d second stage. Guest RAM is mapped 4 KiB
 * page by page onto scattered host frames, the stage-1 tables live in the upper half
 * of guest RAM and the guest pages point into the lower half: every stage-1 table
 * read goes through a second-stage walk.
 */
export async function nestedFixture(o: NestedFixtureOptions): Promise<Side> {
  const rng = new Rng(o.seed);
  const engine = await Engine.create({ paBits: PA_BITS, ...o.engine });
  const mem = new MapPhysMemory();
  const ramPages = o.guestRamBytes / 4096;
  const hostFrames = distinctPages(rng, ramPages, PA_BITS - 1 - 12);
  const parent = engine.createSpace({ format: 'vtd-ss', levels: 4 });
  const hostBuilder = new PageTableBuilder(mem, new BumpAllocator(1n << 39n));
  const peerParent: SpaceDescriptor = { format: 'vtd-ss', levels: 4, root: hostBuilder.newTable(), ad: false };
  for (let gfn = 0; gfn < ramPages; gfn++) {
    const gpa = BigInt(gfn) << 12n;
    const hpa = BigInt(hostFrames[gfn]!) << 12n;
    engine.map(parent, gpa, hpa, 0x1000n, RW);
    hostBuilder.map(peerParent, gpa, hpa, 12, RW);
  }
  const tablesBase = BigInt(o.guestRamBytes / 2);
  const tablesLimit = BigInt(o.guestRamBytes);
  const allocator = engine.createAllocator(tablesBase, tablesLimit, parent);
  const space = engine.createSpace({ format: 'x86-64', levels: 4, parent, allocator });
  const guestBuilder = new PageTableBuilder(guestMemory(mem, PA_BITS, peerParent), new BumpAllocator(tablesBase, tablesLimit));
  const peerSpace: SpaceDescriptor = { format: 'x86-64', levels: 4, root: 0n, ad: false, parent: peerParent };
  peerSpace.root = guestBuilder.newTable();
  const pages = distinctPages(rng, o.guestPages, o.iovaBits - 12);
  const dataPages = ramPages / 2;
  for (const page of pages) {
    const iova = BigInt(page) << 12n;
    const gpa = BigInt(rng.below(dataPages)) << 12n;
    engine.map(space, iova, gpa, 0x1000n, RW);
    guestBuilder.map(peerSpace, iova, gpa, 12, RW);
  }
  const peer = new PlainIommu({ mem, paBits: PA_BITS, iotlbEntries: 0 });
  return { engine, space, peer, peerSpace, pages };
}

/** Random addresses inside the mapped pages, as batch words and as BigInts for the peer. */
export function requestStream(pages: number[], count: number, seed: number): { words: Uint32Array; bigints: bigint[] } {
  const rng = new Rng(seed);
  const words = new Uint32Array(count * 2);
  const bigints: bigint[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const page = pages[rng.below(pages.length)]!;
    const iova = page * 4096 + (rng.u32() & 0xff8);
    words[2 * i] = iova % 2 ** 32;
    words[2 * i + 1] = Math.floor(iova / 2 ** 32);
    bigints[i] = BigInt(iova);
  }
  return { words, bigints };
}
