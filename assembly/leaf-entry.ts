// The leaf entry that maps one input address of a single-stage space: its value,
// level and host address, so a vendor model can read or set per-page bits the
// engine's format defines (the mock's IOMMU_TEST_OP_DIRTY sets D this way) without
// walking the tables itself. Nothing is cached, written or counted.
import { spaceAt, spaceValid, S_FORMAT, S_LEVELS, S_PARENT, S_ROOT } from './spaces';
import { withFormat, UNKNOWN_FORMAT } from './formats/registry';
import { REASON_ADDRESS_SIZE, REASON_EXTERNAL } from './walker/codes';
import { classifyEntry, unusableReason, entryAddress, entryPointer, ENTRY_LEAF } from './table-entry';

/** Status of leafEntry besides the fault reasons: no such space, or a nested one (its tables are GPAs). */
export const LEAF_BAD_SPACE: u32 = 7;
export const LEAF_NESTED: u32 = 8;

let foundValue: u64 = 0;
let foundAddress: u64 = 0;
let foundLevel: u32 = 0;
/** log2 of the found leaf's page size (the format's geometry at its level). */
let foundShift: u32 = 0;

function findLeaf<F>(f: F, space: u32, iova: u64): u32 {
  const sp = spaceAt(space);
  const levels = <u32>load<u8>(sp + S_LEVELS);
  let level = levels - 1;
  foundValue = 0;
  foundLevel = level;
  foundShift = 0;
  foundAddress = iova;
  if (!f.inputOk(iova, levels)) return REASON_ADDRESS_SIZE;
  // Bits 11:0 of a root are ignored, as the walker ignores them.
  let table = load<u64>(sp + S_ROOT) & ~0xFFF;
  while (true) {
    const entry = entryAddress(f, table, iova, level);
    foundAddress = entry;
    foundLevel = level;
    const ptr = entryPointer(entry);
    if (!ptr) { foundValue = 0; return REASON_EXTERNAL; }
    const pte = load<u64>(ptr);
    foundValue = pte;
    const kind = classifyEntry(f, pte, level);
    if (kind < ENTRY_LEAF) return unusableReason(kind);
    if (kind == ENTRY_LEAF) {
      foundShift = f.levelShift(level);
      return 0;
    }
    table = f.tableAddr(pte);
    level--;
  }
  return 0;
}

/**
 * Finds the leaf entry for `iova`. Returns 0 (found), a fault reason as a walk would
 * report it (1 not present, 3 reserved bit, 4 address size, 5 unbacked table), 7 no
 * such space or 8 a nested space. leafValue/leafAddress/leafLevel then give the entry
 * (for a fault: the entry that stopped the lookup, or the input for address size).
 */
export function leafEntry(space: u32, iova: u64): u32 {
  if (!spaceValid(space)) return LEAF_BAD_SPACE;
  if (load<i32>(spaceAt(space) + S_PARENT) >= 0) return LEAF_NESTED;
  const rc = withFormat(load<u8>(spaceAt(space) + S_FORMAT), changetype<FindLeaf>(0), space, iova, 0, 0, 0);
  return rc == UNKNOWN_FORMAT ? LEAF_BAD_SPACE : <u32>rc;
}

@final @unmanaged class FindLeaf {
  @inline run<F>(f: F, space: u64, iova: u64, c: u64, d: u64, e: u64): i64 { return findLeaf(f, <u32>space, iova); }
}

export function leafValue(): u64 { return foundValue; }
export function leafPageShift(): u32 { return foundShift; }
export function leafAddress(): u64 { return foundAddress; }
export function leafLevel(): u32 { return foundLevel; }
