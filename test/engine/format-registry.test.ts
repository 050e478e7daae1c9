// The format registry (src/engine/types.ts FORMATS, assembly/formats/registry.ts) as
// the single list of what the core walks: every format and level count it lists is
// created, mapped, translated, invalidated and read for dirty leaves against the
// oracle; every id or level count it does not list is refused; every pair it allows
// nests, and the differential tests' layouts cover all of them, so a format whose
// branch is missing anywhere fails here or there.
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { Access, FORMATS, Perm, type FormatName } from '../../src/engine/types.js';
import { walkSpace } from '../../src/oracle/index.js';
import { oracleReadDirty } from '../../src/oracle/dirty.js';
import { FLAT_LAYOUTS, NESTED_LAYOUTS } from '../differential/support/layouts.js';

const NAMES = Object.keys(FORMATS) as FormatName[];
const IDS = NAMES.map((n) => FORMATS[n].id);
const NO_ROOT = 0xffff_ffff_ffff_ffffn;


describe('the format registry', () => {
  it('names each format once, with ids the core knows and nothing else', async () => {
    expect(new Set(IDS).size).toBe(IDS.length);
    const e = await Engine.create({ physMemBytes: 4 << 20 });
    for (let id = 0; id < 256; id++) {
      for (let levels = 0; levels <= 8; levels++) {
        const name = NAMES.find((n) => FORMATS[n].id === id);
        const listed = name !== undefined && (FORMATS[name].levels as readonly number[]).includes(levels);
        const rc = e.core.createSpace(id, levels, -1, 0, e.hostAllocator, 0, NO_ROOT);
        expect(rc >= 0, `id ${id}, ${levels} levels`).toBe(listed);
        if (rc >= 0) e.destroySpace(rc);
      }
    }
    expect(() => e.createSpace({ format: 'arm' as FormatName, levels: 4 })).toThrow(/unknown format arm/);
    expect(() => e.createSpace({ format: 'x86-64', levels: 3 })).toThrow(/x86-64 takes 4, 5 levels, not 3/);
  });

  it('nests exactly the pairs it allows', async () => {
    const e = await Engine.create({ physMemBytes: 8 << 20 });
    for (const parent of NAMES) {
      const p = e.createSpace({ format: parent, levels: FORMATS[parent].levels.includes(4 as never) ? 4 : FORMATS[parent].levels[0]! });
      e.map(p, 0x40_0000n, 0x40_0000n, 0x40_0000n, Perm.R | Perm.W);
      const allocator = e.createAllocator(0x40_0000n, 0x80_0000n, p);
      for (const own of NAMES) {
        const allowed = (FORMATS[own].parents as readonly string[]).includes(parent);
        const rc = e.core.createSpace(FORMATS[own].id, FORMATS[own].levels[0]!, p, 1, allocator, 0, NO_ROOT);
        expect(rc >= 0, `${own} over ${parent}`).toBe(allowed);
        if (rc >= 0) e.destroySpace(rc);
      }
    }
  });

  it('the differential layouts cover every format, level count and allowed pair', () => {
    for (const format of NAMES) {
      for (const levels of FORMATS[format].levels) {
        expect(FLAT_LAYOUTS.some((l) => l.stage1.format === format && l.stage1.levels === levels), `${format} ${levels}`).toBe(true);
      }
      for (const parent of FORMATS[format].parents) {
        expect(NESTED_LAYOUTS.some((l) => l.stage1.format === format && l.parent?.format === parent), `${format} over ${parent}`).toBe(true);
      }
    }
  });

  describe.each(NAMES.flatMap((format) => FORMATS[format].levels.map((levels) => [format, levels] as const)))('%s, %i levels', (format, levels) => {
    it('maps 4 KiB and 2 MiB pages, translates, invalidates and reads dirty leaves as the oracle does', async () => {
      const e = await Engine.create({ physMemBytes: 8 << 20 });
      const space = e.createSpace({ format, levels, ad: true });
      const small = 0x1234_5000n;
      const large = 0x4000_0000n;
      e.map(space, small, 0x10_0000n, 0x1000n, Perm.R | Perm.W);
      e.map(space, large, 0x20_0000n, 0x20_0000n, Perm.R | Perm.W);
      const desc = { format, levels, root: e.root(space), ad: true };
      const mem = e.phys;
      for (const [iova, access] of [[small + 0x10n, Access.READ], [large + 0x1_2345n, Access.WRITE], [large + 0x20_0000n, Access.READ]] as const) {
        const got = e.translate(space, iova, access);
        const want = walkSpace(mem, e.paBits, desc, iova, access).translation;
        // A translation's level is reported for faults only (the IOTLB keeps no level).
        const shape = (t: { fault: number; level: number; addr: bigint }) => (t.fault === 0 ? { fault: 0, addr: t.addr } : { fault: t.fault, level: t.level, addr: t.addr });
        expect(shape(got)).toEqual(shape(want));
      }
      expect(e.leafEntry(space, large).pageShift).toBe(21);
      expect(e.leafEntry(space, small).pageShift).toBe(12);
      const dirty = e.readDirty(space, large, 0x20_0000n, 0x1000n);
      const want = oracleReadDirty(mem, e.paBits, desc, large, 0x20_0000n, 0x1000n, false);
      expect([...dirty.bitmap]).toEqual([...want.bitmap]);
      expect(dirty.bitmap.some((b) => b !== 0)).toBe(true);
      e.unmap(space, large, 0x20_0000n);
      e.invalidateRange(space, large, 0x20_0000n, true);
      expect(e.translate(space, large + 0x1_2345n, Access.READ).fault).not.toBe(0);
    });
  });
});
