// Table entries as the walker and the inspections (leaf lookup, dirty scans) read
// them: where an entry is, its host pointer, and — for the inspections, which use no
// cache, write no A/D and count nothing — what it is. The checks are the walker's,
// in its order (docs/formats.md, "Faults").
import { frameOffset, entryOffsetInWidth } from './phys';
import { paBits } from './layout';
import { REASON_TRANSLATION, REASON_RESERVED } from './walker/codes';

/** What an entry that was read is. */
export const ENTRY_ABSENT: u32 = 0;
export const ENTRY_RESERVED: u32 = 1;
export const ENTRY_LEAF: u32 = 2;
export const ENTRY_TABLE: u32 = 3;

@inline export function classifyEntry<F>(f: F, pte: u64, level: u32): u32 {
  if (!f.present(pte)) return ENTRY_ABSENT;
  // A malformed entry is never followed: its address may point anywhere.
  if (f.reserved(pte, level, (<u64>1 << paBits) - 1)) return ENTRY_RESERVED;
  return f.isLeaf(pte, level) ? ENTRY_LEAF : ENTRY_TABLE;
}

/** Why a walk stops at an entry classifyEntry found absent or reserved. */
@inline export function unusableReason(kind: u32): u32 {
  return kind == ENTRY_ABSENT ? REASON_TRANSLATION : REASON_RESERVED;
}

/** Address of the entry of `table` that `iova` indexes at `level` (the format's geometry: f.index). */
@inline export function entryAddress<F>(f: F, table: u64, iova: u64, level: u32): u64 {
  return table + (f.index(iova, level) << 3);
}

/**
 * Linear offset of the host entry at `entry`, or 0 when its frame is not backed or
 * lies at or above 2^paBits (a table pointer from a guest may name anything).
 */
@inline export function entryPointer(entry: u64): usize {
  const frame = frameOffset(entry);
  return frame ? frame + (<usize>entry & 0xFF8) : 0;
}

/**
 * entryPointer for an entry inside a table whose address came from an entry that
 * passed the reserved check: that check already rejected address bits at or above
 * the physical width, so the width test is skipped.
 */
@inline export function entryPointerInWidth(entry: u64): usize {
  return entryOffsetInWidth(entry);
}
