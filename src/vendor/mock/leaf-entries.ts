// Reading the engine's own page tables for a space it built (VT-d second-stage
// format, docs/formats.md): the leaf entry that maps an input address, so the mock can
// read and clear the dirty bits the walker sets. The engine API has no call for "the
// leaf entry of iova"; this walks the tables through physical memory the same way the
// hardware walker does, without touching any cache.
import type { Engine } from '../../engine/engine.js';

const ADDRESS_MASK = 0x000f_ffff_ffff_f000n;
const PRESENT = 0b11n; // R or W: a VT-d second-stage entry is present when either is set
const PAGE_SIZE_BIT = 1n << 7n;
export const DIRTY_BIT = 1n << 9n;

/** Physical address of the leaf entry translating `iova`, or undefined when unmapped. */
export function leafEntryAddress(engine: Engine, space: number, levels: number, iova: bigint): bigint | undefined {
  let table = engine.root(space) & ADDRESS_MASK;
  for (let level = levels - 1; level >= 0; level--) {
    const at = table + ((iova >> BigInt(12 + 9 * level)) & 511n) * 8n;
    const entry = engine.phys.read64(at);
    if (entry === undefined || (entry & PRESENT) === 0n) return undefined;
    if (level === 0 || (entry & PAGE_SIZE_BIT) !== 0n) return at;
    table = entry & ADDRESS_MASK;
  }
  return undefined;
}

export function isDirty(engine: Engine, entryAddress: bigint): boolean {
  return ((engine.phys.read64(entryAddress) ?? 0n) & DIRTY_BIT) !== 0n;
}

export function setDirty(engine: Engine, entryAddress: bigint, dirty: boolean): void {
  const entry = engine.phys.read64(entryAddress) ?? 0n;
  engine.phys.write64(entryAddress, dirty ? entry | DIRTY_BIT : entry & ~DIRTY_BIT);
}
