// engine.walk() with the walk caches but without A/D writes, on a space that tracks
// A/D: what it leaves behind must not let a later translation skip an A bit the
// walker is due to set (docs/formats.md, "Access and dirty flags").

import { describe, expect, it } from 'vitest';
import { Access } from '../../src/engine/types.js';
import { oracleTranslate } from '../../src/oracle/index.js';
import { DATA_GPA_BASE, GiB1, KiB4 } from './support/addresses.js';
import { OverlayMemory } from './support/memory.js';
import { BUILDS, FLAT_LAYOUTS, NESTED_LAYOUTS } from './support/layouts.js';
import { createWorld } from './support/world.js';

const IOVA = 0x7f_4020_3000n;
const OUT = DATA_GPA_BASE + 2n * GiB1; // a 4 KiB stage-2 page when nested; a plain address when flat

describe.each(BUILDS)('walk-only calls (%s build)', (build) => {
  it.each([FLAT_LAYOUTS[0], NESTED_LAYOUTS[0]])('$name: a later translation sets every A bit the oracle sets', async (layout) => {
    const w = await createWorld(layout, build, true, {});
    const [s] = w.spaces;
    w.engine.map(s.id, IOVA, OUT, KiB4, 3);
    w.engine.map(s.id, IOVA + KiB4, OUT + KiB4, KiB4, 3);
    // Reads every entry for IOVA (and, nested, the parent's) and sets no A bit.
    w.engine.walk(s.id, IOVA, Access.READ, { walkCaches: true });
    // A neighbour shares every table above the leaf with IOVA.
    const overlay = new OverlayMemory(w.engine.phys);
    const expected = oracleTranslate(overlay, w.paBits, s.desc, IOVA + KiB4, Access.READ);
    const before = w.engine.counters().adWrites;
    expect(w.engine.translate(s.id, IOVA + KiB4, Access.READ).addr).toBe(expected.addr);
    expect(w.engine.counters().adWrites - before).toBe(overlay.writes);
    for (const [addr, value] of overlay.written) expect(w.engine.phys.read64(addr)).toBe(value);
  });
});
