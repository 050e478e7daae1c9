// The translation cases of the core suite: IOTLB hits, cold 4-level walks with and
// without walk caches (x86-64 and RISC-V Sv48), a realistic mix, and cold nested 4x4
// walks.
import { Access } from '../../src/engine/index.js';
import type { BenchCase } from '../harness.js';
import { perOp } from '../harness.js';
import { flatFixture, nestedFixture, requestStream, type Side } from '../fixtures.js';

const COUNTER_KEYS = ['lookups', 'hits', 'misses', 'walks', 'pteReads', 'walkCacheHits', 'nestedTableHits', 'stage2Walks', 'iotlbEvictions'];
const CHUNKS = 16;

/** A case that streams random mapped addresses through the batch path and through the peer. */
function translationCase(name: string, side: Side, seed: number, peerOps: number, native?: string): BenchCase {
  const { engine, peer, peerSpace, space } = side;
  const batch = engine.batch;
  const n = batch.capacity;
  const stream = requestStream(side.pages, n * CHUNKS, seed);
  batch.space.fill(space, 0, n);
  batch.access.fill(Access.READ, 0, n);
  let chunk = 0;
  const runEngine = () => {
    batch.iova.set(stream.words.subarray(chunk * 2 * n, (chunk + 1) * 2 * n));
    chunk = (chunk + 1) % CHUNKS;
    const failed = batch.run(n);
    if (failed) throw new Error(`${name}: ${failed} requests faulted; the benchmark must translate mapped pages`);
  };
  let cursor = 0;
  const total = stream.bigints.length;
  const runPeer = () => {
    for (let i = 0; i < peerOps; i++) {
      peer.translate(peerSpace, space, stream.bigints[cursor]!, Access.READ);
      cursor = cursor + 1 === total ? 0 : cursor + 1;
    }
  };
  return {
    name,
    ...(native ? { native } : {}),
    unit: 'translation',
    engineOpsPerIteration: n,
    peerOpsPerIteration: peerOps,
    engine: runEngine,
    peer: runPeer,
    countersPerOp: () => {
      const before = engine.counters();
      runEngine();
      return perOp(before, engine.counters(), n, COUNTER_KEYS);
    },
  };
}

/** Translates every mapped page once on both sides so the IOTLBs hold them. */
function prefill(side: Side): void {
  const batch = side.engine.batch;
  const n = batch.capacity;
  for (let start = 0; start < side.pages.length; start += n) {
    const count = Math.min(n, side.pages.length - start);
    for (let i = 0; i < count; i++) batch.set(i, side.space, side.pages[start + i]! * 4096, Access.READ);
    batch.run(count);
  }
  for (const page of side.pages) side.peer.translate(side.peerSpace, side.space, BigInt(page) << 12n, Access.READ);
}

export const translationCases = [
  {
    name: 'hit',
    build: async (): Promise<BenchCase> => {
      const side = await flatFixture({
        pages: 8192, iovaBits: 34, seed: 1, peerIotlbEntries: 16384,
        engine: { iotlb: { sets: 4096, ways: 4 }, walkCache: false },
      });
      prefill(side);
      return translationCase('hit', side, 11, 4096, 'hit');
    },
  },
  {
    name: 'walk4',
    build: async (): Promise<BenchCase> => {
      const side = await flatFixture({
        pages: 262144, iovaBits: 34, seed: 2, peerIotlbEntries: 0,
        engine: { iotlb: false, walkCache: false },
      });
      return translationCase('walk4', side, 12, 1024, 'walk4');
    },
  },
  {
    // The same cold walks on RISC-V Sv48 tables: the peer walks them with the oracle's RISC-V walker.
    name: 'walk-sv48',
    build: async (): Promise<BenchCase> => {
      const side = await flatFixture({
        pages: 262144, iovaBits: 34, seed: 2, peerIotlbEntries: 0, shape: { format: 'riscv-sv', levels: 4 },
        engine: { iotlb: false, walkCache: false },
      });
      return translationCase('walk-sv48', side, 12, 1024);
    },
  },
  {
    name: 'walk4-pwc',
    build: async (): Promise<BenchCase> => {
      const side = await flatFixture({
        pages: 262144, iovaBits: 34, seed: 2, peerIotlbEntries: 0,
        engine: { iotlb: false, walkCache: { sets: 64, ways: 4 } },
      });
      return translationCase('walk4-pwc', side, 12, 1024);
    },
  },
  {
    name: 'mixed',
    build: async (): Promise<BenchCase> => {
      const side = await flatFixture({
        pages: 262144, iovaBits: 34, seed: 2, peerIotlbEntries: 16384,
        engine: { iotlb: { sets: 4096, ways: 4 }, walkCache: false },
      });
      return translationCase('mixed', side, 12, 1024);
    },
  },
  {
    name: 'nested4x4',
    build: async (): Promise<BenchCase> => {
      const side = await nestedFixture({
        guestPages: 65536, iovaBits: 34, guestRamBytes: 1 << 30, seed: 3,
        engine: { iotlb: false, walkCache: false, nestedTableCache: false },
      });
      return translationCase('nested4x4', side, 13, 256, 'nested4x4');
    },
  },
];
