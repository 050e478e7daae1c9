// Regression (issue 17, defect 7): readDirty/clearDirty on guest tables that point back
// at themselves ran unbounded (one call took 187 s): the scan re-walked every path,
// 512^levels entries for a self-referencing root. The core now scans each table page
// at most once per call at each level over its whole span and replays what it found
// for later visits, so results stay those of the one-walk-per-leaf oracle while the
// work is bounded; past its memo, a work budget stops the call with a skip report.
//
// The bounded cases below read a few thousand entries; the unbounded scan read 2^36
// (minutes) for the same calls. The timeout sits orders of magnitude from both.
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/index.js';
import { DIRTY_SKIP_WORK_LIMIT } from '../../src/engine/dirty.js';
import { oracleReadDirty } from '../../src/oracle/index.js';
import type { SpaceDescriptor } from '../../src/engine/types.js';
import { OverlayMemory } from '../differential/support/memory.js';

const TIMEOUT = 20_000;
const ROOT = 0x1000_0000n;
const OTHER = 0x1000_1000n;
const VTD_D = 1n << 9n;
/** A vtd-ss table pointer (R|W|X) with D set: a table entry at levels 1-3, a dirty 4 KiB leaf at level 0. */
const entry = (pa: bigint) => pa | 0b111n | VTD_D;
const G512 = 1n << 39n;

function page(words: (i: number) => bigint): Uint8Array {
  const bytes = new Uint8Array(4096);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < 512; i++) view.setBigUint64(i * 8, words(i), true);
  return bytes;
}

/**
 * A 4-level vtd-ss space of two pages: the root, whose even entries point at itself and
 * odd ones at the other page, whose entries point back at the root and at itself in turn.
 * Every path through them is valid; at level 0 every word is a dirty 4 KiB leaf.
 */
async function aliased(build: 'debug' | 'release') {
  const e = await Engine.create({ build, paBits: 40 });
  e.phys.write(ROOT, page((i) => entry(i % 2 === 0 ? ROOT : OTHER)));
  e.phys.write(OTHER, page((i) => entry(i % 3 === 0 ? OTHER : ROOT)));
  const s = e.createSpace({ format: 'vtd-ss', levels: 4, root: ROOT, ad: true });
  const desc: SpaceDescriptor = { format: 'vtd-ss', levels: 4, root: ROOT, ad: true };
  return { e, s, desc };
}

describe.each(['debug', 'release'] as const)('dirty reads of self-referencing tables (%s build)', (build) => {
  it('match the one-walk-per-leaf oracle, with and without clearing', async () => {
    for (const [iova, size, pageSize] of [[0n, 1n << 24n, 0x1000n], [0x3f_c000_0000n, 1n << 31n, 1n << 21n], [G512, 1n << 22n, 0x200n]] as const) {
      for (const clear of [false, true]) {
        const { e, s, desc } = await aliased(build);
        const overlay = new OverlayMemory(e.phys);
        const expected = oracleReadDirty(overlay, e.paBits, desc, iova, size, pageSize, clear);
        const actual = e.readDirty(s, iova, size, pageSize, { clear });
        expect(actual.bitmap).toEqual(expected.bitmap);
        expect(actual.dirtyLeaves).toBe(expected.dirtyLeaves);
        expect(actual.skipped).toBe(0);
        for (const [addr, value] of overlay.written) expect(e.phys.read64(addr)).toBe(value);
      }
    }
  }, TIMEOUT);

  it('over 512 GiB in one core call: every 4 KiB leaf counted without clearing, each word once with', async () => {
    const { e, s } = await aliased(build);
    // 2^27 leaves (every path ends at a dirty level-0 word), one bit per 1 GiB.
    const kept = e.readDirty(s, 0n, G512, 1n << 30n);
    expect(kept).toMatchObject({ dirtyLeaves: 2 ** 27, skipped: 0 });
    expect(kept.bitmap.every((byte) => byte === 0xff)).toBe(true);
    expect(e.phys.read64(ROOT)! & VTD_D).toBe(VTD_D);
    // Clearing: the first walk through each of the two pages at level 0 (IOVAs 0 and
    // 2 MiB) clears its 512 words; every later walk meets them clean.
    const cleared = e.readDirty(s, 0n, G512, 1n << 30n, { clear: true });
    expect(cleared).toMatchObject({ dirtyLeaves: 1024, skipped: 0 });
    expect(cleared.bitmap[0]).toBe(1);
    expect(cleared.bitmap.subarray(1).every((byte) => byte === 0)).toBe(true);
    expect(e.readDirty(s, 0n, G512, 1n << 30n)).toMatchObject({ dirtyLeaves: 0, skipped: 0 });
  }, TIMEOUT);

  it('clearDirty over the whole 256 TiB input and readDirty in 4 KiB bits over 4 GiB end', async () => {
    const { e, s } = await aliased(build);
    expect(e.clearDirty(s, 0n, 1n << 48n)).toMatchObject({ dirtyLeaves: 1024, skipped: 0 });
    expect(e.phys.read64(ROOT)! & VTD_D).toBe(0n);
    const again = await aliased(build);
    const bits = again.e.readDirty(again.s, 0n, 1n << 32n, 0x1000n);
    expect(bits).toMatchObject({ dirtyLeaves: 2 ** 20, skipped: 0 });
    expect(bits.bitmap.every((byte) => byte === 0xff)).toBe(true);
  }, TIMEOUT);

  it('past the memo, the work budget stops the call and says where', async () => {
    // A ring of 300 pages, each pointing 512 times at the next; root entry k leads to
    // page k at level 2, k+1 at level 1, k+2 at level 0: 900 (page, level) pairs, more
    // than the core remembers in one call (768), so from about k = 256 on a page is
    // walked again at each of its 512 references: 512^3 reads per root entry.
    const e = await Engine.create({ build, paBits: 40 });
    const PAGES = 300;
    const at = (i: number) => 0x2000_0000n + BigInt(i % PAGES) * 0x1000n;
    for (let p = 0; p < PAGES; p++) e.phys.write(at(p), page(() => entry(at(p + 1))));
    e.phys.write(ROOT, page((i) => (i < PAGES ? entry(at(i)) : 0n)));
    const s = e.createSpace({ format: 'vtd-ss', levels: 4, root: ROOT, ad: true });
    const run = () => e.readDirty(s, 0n, BigInt(PAGES) * G512, G512);
    const first = run();
    expect(first.skipped).toBe(1);
    expect(first.firstSkip?.reason).toBe(DIRTY_SKIP_WORK_LIMIT);
    expect(first.firstSkip!.iova).toBeLessThan(BigInt(PAGES) * G512);
    // Deterministic: the same call stops at the same place with the same findings.
    const second = run();
    expect(second).toEqual(first);
    // Bits up to where it stopped are reported; none after.
    const stopBit = Number(first.firstSkip!.iova / G512);
    expect(stopBit).toBeGreaterThan(250);
    for (let bit = 0; bit < PAGES; bit++) if (bit !== stopBit) expect((first.bitmap[bit >> 3]! >> (bit & 7)) & 1).toBe(bit < stopBit ? 1 : 0);
  }, TIMEOUT);
});
