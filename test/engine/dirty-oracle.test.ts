// readDirty and leafEntry against the oracle (src/oracle/dirty.ts), which reads the
// same memory one leaf at a time. Two kinds of runs:
// - engine-owned spaces with A/D on: random 4 KiB / 2 MiB / 1 GiB maps and unmaps,
//   reads and writes through translate (each checked against the oracle, so a write
//   that fails to set D again after a clear shows), and dirty reads over random
//   ranges and page sizes, with and without clear, each clear followed by the
//   leaf-only invalidation the contract asks for;
// - random words as tables (guest-rooted spaces over a pool of random frames): every
//   dirty read and leaf lookup ends, ends as the oracle's does, and writes nothing
//   but D bits the oracle clears.
// Dirty reads and leaf lookups never move a counter.

import { FORMAT_FACTS } from '../differential/support/format-facts.js';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Access, Engine, EngineError } from '../../src/index.js';
import { oracleLeafEntry, oracleReadDirty } from '../../src/oracle/index.js';
import { hex, inputBits } from '../differential/support/addresses.js';
import { checkTranslate } from '../differential/support/check.js';
import { BUILDS, CACHE_SETUPS, FLAT_LAYOUTS, PHYS_MEM_BYTES, PROPERTY_TIMEOUT, runs, type StageShape } from '../differential/support/layouts.js';
import { OverlayMemory } from '../differential/support/memory.js';
import { POOL_FRAMES, poolFrame, randomTablesWorld } from '../differential/support/random-pool.js';
import { createWorld, type SpaceRef, type World } from '../differential/support/world.js';

const MASK64 = (1n << 64n) - 1n;
const GiB = 1n << 30n;
/** The window maps go to: 4 GiB at the top of a 39-bit input, or at the top of x86-64's upper half. */
function windowBase(shape: StageShape): bigint {
  return FORMAT_FACTS[shape.format].signExtended ? 0xffff_ffff_0000_0000n : 0x7f_0000_0000n;
}
const WINDOW = 4n * GiB;
/** Output addresses (never read): below 2^40, aligned to any page. */
const PA_BASE = 1n << 38n;
/** Few indices per level, so maps collide, abut and share tables. */
const INDEX = [0, 1, 2, 255, 510, 511];
const PAGE_SHIFTS = [9, 12, 13, 16, 21, 22, 30, 32];
/** Dirty reads stay under 2^18 bits (up to four core calls at 2^16). */
const MAX_BITS = 1n << 18n;

type Op =
  | { kind: 'map'; size: number; gb: number; mb: number; kb: number }
  | { kind: 'unmap'; which: number; pages: number }
  | { kind: 'access'; which: number; offset: number; write: boolean; again: boolean }
  | { kind: 'dirty'; shift: number; start: bigint; length: bigint; clear: boolean; near: number | null }
  | { kind: 'leaf'; which: number; offset: bigint };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('map' as const), size: fc.constantFrom(0, 0, 0, 1, 1, 2), gb: fc.nat(3), mb: fc.nat(5), kb: fc.nat(5) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('unmap' as const), which: fc.nat(), pages: fc.nat(3) }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('access' as const), which: fc.nat(), offset: fc.nat(), write: fc.boolean(), again: fc.nat(3).map((n) => n > 0) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('dirty' as const), shift: fc.constantFrom(...PAGE_SHIFTS), start: fc.bigInt({ min: 0n, max: MASK64 }), length: fc.bigInt({ min: 0n, max: MASK64 }), clear: fc.boolean(), near: fc.option(fc.nat(), { freq: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('leaf' as const), which: fc.nat(), offset: fc.bigInt({ min: 0n, max: MASK64 }) }) },
);

/** Aligned range inside [base, base+span) of at most MAX_BITS pages of 2^shift (and at most `maxBytes`). */
function pickRange(base: bigint, span: bigint, shift: number, start: bigint, length: bigint, maxBytes = span) {
  const pageSize = 1n << BigInt(shift);
  const unit = pageSize > 0x1000n ? pageSize : 0x1000n;
  const units = span / unit;
  const first = start % units;
  const most = [units - first, (MAX_BITS * pageSize) / unit, maxBytes / unit].reduce((a, b) => (a < b ? a : b));
  const count = 1n + (length % (most > 0n ? most : 1n));
  return { iova: base + first * unit, size: count * unit, pageSize };
}

/** Reads the dirty bits through the engine and the oracle (over an overlay) and compares everything. */
function checkDirty(engine: Engine, paBits: number, ref: SpaceRef, iova: bigint, size: bigint, pageSize: bigint, clear: boolean,
  watched: bigint[], where: string): void {
  const context = `${where}: readDirty ${hex(iova)} +${hex(size)} page ${hex(pageSize)}${clear ? ' clear' : ''}`;
  const overlay = new OverlayMemory(engine.phys);
  const expected = oracleReadDirty(overlay, paBits, ref.desc, iova, size, pageSize, clear);
  const words = watched.map((addr) => [addr, engine.phys.read64(addr)] as const);
  const counters = engine.counters();
  const actual = engine.readDirty(ref.id, iova, size, pageSize, { clear });
  expect(engine.counters(), `${context}: counters`).toEqual(counters);
  expect(actual.bitmap, `${context}: bitmap`).toEqual(expected.bitmap);
  expect(actual.dirtyLeaves, `${context}: dirty leaves`).toBe(expected.dirtyLeaves);
  for (const [addr, before] of words) {
    expect(engine.phys.read64(addr), `${context}: word at ${hex(addr)}`).toBe(overlay.written.get(addr) ?? before);
  }
  for (const [addr, value] of overlay.written) expect(engine.phys.read64(addr), `${context}: cleared word at ${hex(addr)}`).toBe(value);
}

function checkLeaf(engine: Engine, paBits: number, ref: SpaceRef, iova: bigint, where: string): void {
  const expected = oracleLeafEntry(engine.phys, paBits, ref.desc, iova);
  const counters = engine.counters();
  const actual = engine.leafEntry(ref.id, iova);
  expect(engine.counters(), `${where}: leafEntry counters`).toEqual(counters);
  expect({ fault: actual.fault, level: actual.level, addr: actual.addr, value: actual.value }, `${where}: leafEntry ${hex(iova)}`).toEqual(expected);
}

interface Mapping { iova: bigint; size: bigint }

/** Runs one sequence on the first space of a fresh world with A/D on. */
function runOwned(world: World, ops: Op[], seedTag: string): void {
  const { engine, paBits } = world;
  const ref = world.spaces[0];
  const base = windowBase(ref.shape);
  const maps: Mapping[] = [];
  let lastAccess: bigint | undefined;
  /** Leaf entry addresses of every mapping: a dirty read must write only those the oracle clears. */
  const leafAddrs = () => maps.map((m) => engine.leafEntry(ref.id, m.iova)).filter((l) => l.fault === 0).map((l) => l.addr);
  ops.forEach((o, step) => {
    const where = `${seedTag} step ${step}`;
    switch (o.kind) {
      case 'map': {
        const size = [0x1000n, 0x20_0000n, GiB][o.size];
        const iova = base + BigInt(o.gb) * GiB + (o.size < 2 ? BigInt(INDEX[o.mb]) * 0x20_0000n : 0n) + (o.size < 1 ? BigInt(INDEX[o.kb]) * 0x1000n : 0n);
        try {
          engine.map(ref.id, iova, PA_BASE + (iova - base), size, 3);
          maps.push({ iova, size });
        } catch (e) {
          if (!(e instanceof EngineError) || e.code !== 'EXISTS') throw e;
        }
        return;
      }
      case 'unmap': {
        if (maps.length === 0) return;
        const [m] = maps.splice(o.which % maps.length, 1);
        // A partial unmap of a large page splits it: the new leaves start clean.
        const size = o.pages === 0 || m.size === 0x1000n ? m.size : BigInt(o.pages) * 0x1000n;
        engine.unmap(ref.id, m.iova, size);
        engine.invalidateRange(ref.id, m.iova, size);
        if (size !== m.size) maps.push({ iova: m.iova + size, size: 0x1000n });
        return;
      }
      case 'access': {
        if (maps.length === 0) return;
        const m = maps[o.which % maps.length];
        // Again: the page an earlier access cached, so a write after a clear hits it.
        if (!o.again || lastAccess === undefined) lastAccess = m.iova + (BigInt(o.offset) % m.size);
        checkTranslate(world, ref, lastAccess, o.write ? Access.WRITE : Access.READ, where);
        return;
      }
      case 'dirty': {
        // Near: from a mapping (or the last access) on, rather than anywhere in the window.
        const anchor = o.near === null || maps.length === 0 ? undefined : o.near % 3 !== 0 && lastAccess !== undefined ? lastAccess : maps[o.near % maps.length].iova;
        const start = anchor === undefined ? o.start : (anchor - base) >> BigInt(Math.max(o.shift, 12));
        const { iova, size, pageSize } = pickRange(base, WINDOW, o.shift, start, o.length);
        checkDirty(engine, paBits, ref, iova, size, pageSize, o.clear, leafAddrs(), where);
        // The contract: a clear is followed by an invalidation of the range (leaf-only suffices).
        if (o.clear) engine.invalidateRange(ref.id, iova, size, true);
        return;
      }
      case 'leaf': {
        const m = maps.length ? maps[o.which % maps.length] : { iova: base, size: WINDOW };
        checkLeaf(engine, paBits, ref, (m.iova + (o.offset % (2n * m.size))) & MASK64, where);
      }
    }
  });
  // Everything dirty at the end, read twice: cleared by the first read, nothing left for the second.
  checkDirty(engine, paBits, ref, base, WINDOW, 0x1000n, true, leafAddrs(), `${seedTag} end`);
  expect(engine.readDirty(ref.id, base, WINDOW, WINDOW).dirtyLeaves).toBe(0);
}

describe.each(BUILDS)('dirty reads against the oracle (%s build)', (build) => {
  describe.each(FLAT_LAYOUTS)('$name', (layout) => {
    it.each([CACHE_SETUPS[1], CACHE_SETUPS[4]])('engine-owned tables, $name', async ({ options }) => {
      await fc.assert(
        fc.asyncProperty(fc.array(op, { minLength: 10, maxLength: 40 }), async (ops) => {
          const world = await createWorld(layout, build, true, options);
          runOwned(world, ops, layout.name);
        }),
        { numRuns: runs(6, 200) },
      );
    }, PROPERTY_TIMEOUT);

    it('random words as tables', async () => {
      await fc.assert(
        fc.asyncProperty(fc.nat(), fc.array(op.filter((o) => o.kind === 'dirty' || o.kind === 'leaf'), { minLength: 4, maxLength: 12 }), async (seed, ops) => {
          const engine = await Engine.create({ build, physMemBytes: PHYS_MEM_BYTES });
          const world = randomTablesWorld(engine, layout, seed % 2 === 0, seed);
          const ref = world.spaces[seed % 2];
          const width = BigInt(inputBits(ref.shape));
          const poolWords = Array.from({ length: POOL_FRAMES * 512 }, (_, i) => poolFrame(i >> 9) + BigInt(i & 511) * 8n);
          ops.forEach((o, step) => {
            const where = `seed ${seed} step ${step}`;
            // x86-64: half the time in the upper half (the same tables, sign-extended).
            const upper = FORMAT_FACTS[ref.shape.format].signExtended && (step + seed) % 2 === 1;
            const base = upper ? MASK64 & ~((1n << (width - 1n)) - 1n) : 0n;
            const span = 1n << (FORMAT_FACTS[ref.shape.format].signExtended ? width - 1n : width);
            if (o.kind === 'leaf') {
              checkLeaf(engine, engine.paBits, ref, base + (o.offset % span), where);
              return;
            }
            // Random tables alias their pages under most entries: keep ranges small for the oracle's sake.
            const { iova, size, pageSize } = pickRange(base, span, Math.min(o.shift, 22), o.start, o.length, 1n << 24n);
            checkDirty(engine, engine.paBits, ref, iova, size, pageSize, o.clear, poolWords, where);
          });
        }),
        { numRuns: runs(10, 250) },
      );
    }, PROPERTY_TIMEOUT);
  });
});
