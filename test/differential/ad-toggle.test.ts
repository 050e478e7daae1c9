// Switching A/D tracking on a space (setOptions) while its IOTLB and walk-cache
// entries exist: from the switch on, translations set exactly the A/D bits the
// oracle sets with the new option, cached entries or not (docs/formats.md, "Access
// and dirty flags"). An entry filled without tracking must not let a write skip D
// or a read skip A, and the walk caches must not let a walk skip the A bits above.

import { describe, expect, it } from 'vitest';
import { Access } from '../../src/engine/types.js';
import { oracleTranslate } from '../../src/oracle/index.js';
import { DATA_GPA_BASE, GiB1, hex, KiB4, MiB2 } from './support/addresses.js';
import { OverlayMemory } from './support/memory.js';
import { BUILDS, FLAT_LAYOUTS, NESTED_LAYOUTS } from './support/layouts.js';
import { createWorld, type SpaceRef, type World } from './support/world.js';

const IOVA = 0x7f_4020_3000n;
/** Two neighbours sharing every table with IOVA, and one sharing all but the last. */
const PAGES = [IOVA, IOVA + KiB4, IOVA + MiB2];
/** Nested: 4 KiB stage-2 pages, writable (support/world.ts mapInitialData); flat: plain addresses. */
const OUTS = [DATA_GPA_BASE + 2n * GiB1, DATA_GPA_BASE + 2n * GiB1 + KiB4, DATA_GPA_BASE + 2n * GiB1 + MiB2];

/**
 * One translation against the oracle on an overlay of the same memory: same result,
 * and the engine wrote exactly the A/D words the oracle wrote, no more. Unlike the
 * random runs (support/check.ts) no page here was ever split, so this holds for
 * nested IOTLB hits too.
 */
function strictTranslate(world: World, ref: SpaceRef, iova: bigint, access: number, context: string): void {
  const { engine, paBits } = world;
  const where = `${context}: space ${ref.id} ${hex(iova)} access ${access}`;
  const overlay = new OverlayMemory(engine.phys);
  const expected = oracleTranslate(overlay, paBits, ref.desc, iova, access);
  const before = engine.counters().adWrites;
  const actual = engine.translate(ref.id, iova, access);
  expect(actual.fault, where).toBe(expected.fault);
  expect(actual.addr, where).toBe(expected.addr);
  for (const [addr, value] of overlay.written) expect(engine.phys.read64(addr), `${where}: A/D word at ${hex(addr)}`).toBe(value);
  expect(engine.counters().adWrites - before, `${where}: A/D writes`).toBe(overlay.writes);
  engine.drainFaults();
}

/** Every page read, written, written and read again: misses, then hits. */
function exercise(world: World, refs: SpaceRef[], context: string): void {
  for (const ref of refs) {
    for (const [i, page] of PAGES.entries()) {
      const iova = ref === world.parent ? OUTS[i] : page;
      for (const access of [Access.READ, Access.WRITE, Access.WRITE, Access.READ]) strictTranslate(world, ref, iova, access, context);
    }
  }
}

function setAd(world: World, ref: SpaceRef, ad: boolean): void {
  world.engine.setOptions(ref.id, { ad });
  ref.desc.ad = ad; // a nested space's descriptor holds its parent's by reference
}

describe.each(BUILDS)('A/D switched while entries are cached (%s build)', (build) => {
  it.each([FLAT_LAYOUTS[0], FLAT_LAYOUTS[3]])('$name: on, then off', async (layout) => {
    const w = await createWorld(layout, build, false, {});
    const [s] = w.spaces;
    PAGES.forEach((iova, i) => w.engine.map(s.id, iova, OUTS[i], KiB4, 3));
    exercise(w, [s], 'A/D off');
    setAd(w, s, true);
    exercise(w, [s], 'A/D switched on');
    setAd(w, s, false);
    exercise(w, [s], 'A/D switched off');
  });

  it.each([NESTED_LAYOUTS[0], NESTED_LAYOUTS[3]])('$name: parent on, stage 1 on, both off', async (layout) => {
    const w = await createWorld(layout, build, false, {});
    const [s] = w.spaces;
    const parent = w.parent!;
    PAGES.forEach((iova, i) => w.engine.map(s.id, iova, OUTS[i], KiB4, 3));
    exercise(w, [s, parent], 'A/D off');
    setAd(w, parent, true);
    exercise(w, [s, parent], 'parent A/D switched on');
    setAd(w, s, true);
    exercise(w, [s, parent], 'stage-1 A/D switched on');
    setAd(w, s, false);
    setAd(w, parent, false);
    exercise(w, [s, parent], 'A/D switched off');
  });
});
