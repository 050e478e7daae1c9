// A nested translation is cached at the smaller of its two page sizes, so a stage-1
// page larger than the stage-2 pages under it sits in the IOTLB as several pieces.
// Architectures require that invalidating any address of the stage-1 page removes
// every piece (Intel SDM: a large page may be cached as smaller entries, and an
// invalidation of any address in it invalidates them all; ARM TLBI by VA likewise).
// The property: touch pieces, move the stage-1 page, invalidate one 4 KiB page of
// it (what a driver may do), and every address of the page translates as the
// oracle says; pieces of a neighbouring stage-1 page stay cached. On both the probe
// path (roomy probe limit) and the sweep path (limit 1).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { Access, Perm, type SpaceDescriptor } from '../../src/engine/types.js';
import { oracleTranslate } from '../../src/oracle/index.js';
import { BUILDS, PROPERTY_TIMEOUT, runs } from './support/layouts.js';

const KiB4 = 0x1000n;
const MiB2 = 0x20_0000n;
const GiB1 = 0x4000_0000n;
const RW = Perm.R | Perm.W;
const TABLE_GPA = 0x100_0000n;
const TABLE_PAGES = 256;
/** Guest-physical data windows (old and new home of the stage-1 pages), host data above. */
const DATA_GPA = 0x10_0000_0000n;
const HOST_DATA = 0x20_0000_0000n;
const IOVA = 0x7f_0000_0000n;

interface Case { s1: bigint; s2: bigint; build: (typeof BUILDS)[number]; probeLimit: number; touched: number[]; hit: number; neighbour: number[] }

async function setup(c: Case) {
  const engine = await Engine.create({
    build: c.build, physMemBytes: 64 << 20, rangeProbeLimit: c.probeLimit,
    iotlb: { sets: 1024, ways: 8 }, walkCache: { sets: 64, ways: 4 }, nestedTableCache: { sets: 64, ways: 4 },
  });
  const parent = engine.createSpace({ format: 'vtd-ss', levels: 4, group: 1 });
  for (let i = 0; i < TABLE_PAGES; i++) {
    const frame = engine.phys.allocFrame();
    if (frame === undefined) throw new Error('out of frames');
    engine.map(parent, TABLE_GPA + BigInt(i) * KiB4, frame, KiB4, RW);
  }
  // Four stage-1-page-sized GPA regions, mapped in stage 2 with pages of c.s2: the host
  // address is offset by c.s2 so the builder cannot use anything larger.
  for (let r = 0n; r < 4n; r++) engine.map(parent, DATA_GPA + r * c.s1, HOST_DATA + r * 2n * c.s1 + c.s2, c.s1, RW);
  const allocator = engine.createAllocator(TABLE_GPA, TABLE_GPA + BigInt(TABLE_PAGES) * KiB4, parent);
  const s1 = engine.createSpace({ format: 'x86-64', levels: 4, parent, allocator, group: 2 });
  // The stage-1 page under test (region 0) and its neighbour (region 1).
  engine.map(s1, IOVA, DATA_GPA, c.s1, RW);
  engine.map(s1, IOVA + c.s1, DATA_GPA + c.s1, c.s1, RW);
  const desc: SpaceDescriptor = {
    format: 'x86-64', levels: 4, root: engine.root(s1), ad: false,
    parent: { format: 'vtd-ss', levels: 4, root: engine.root(parent), ad: false },
  };
  return { engine, s1, desc };
}

const caseArb = fc.oneof(
  fc.record({ s1: fc.constant(MiB2), s2: fc.constant(KiB4) }),
  fc.record({ s1: fc.constant(GiB1), s2: fc.constantFrom(KiB4, MiB2) }),
).chain(({ s1, s2 }) => {
  const pieces = Number(s1 / s2);
  return fc.record({
    s1: fc.constant(s1), s2: fc.constant(s2),
    build: fc.constantFrom(...BUILDS),
    probeLimit: fc.constantFrom(1, 1 << 20),
    touched: fc.uniqueArray(fc.integer({ min: 0, max: pieces - 1 }), { minLength: 1, maxLength: 12 }),
    hit: fc.integer({ min: 0, max: Number(s1 / KiB4) - 1 }),
    neighbour: fc.uniqueArray(fc.integer({ min: 0, max: pieces - 1 }), { minLength: 1, maxLength: 4 }),
  });
});

describe('split stage-1 pages are invalidated whole', () => {
  it('after a 4 KiB invalidation anywhere in a moved stage-1 page, no piece of it is served stale', async () => {
    await fc.assert(fc.asyncProperty(caseArb, async (c) => {
      const { engine, s1, desc } = await setup(c);
      const addrs = c.touched.map((n) => IOVA + BigInt(n) * c.s2 + 0x123n);
      const neighbours = c.neighbour.map((n) => IOVA + c.s1 + BigInt(n) * c.s2 + 0x40n);
      for (const iova of [...addrs, ...neighbours]) expect(engine.translate(s1, iova, Access.READ).fault).toBe(0);
      // Move the page: same IOVA, the next-but-one GPA region.
      engine.unmap(s1, IOVA, c.s1);
      engine.map(s1, IOVA, DATA_GPA + 2n * c.s1, c.s1, RW);
      engine.invalidateRange(s1, IOVA + BigInt(c.hit) * KiB4, KiB4, true);
      for (const iova of addrs) {
        const want = oracleTranslate(engine.phys, engine.paBits, desc, iova, Access.READ);
        const got = engine.translate(s1, iova, Access.READ);
        expect({ fault: got.fault, addr: got.addr }, `piece at 0x${iova.toString(16)}`).toEqual({ fault: 0, addr: want.addr });
      }
      // The neighbouring stage-1 page was not invalidated: its pieces still hit.
      const walks = engine.counters().walks;
      for (const iova of neighbours) engine.translate(s1, iova, Access.READ);
      expect(engine.counters().walks - walks).toBe(0);
    }), { numRuns: runs(40), seed: 2026 });
  }, PROPERTY_TIMEOUT);

  it('the probe path reaches a piece outside the invalidated range and counts its probes', async () => {
    const c: Case = { s1: MiB2, s2: KiB4, build: 'release', probeLimit: 1 << 20, touched: [0, 511], hit: 5, neighbour: [0] };
    const { engine, s1 } = await setup(c);
    engine.translate(s1, IOVA, Access.READ);
    engine.translate(s1, IOVA + 511n * KiB4, Access.READ);
    const before = engine.counters();
    engine.invalidateRange(s1, IOVA + 5n * KiB4, KiB4, true);
    const after = engine.counters();
    // Both pieces dropped although neither is in the range; one probe per 4 KiB of the 2 MiB page.
    expect(after.invDropped - before.invDropped).toBe(2);
    expect(after.invProbes - before.invProbes).toBe(512);
    expect(after.invSweeps - before.invSweeps).toBe(0);
  });
});
