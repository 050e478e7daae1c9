// A cursor is one single-stage walk in progress: where it is (table, level), what it
// has accumulated (permissions) and the last entry it read. `stepCursor` reads one
// entry — the unit the lanes (lanes.ts) interleave. Specialised per format by the
// zero-sized format classes; `stepCursorAny` picks the specialisation.
import { paBits } from '../layout';
import { frameOffset as frameOffsetOf } from '../phys';
import { spaceAt, S_FORMAT, S_LEVELS, S_FLAGS, S_ROOT, FLAG_AD, walkThreshold, stampNow } from '../spaces';
import { descAt, makeKey, setIndex, cacheLookup, cacheInsert, cacheEnabled, E_VALUE, D_SET_MASK } from '../cache';
import { FORMAT_X86_64 } from '../formats/ids';
import { X86_64_FORMAT } from '../formats/x86-64';
import { VTD_SS_FORMAT } from '../formats/vtd-ss';
import { PERM_ALL, levelShift } from '../formats/common';
import { count, C_PTE_READS, C_PWC_HITS, C_PWC_MISSES, C_AD_WRITES } from '../counters';
import {
  REASON_TRANSLATION, REASON_RESERVED, REASON_ADDRESS_SIZE, REASON_EXTERNAL, STEP_CONTINUE, STEP_LEAF,
  STEP_PARENT_FAULT, WALK_CACHES, WALK_WRITE_AD,
} from './codes';
import { storeThroughParent } from './lanes';

export const C_INPUT: u32 = 0;    // u64 the address being translated
export const C_TABLE: u32 = 8;    // u64 table to read next (in the cursor's table space)
export const C_PTE: u32 = 16;     // u64 last entry read
export const C_ENTRY: u32 = 24;   // u64 address of the last entry read
export const C_PTR: u32 = 32;     // u32 linear offset of the last entry read
export const C_SPACE: u32 = 36;   // u32
export const C_LEVEL: u32 = 40;   // i32 level of the next (or last) entry
export const C_PERMS: u32 = 44;   // u32 permissions accumulated so far
export const C_ACCESS: u32 = 48;  // u32
export const C_FORMAT: u32 = 52;  // u8
export const C_WRITE_AD: u32 = 53; // u8 this walk writes A/D bits
export const C_CACHES: u32 = 54;  // u8 this walk uses the walk caches
export const C_TRACKS_DIRTY: u32 = 55; // u8 the space has A/D on (a clean leaf must not be cached writable)
export const CURSOR_BYTES: u32 = 64;

@inline function isX86(cur: usize): bool { return load<u8>(cur + C_FORMAT) == FORMAT_X86_64; }

/** Finds the lowest cached non-leaf entry covering the input (walk caches hold levels 1..4). */
function probeWalkCaches(cur: usize, space: u32, input: u64, levels: u32): void {
  const threshold = walkThreshold(space);
  const top = levels - 1 < 4 ? levels - 1 : 4;
  for (let level: u32 = 1; level <= top; level++) {
    const desc = descAt(level);
    const page = input >> <u64>levelShift(level);
    const at = cacheLookup(desc, makeKey(page, level), space, threshold, setIndex(page, space, level, load<u32>(desc + D_SET_MASK)));
    if (at) {
      const value = load<u64>(at + E_VALUE);
      store<i32>(cur + C_LEVEL, level - 1);
      store<u64>(cur + C_TABLE, value & ~0xFFF);
      store<u32>(cur + C_PERMS, <u32>(value & 0xF));
      count(C_PWC_HITS);
      return;
    }
  }
  count(C_PWC_MISSES);
}

/** Begins a walk of `space` for `input`; STEP_CONTINUE or ADDRESS_SIZE. */
export function startCursor(cur: usize, space: u32, input: u64, access: u32, flags: u32): u32 {
  const sp = spaceAt(space);
  const format = load<u8>(sp + S_FORMAT);
  const levels = <u32>load<u8>(sp + S_LEVELS);
  const tracksDirty = (load<u8>(sp + S_FLAGS) & FLAG_AD) != 0;
  const caches = (flags & WALK_CACHES) != 0 && cacheEnabled(1);
  store<u64>(cur + C_INPUT, input);
  store<u32>(cur + C_SPACE, space);
  store<u32>(cur + C_ACCESS, access);
  store<u8>(cur + C_FORMAT, format);
  store<u8>(cur + C_WRITE_AD, tracksDirty && (flags & WALK_WRITE_AD) != 0 ? 1 : 0);
  store<u8>(cur + C_CACHES, caches ? 1 : 0);
  store<u8>(cur + C_TRACKS_DIRTY, tracksDirty ? 1 : 0);
  store<i32>(cur + C_LEVEL, levels - 1);
  store<u64>(cur + C_TABLE, load<u64>(sp + S_ROOT));
  store<u32>(cur + C_PERMS, PERM_ALL);
  const inputOk = format == FORMAT_X86_64 ? X86_64_FORMAT.inputOk(input, levels) : VTD_SS_FORMAT.inputOk(input, levels);
  if (!inputOk) return REASON_ADDRESS_SIZE;
  if (caches && levels > 1) probeWalkCaches(cur, space, input, levels);
  return STEP_CONTINUE;
}

/** Address of the entry the cursor reads next. */
@inline export function nextEntry(cur: usize): u64 {
  const shift = <u64>levelShift(<u32>load<i32>(cur + C_LEVEL));
  return load<u64>(cur + C_TABLE) + (((load<u64>(cur + C_INPUT) >> shift) & 511) << 3);
}

/** Linear offset of a host entry address, 0 when its frame is not backed. */
@inline export function hostPointer(entry: u64): usize {
  const frame = frameOffsetOf(entry);
  return frame ? frame + (<usize>entry & 0xFF8) : 0;
}

/**
 * Reads the entry at `entry` (linear offset `ptr`, 0 = unbacked) and advances: a
 * fault reason, STEP_LEAF (the leaf is in C_PTE, its permissions in C_PERMS),
 * STEP_CONTINUE, or STEP_PARENT_FAULT. `parent` >= 0 when the tables live in a
 * parent's input space (an A bit is then written through the parent, for `lane`).
 */
@inline function stepWith<F>(f: F, cur: usize, entry: u64, ptr: usize, parent: i32, lane: usize): u32 {
  store<u64>(cur + C_ENTRY, entry);
  count(C_PTE_READS);
  if (!ptr) return REASON_EXTERNAL;
  store<u32>(cur + C_PTR, <u32>ptr);
  let pte = load<u64>(ptr);
  const level = <u32>load<i32>(cur + C_LEVEL);
  if (!f.present(pte)) return REASON_TRANSLATION;
  if (f.reserved(pte, level, (<u64>1 << paBits) - 1)) return REASON_RESERVED;
  if (load<u8>(cur + C_WRITE_AD) && !(pte & f.accessedBit())) {
    pte |= f.accessedBit();
    if (parent < 0) {
      store<u64>(ptr, pte);
      count(C_AD_WRITES);
    } else if (!storeThroughParent(lane, <u32>parent, entry, pte)) {
      return STEP_PARENT_FAULT;
    }
  }
  store<u64>(cur + C_PTE, pte);
  const perms = load<u32>(cur + C_PERMS) & f.perms(pte);
  store<u32>(cur + C_PERMS, perms);
  if (f.isLeaf(pte, level)) return STEP_LEAF;
  const table = f.tableAddr(pte);
  store<u64>(cur + C_TABLE, table);
  store<i32>(cur + C_LEVEL, <i32>level - 1);
  if (load<u8>(cur + C_CACHES) && level <= 4) {
    const space = load<u32>(cur + C_SPACE);
    const desc = descAt(level);
    const page = load<u64>(cur + C_INPUT) >> <u64>levelShift(level);
    cacheInsert(desc, setIndex(page, space, level, load<u32>(desc + D_SET_MASK)), makeKey(page, level), space, stampNow, table | perms, 0);
  }
  return STEP_CONTINUE;
}

export function stepCursor(cur: usize, entry: u64, ptr: usize, parent: i32, lane: usize): u32 {
  return isX86(cur)
    ? stepWith(X86_64_FORMAT, cur, entry, ptr, parent, lane)
    : stepWith(VTD_SS_FORMAT, cur, entry, ptr, parent, lane);
}

/** The output address of the cursor's leaf for its input. */
export function leafOutput(cur: usize): u64 {
  const level = <u32>load<i32>(cur + C_LEVEL);
  const pte = load<u64>(cur + C_PTE);
  const base = isX86(cur) ? X86_64_FORMAT.leafAddr(pte, level) : VTD_SS_FORMAT.leafAddr(pte, level);
  return base | (load<u64>(cur + C_INPUT) & ((<u64>1 << <u64>levelShift(level)) - 1));
}

export function leafDirty(cur: usize): bool {
  const pte = load<u64>(cur + C_PTE);
  return (pte & (isX86(cur) ? X86_64_FORMAT.dirtyBit() : VTD_SS_FORMAT.dirtyBit())) != 0;
}

export function dirtyBitOf(cur: usize): u64 {
  return isX86(cur) ? X86_64_FORMAT.dirtyBit() : VTD_SS_FORMAT.dirtyBit();
}
