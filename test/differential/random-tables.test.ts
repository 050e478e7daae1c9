// Random words as page tables: whatever a guest writes, every translation and walk
// ends, and ends exactly as the oracle's does — faults (which entry, which stage,
// which level), outputs, permissions, page sizes and A/D writes. And the engine
// never reads outside simulated memory: an address at or above 2^paBits, or one that
// is not backed, is an EXTERNAL fault, never a value.

import { FORMAT_FACTS } from './support/format-facts.js';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Engine } from '../../src/engine/engine.js';
import { Access, FaultReason } from '../../src/engine/types.js';
import { oracleTranslate } from '../../src/oracle/index.js';
import { inputBits } from './support/addresses.js';
import { checkTranslate, checkWalk } from './support/check.js';
import { BUILDS, PROPERTY_TIMEOUT as TIMEOUT, CACHE_SETUPS, FLAT_LAYOUTS, FUZZ_LONG, LAYOUTS, PHYS_MEM_BYTES, runs, type StageShape } from './support/layouts.js';
import { poolFrame, randomTablesWorld } from './support/random-pool.js';
import { spaceRef, targets } from './support/world.js';

const NUM_RUNS = runs(10, 250);
const REQUESTS = FUZZ_LONG ? 200 : 40;
const MASK64 = (1n << 64n) - 1n;

interface Request { target: number; bits: bigint; wide: boolean; access: number; again: number | null; reroot: boolean }

const request: fc.Arbitrary<Request> = fc.record({
  target: fc.nat({ max: 2 }),
  bits: fc.bigInt({ min: 0n, max: MASK64 }),
  // One in ten: any 64-bit value, so mostly non-canonical or too wide.
  wide: fc.nat({ max: 9 }).map((n) => n === 0),
  access: fc.tuple(fc.constantFrom(Access.READ, Access.WRITE, Access.EXEC), fc.boolean()).map(([a, u]) => a | (u ? Access.USER : 0)),
  again: fc.option(fc.nat({ max: 100 }), { freq: 3 }),
  // One in twenty first points the target at another root (setRoot drops what it cached).
  reroot: fc.nat({ max: 19 }).map((n) => n === 0),
});

/** An input inside the format's range (x86-64: sign-extended, so both halves). */
function inputAddress(shape: StageShape, r: Request): bigint {
  if (r.wide) return r.bits;
  const width = BigInt(inputBits(shape));
  const low = r.bits & ((1n << width) - 1n);
  if (!FORMAT_FACTS[shape.format].signExtended || (low & (1n << (width - 1n))) === 0n) return low;
  return low | (MASK64 & ~((1n << width) - 1n));
}

const CACHES = [CACHE_SETUPS[1], CACHE_SETUPS[4]];

describe.each(BUILDS)('random tables (%s build)', (build) => {
  describe.each(LAYOUTS)('$name', (layout) => {
    describe.each([false, true])('A/D %s', (ad) => {
      it.each(CACHES)('$name: every translation equals the oracle', async ({ options }) => {
        await fc.assert(
          fc.asyncProperty(fc.nat(), fc.array(request, { minLength: 10, maxLength: REQUESTS, size: 'max' }), async (seed, requests) => {
            const engine = await Engine.create({ build, physMemBytes: PHYS_MEM_BYTES, ...options });
            const world = randomTablesWorld(engine, layout, ad, seed);
            const all = targets(world);
            const done: Array<{ index: number; iova: bigint; access: number }> = [];
            requests.forEach((r, step) => {
              // Repeats hit the caches: the tables change only by A/D bits, which never change a translation.
              const prior = r.again === null || done.length === 0 ? undefined : done[r.again % done.length];
              const index = prior ? prior.index : r.target % all.length;
              if (r.reroot) {
                // In place: a nested space's descriptor shares its parent's.
                all[index].desc.root = poolFrame(Number(r.bits % 997n));
                engine.setRoot(all[index].id, all[index].desc.root);
              }
              const iova = prior ? prior.iova : inputAddress(all[index].shape, r);
              const access = prior ? prior.access ^ (r.access & Access.USER) : r.access;
              checkTranslate(world, all[index], iova, access, `seed ${seed} step ${step}`);
              checkWalk(world, all[index], iova, access, `seed ${seed} step ${step}`);
              done.push({ index, iova, access });
            });
            // An unbacked entry pointer is 0, and the walker reads linear address 0 for it
            // expecting the null entry (never present): nothing may have written there.
            expect(new DataView(engine.core.memory.buffer).getBigUint64(0, true)).toBe(0n);
          }),
          { numRuns: NUM_RUNS },
        );
      }, TIMEOUT);
    });
  });
});

// Addresses at or above 2^paBits, and unbacked frames below it, read as nothing.
const EDGE_PA_BITS = [32, 40, 46];
const INDEX = 3n; // the root index every probe below uses

/** An input whose root-level index is INDEX and all other bits zero. */
function probeInput(shape: StageShape): bigint {
  return INDEX << BigInt(12 + 9 * (shape.levels - 1));
}

describe.each(BUILDS)('reads outside simulated memory (%s build)', (build) => {
  describe.each(EDGE_PA_BITS)('paBits %i', (paBits) => {
    const top = 1n << BigInt(paBits);
    const ROOTS: Array<[string, bigint]> = [
      ['at 2^paBits', top],
      ['above 2^paBits', top + 0x5000n],
      ['in the last, unbacked frame below 2^paBits', top - 0x1000n],
      ['at the top of the 52-bit address field', (1n << 52n) - 0x1000n],
      ['at 2^63', 1n << 63n],
      ['in the last frame of the 64-bit space', (1n << 64n) - 0x1000n],
    ];

    it.each(FLAT_LAYOUTS.flatMap((l) => ROOTS.map(([what, root]) => [l.name, what, l.stage1, root] as const)))(
      '%s, root %s: an EXTERNAL fault at the root entry', async (_layout, _what, shape, root) => {
        const engine = await Engine.create({ build, paBits, physMemBytes: PHYS_MEM_BYTES });
        const id = engine.createSpace({ ...shape, root });
        const ref = spaceRef(engine, id, shape, 0, false);
        const iova = probeInput(shape);
        const fault = { fault: FaultReason.EXTERNAL, stage: 1, level: shape.levels - 1, addr: root + INDEX * 8n };
        expect(oracleTranslate(engine.phys, paBits, ref.desc, iova, Access.READ)).toEqual({ ...fault, perms: 0, pageShift: 0 });
        expect(engine.translate(id, iova, Access.READ)).toEqual(fault);
        expect(engine.walk(id, iova, Access.READ)).toEqual({ ...fault, perms: 0, pageShift: 0 });
      });

    it.each(FLAT_LAYOUTS.map((l) => [l.name, l.stage1] as const))('%s: the last frame below 2^paBits is memory once backed; a table beyond it is EXTERNAL, an address bit at paBits RESERVED', async (_name, shape) => {
      const engine = await Engine.create({ build, paBits, physMemBytes: PHYS_MEM_BYTES });
      const lastFrame = top - 0x1000n;
      expect(engine.phys.read64(lastFrame)).toBeUndefined();
      expect(engine.phys.read64(top)).toBeUndefined();
      expect(() => engine.phys.write64(top, 1n)).toThrow(RangeError);
      const id = engine.createSpace({ ...shape, root: lastFrame });
      const ref = spaceRef(engine, id, shape, 0, false);
      const iova = probeInput(shape);
      const rootLevel = shape.levels - 1;
      const table = FORMAT_FACTS[shape.format].encodeTable;
      // A table just below the root, never backed: the walk faults there.
      engine.phys.write64(lastFrame + INDEX * 8n, table(top - 0x2000n));
      const external = { fault: FaultReason.EXTERNAL, stage: 1, level: rootLevel - 1, addr: top - 0x2000n };
      expect(engine.translate(id, iova, Access.READ)).toEqual(external);
      expect(oracleTranslate(engine.phys, paBits, ref.desc, iova, Access.READ)).toMatchObject(external);
      // An entry whose address has bit paBits set: RESERVED, and nothing is read there.
      engine.invalidateAll();
      engine.phys.write64(lastFrame + INDEX * 8n, table(top));
      const reserved = { fault: FaultReason.RESERVED, stage: 1, level: rootLevel, addr: lastFrame + INDEX * 8n };
      expect(engine.translate(id, iova, Access.READ)).toEqual(reserved);
      expect(engine.walk(id, iova, Access.READ)).toEqual({ ...reserved, perms: 0, pageShift: 0 });
      expect(oracleTranslate(engine.phys, paBits, ref.desc, iova, Access.READ)).toMatchObject(reserved);
    });

    it('nested: a parent root at 2^paBits is a stage-2 EXTERNAL fault; a stage-1 table the parent maps to an unbacked frame is a stage-1 EXTERNAL fault at its GPA', async () => {
      const engine = await Engine.create({ build, paBits, physMemBytes: PHYS_MEM_BYTES });
      const parentShape = { format: 'vtd-ss', levels: 3 } as const;
      const s1Shape = { format: 'x86-64', levels: 4 } as const;
      const gpaRoot = 0x5000n;
      const unreachable = engine.createSpace({ ...parentShape, root: top });
      const nested = engine.createSpace({ ...s1Shape, root: gpaRoot, parent: unreachable });
      const parentRef = spaceRef(engine, unreachable, parentShape, 0, false);
      const ref = spaceRef(engine, nested, s1Shape, 0, false, parentRef.desc);
      const iova = probeInput(s1Shape);
      // The parent's walk of the stage-1 root entry's GPA (index 0 at its root) reads at 2^paBits.
      const stage2 = { fault: FaultReason.EXTERNAL, stage: 2, level: 2, addr: gpaRoot + INDEX * 8n };
      expect(engine.translate(nested, iova, Access.READ)).toEqual(stage2);
      expect(oracleTranslate(engine.phys, paBits, ref.desc, iova, Access.READ)).toMatchObject(stage2);

      // An owned parent mapping the stage-1 root's GPA to the last, unbacked host frame.
      const parent = engine.createSpace(parentShape);
      engine.map(parent, gpaRoot, top - 0x1000n, 0x1000n, 3);
      const nested2 = engine.createSpace({ ...s1Shape, root: gpaRoot, parent });
      const ref2 = spaceRef(engine, nested2, s1Shape, 0, false, spaceRef(engine, parent, parentShape, 0, false).desc);
      const stage1 = { fault: FaultReason.EXTERNAL, stage: 1, level: 3, addr: gpaRoot + INDEX * 8n };
      expect(engine.translate(nested2, iova, Access.READ)).toEqual(stage1);
      expect(engine.walk(nested2, iova, Access.READ)).toEqual({ ...stage1, perms: 0, pageShift: 0 });
      expect(oracleTranslate(engine.phys, paBits, ref2.desc, iova, Access.READ)).toMatchObject(stage1);
    });
  });
});
