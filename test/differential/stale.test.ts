// A PTE change without invalidation keeps serving the old translation, as hardware
// does; the stale-translation check counts and reports such hits (reason 6); the
// right invalidation brings the new translation in, a wrong one leaves the old.

import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { Access, Perm } from '../../src/engine/types.js';
import { oracleTranslate } from '../../src/oracle/index.js';
import { DATA_GPA_BASE, GiB1, hex, KiB4, MiB2 } from './support/addresses.js';
import { findLeaf, tablePath } from './support/edits.js';
import { BUILDS, NESTED_LAYOUTS, PHYS_MEM_BYTES } from './support/layouts.js';
import { createWorld, parentToHost, PARENT_GROUP, spaceRef, type World } from './support/world.js';

const RW = Perm.R | Perm.W;
const ADDRESS = ((1n << 52n) - 1n) & ~0xfffn;
const REASON_STALE = 6;

/** Rewrites the output address of the leaf mapping `iova`, in place, as a driver would. */
function retarget(world: World, space: number, iova: bigint, out: bigint): void {
  const leaf = findLeaf(world, world.spaces[space], iova);
  if (!leaf) throw new Error(`no leaf for ${hex(iova)}`);
  const pageAddress = ADDRESS & ~((1n << BigInt(leaf.pageShift)) - 1n);
  world.engine.phys.write64(leaf.hpa, (leaf.value & ~pageAddress) | out);
}

/** The old translation comes back, counted as a stale hit and reported in the fault ring. */
function expectStale(world: World, space: number, iova: bigint, old: bigint): void {
  const { engine } = world;
  const id = world.spaces[space].id;
  const before = engine.counters().staleHits;
  expect(engine.translate(id, iova, Access.READ)).toEqual({ fault: 0, stage: 0, level: 0, addr: old });
  expect(engine.counters().staleHits).toBe(before + 1);
  expect(engine.drainFaults().map(({ sequence: _s, ...f }) => f)).toEqual([
    { iova, addr: old, space: id, reason: REASON_STALE, stage: 0, level: 0, access: Access.READ },
  ]);
}

/** The new translation, twice (the second is an IOTLB hit the check finds consistent). */
function expectFresh(world: World, space: number, iova: bigint, fresh: bigint): void {
  const { engine } = world;
  const id = world.spaces[space].id;
  const before = engine.counters().staleHits;
  for (let i = 0; i < 2; i++) expect(engine.translate(id, iova, Access.READ)).toEqual({ fault: 0, stage: 0, level: 0, addr: fresh });
  expect(engine.counters().staleHits).toBe(before);
  expect(engine.drainFaults()).toEqual([]);
}

// Flat: spaces A (group 1) and B (group 2), x86-64 4-level. A maps PAGE (4 KiB),
// NEXT (the page after it) and a 2 MiB page BIG; B maps PAGE too.
const PAGE = 0x7f_4020_3000n;
const NEXT = PAGE + KiB4;
const BIG = 0x7f_4060_0000n;
const OLD = 0x10_0000_0000n;
const NEW = 0x10_4000_0000n;

async function flatWorld(build: (typeof BUILDS)[number], rangeProbeLimit?: number): Promise<World> {
  const engine = await Engine.create({ build, physMemBytes: PHYS_MEM_BYTES, ...(rangeProbeLimit ? { rangeProbeLimit } : {}) });
  const shape = { format: 'x86-64', levels: 4 } as const;
  const ids = [1, 2].map((group) => engine.createSpace({ ...shape, group, staleCheck: true }));
  const world: World = { engine, paBits: engine.paBits, ad: false, tablePages: [], spaces: ids.map((id, i) => spaceRef(engine, id, shape, i + 1, false)) };
  const [a, b] = ids;
  engine.map(a, PAGE, OLD, KiB4, RW);
  engine.map(a, NEXT, OLD + KiB4, KiB4, RW);
  engine.map(a, BIG, OLD + MiB2, MiB2, RW);
  engine.map(b, PAGE, OLD + 2n * MiB2, KiB4, RW);
  for (const [space, iova, out] of [[a, PAGE, OLD], [a, NEXT, OLD + KiB4], [a, BIG, OLD + MiB2], [b, PAGE, OLD + 2n * MiB2]] as const) {
    expect(engine.translate(space, iova, Access.READ).addr).toBe(out);
  }
  return world;
}

type Invalidation = [string, (world: World) => void];
const a = (w: World) => w.spaces[0].id;
const b = (w: World) => w.spaces[1].id;

const RIGHT_FOR_PAGE: Invalidation[] = [
  ['a leaf-only range invalidation of the page', (w) => w.engine.invalidateRange(a(w), PAGE, KiB4, true)],
  ['a range invalidation of the page', (w) => w.engine.invalidateRange(a(w), PAGE, KiB4)],
  ['a range invalidation of a wide range around it', (w) => w.engine.invalidateRange(a(w), PAGE - GiB1, 2n * GiB1)],
  ['a space invalidation', (w) => w.engine.invalidateSpace(a(w))],
  ['a group invalidation', (w) => w.engine.invalidateGroup(1)],
  ['a global invalidation', (w) => w.engine.invalidateAll()],
];

const WRONG_FOR_PAGE: Invalidation[] = [
  ['a range invalidation of the next page', (w) => w.engine.invalidateRange(a(w), NEXT, KiB4)],
  ['a range invalidation ending just below the page', (w) => w.engine.invalidateRange(a(w), PAGE - MiB2, MiB2)],
  ['the same range in another space', (w) => w.engine.invalidateRange(b(w), PAGE, KiB4)],
  ['another space', (w) => w.engine.invalidateSpace(b(w))],
  ['another group', (w) => w.engine.invalidateGroup(2)],
  ['the walk caches only', (w) => w.engine.invalidateWalkCaches(a(w))],
];

describe.each(BUILDS)('stale translations (%s build)', (build) => {
  describe.each([undefined, 1])('flat space, range probe limit %s', (probeLimit) => {
    it.each(RIGHT_FOR_PAGE)('a changed leaf is stale until %s', async (_name, invalidate) => {
      const w = await flatWorld(build, probeLimit);
      retarget(w, 0, PAGE, NEW);
      expectStale(w, 0, PAGE + 0x10n, OLD + 0x10n);
      invalidate(w);
      expectFresh(w, 0, PAGE + 0x10n, NEW + 0x10n);
      // Unchanged pages translate as before, whatever was dropped.
      expect(w.engine.translate(a(w), NEXT, Access.READ).addr).toBe(OLD + KiB4);
      expect(w.engine.translate(b(w), PAGE, Access.READ).addr).toBe(OLD + 2n * MiB2);
    });

    it.each(WRONG_FOR_PAGE)('a changed leaf stays stale after %s', async (_name, invalidate) => {
      const w = await flatWorld(build, probeLimit);
      retarget(w, 0, PAGE, NEW);
      invalidate(w);
      expectStale(w, 0, PAGE, OLD);
      expectStale(w, 0, PAGE, OLD);
    });

    it('a changed 2 MiB leaf is dropped by a leaf-only invalidation of any 4 KiB inside it, not of the page after it', async () => {
      const w = await flatWorld(build, probeLimit);
      retarget(w, 0, BIG, NEW);
      w.engine.invalidateRange(a(w), BIG + MiB2, KiB4, true);
      expectStale(w, 0, BIG + 0x1234n, OLD + MiB2 + 0x1234n);
      w.engine.invalidateRange(a(w), BIG + 0x1f_f000n, KiB4, true);
      expectFresh(w, 0, BIG + 0x1234n, NEW + 0x1234n);
    });

    it('a moved level-0 table is missed by a leaf-only invalidation (the walk cache keeps the old pointer) and found after a full one', async () => {
      const w = await flatWorld(build, probeLimit);
      const { engine } = w;
      const { entries } = tablePath(w, w.spaces[0], PAGE);
      const level1Entry = entries[2];
      const oldTable = engine.phys.read64(level1Entry)! & ADDRESS;
      // A copy of the level-0 table whose entry for PAGE points elsewhere.
      const copy = engine.phys.allocFrame()!;
      for (let i = 0n; i < 512n; i++) engine.phys.write64(copy + 8n * i, engine.phys.read64(oldTable + 8n * i)!);
      const leafOffset = entries[3] - oldTable;
      engine.phys.write64(copy + leafOffset, (engine.phys.read64(copy + leafOffset)! & ~ADDRESS) | NEW);
      engine.phys.write64(level1Entry, (engine.phys.read64(level1Entry)! & ~ADDRESS) | copy);

      engine.invalidateRange(a(w), PAGE, KiB4, true);
      // The refill walks through the cached level-1 pointer into the old table: the
      // old translation again, a miss that the IOTLB-hit check cannot see...
      expect(engine.translate(a(w), PAGE, Access.READ).addr).toBe(OLD);
      expect(engine.counters().staleHits).toBe(0);
      // ...until the entry it filled is hit.
      expectStale(w, 0, PAGE, OLD);
      engine.invalidateRange(a(w), PAGE, KiB4, false);
      expectFresh(w, 0, PAGE, NEW);
    });
  });
});

// Nested: x86-64 over vtd-ss. S and its twin T both map X to the 4 KiB stage-2 page
// at GPA G (and X + 4 KiB to G + 4 KiB).
const X = 0x7f_4020_3000n;
const G = DATA_GPA_BASE + 2n * GiB1;
const MOVED = 0x20_0000_0000n;

async function nestedWorld(build: (typeof BUILDS)[number]): Promise<World> {
  const w = await createWorld(NESTED_LAYOUTS[0], build, false, {});
  for (const s of w.spaces) {
    w.engine.setOptions(s.id, { staleCheck: true });
    w.engine.map(s.id, X, G, KiB4, RW);
    w.engine.map(s.id, X + KiB4, G + KiB4, KiB4, RW);
    expect(w.engine.translate(s.id, X, Access.READ).addr).toBe(parentToHost(w, G));
  }
  return w;
}

const parentOf = (w: World) => w.parent!.id;

/** Points the parent's 4 KiB leaf for `gpa` at `hpa`, in place; returns the host page it mapped before. */
function moveStage2Page(w: World, gpa: bigint, hpa: bigint): bigint {
  const leaf = findLeaf(w, w.parent!, gpa);
  if (!leaf || leaf.pageShift !== 12) throw new Error(`no 4 KiB stage-2 leaf for ${hex(gpa)}`);
  w.engine.phys.write64(leaf.hpa, (leaf.value & ~ADDRESS) | hpa);
  return leaf.value & ADDRESS;
}

const RIGHT_FOR_GPA: Invalidation[] = [
  ['a leaf-only range invalidation of the GPA page on the parent', (w) => w.engine.invalidateRange(parentOf(w), G, KiB4, true)],
  ['a range invalidation of the GPA page on the parent', (w) => w.engine.invalidateRange(parentOf(w), G, KiB4)],
  ['a range invalidation of a wide GPA range on the parent', (w) => w.engine.invalidateRange(parentOf(w), G - GiB1, 2n * GiB1)],
  ['a space invalidation of the parent', (w) => w.engine.invalidateSpace(parentOf(w))],
  ['a group invalidation of the parent\'s group', (w) => w.engine.invalidateGroup(PARENT_GROUP)],
  ['a global invalidation', (w) => w.engine.invalidateAll()],
];

const WRONG_FOR_GPA: Invalidation[] = [
  ['a range invalidation of the next GPA page on the parent', (w) => w.engine.invalidateRange(parentOf(w), G + KiB4, KiB4)],
  ['a range invalidation on the parent at the IOVA instead of the GPA', (w) => w.engine.invalidateRange(parentOf(w), X, KiB4)],
  ['a range invalidation of the GPA on the nested space', (w) => w.engine.invalidateRange(a(w), G, KiB4)],
  ['a space invalidation of the twin nested space', (w) => w.engine.invalidateSpace(b(w))],
  ['a group invalidation of an unused group', (w) => w.engine.invalidateGroup(3)],
];

describe.each(BUILDS)('stale nested translations (%s build)', (build) => {
  it.each(RIGHT_FOR_GPA)('a changed stage-2 leaf is stale until %s', async (_name, invalidate) => {
    const w = await nestedWorld(build);
    const old = moveStage2Page(w, G, MOVED);
    expectStale(w, 0, X + 8n, old + 8n);
    invalidate(w);
    expectFresh(w, 0, X + 8n, MOVED + 8n);
    expectFresh(w, 1, X + 8n, MOVED + 8n);
  });

  it.each(WRONG_FOR_GPA)('a changed stage-2 leaf stays stale after %s', async (_name, invalidate) => {
    const w = await nestedWorld(build);
    const old = moveStage2Page(w, G, MOVED);
    invalidate(w);
    expectStale(w, 0, X, old);
  });

  // A nested entry remembers its output GPA only: after the parent's mapping of a
  // page holding stage-1 tables changes, docs/formats.md asks for the parent's range
  // invalidation and an invalidation of the nested spaces.
  describe.each([0, 1, 2, 3])('the page holding the stage-1 table read at step %i of the walk', (depth) => {
    async function unmapTablePage(build_: typeof build) {
      const w = await nestedWorld(build_);
      const tablePage = tablePath(w, w.spaces[0], X).entries[depth] & ~0xfffn;
      w.engine.unmap(parentOf(w), tablePage, KiB4);
      return { w, tablePage };
    }

    it('unmapped from stage 2, then invalidated on the parent and the nested space: walks through it fault at stage 2', async () => {
      const { w, tablePage } = await unmapTablePage(build);
      const s = w.spaces[0];
      w.engine.invalidateRange(parentOf(w), tablePage, KiB4);
      w.engine.invalidateSpace(s.id);
      for (const iova of [X, X + KiB4]) {
        const expected = oracleTranslate(w.engine.phys, w.paBits, s.desc, iova, Access.READ);
        expect(expected).toMatchObject({ fault: 1, stage: 2, level: 0 });
        expect(w.engine.translate(s.id, iova, Access.READ), `${hex(iova)} after unmapping ${hex(tablePage)}`)
          .toEqual({ fault: expected.fault, stage: 2, level: expected.level, addr: expected.addr });
      }
      // The twin's tables live elsewhere: it still translates.
      expect(w.engine.translate(b(w), X, Access.READ).addr).toBe(parentToHost(w, G));
    });

    it('unmapped from stage 2 and invalidated on the parent only: the translation cached from the old tables stays, reported stale', async () => {
      const { w, tablePage } = await unmapTablePage(build);
      w.engine.invalidateRange(parentOf(w), tablePage, KiB4);
      expectStale(w, 0, X, parentToHost(w, G)!);
    });

    it('invalidated on the parent only: a walk below the page still follows the old tables from the nested walk caches', async () => {
      const { w, tablePage } = await unmapTablePage(build);
      w.engine.invalidateRange(parentOf(w), tablePage, KiB4);
      // X + 4 KiB was never translated, so nothing of it is in the IOTLB; its walk
      // starts from the walk-cache entry X filled at level 1, below every table page
      // but the last-level one, which it reads through the parent (and so faults).
      const r = w.engine.translate(w.spaces[0].id, X + KiB4, Access.READ);
      if (depth < 3) expect(r).toEqual({ fault: 0, stage: 0, level: 0, addr: parentToHost(w, G + KiB4) });
      else expect(r).toMatchObject({ fault: 1, stage: 2, addr: tablePath(w, w.spaces[0], X).entries[3] + 8n });
    });

    it('unmapped from stage 2 without an invalidation: the cached translation is served, and reported stale', async () => {
      const { w } = await unmapTablePage(build);
      expectStale(w, 0, X, parentToHost(w, G)!);
    });
  });
});
