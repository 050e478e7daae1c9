// The generic walker, specialised per format at compile time: `F` and `P` are
// zero-sized format classes whose @inline hooks fold into the loop (formats/*.ts).
// Walks are the cold side of translation: the IOTLB lookup (translate.ts) is the hot
// side. A walk leaves its outcome in the `res*` globals and returns the fault reason.
import { paBits } from './layout';
import { frameOffset } from './phys';
import {
  spaceAt, S_LEVELS, S_FLAGS, S_ROOT, FLAG_AD, walkThreshold, translationThreshold, stampNow,
} from './spaces';
import { descAt, makeKey, setIndex, cacheLookup, cacheInsert, cacheEnabled, E_VALUE, D_SET_MASK } from './cache';
import { CACHE_NESTED_TABLE } from './layout';
import { PERM_ALL, PERM_R, PERM_W, PERM_U, levelShift } from './formats/common';
import {
  count, C_PTE_READS, C_PWC_HITS, C_PWC_MISSES, C_AD_WRITES, C_NESTED_TABLE_HITS,
  C_NESTED_TABLE_MISSES, C_STAGE2_WALKS,
} from './counters';

export const REASON_TRANSLATION: u32 = 1;
export const REASON_PERMISSION: u32 = 2;
export const REASON_RESERVED: u32 = 3;
export const REASON_ADDRESS_SIZE: u32 = 4;
export const REASON_EXTERNAL: u32 = 5;

export const ACCESS_READ: u32 = 1;
export const ACCESS_WRITE: u32 = 2;
export const ACCESS_USER: u32 = 8;

/** Walk flags: use the walk caches and nested table cache; write A/D bits. */
export const WALK_CACHES: u32 = 1;
export const WALK_WRITE_AD: u32 = 2;

export let resFault: u32 = 0;
export let resStage: u32 = 0;
export let resLevel: u32 = 0;
/** Output address on success; the fault address otherwise. */
export let resAddr: u64 = 0;
export let resPerms: u32 = 0;
export let resShift: u32 = 0;
/** Nested: the stage-1 output (GPA). */
export let resGpa: u64 = 0;
/** False when the format tracks dirtiness and the leaf is clean: a cached copy must not grant W. */
export let resCacheWritable: bool = true;

function fail(reason: u32, stage: u32, level: u32, addr: u64): u32 {
  resFault = reason; resStage = stage; resLevel = level; resAddr = addr;
  resPerms = 0; resShift = 0;
  return reason;
}

@inline function widthMask(): u64 { return (<u64>1 << paBits) - 1; }

@inline function spaceDoesAd(space: u32, flags: u32): bool {
  return (flags & WALK_WRITE_AD) != 0 && (load<u8>(spaceAt(space) + S_FLAGS) & FLAG_AD) != 0;
}

/** Walk-cache probe result: the level to continue at (levels = no hit), its table and permissions. */
let wcLevel: u32 = 0;
let wcTable: u64 = 0;
let wcPerms: u32 = 0;

/** Finds the lowest cached non-leaf entry covering `iova` (walk caches hold levels 1..4). */
function probeWalkCaches(space: u32, iova: u64, levels: u32): bool {
  const threshold = walkThreshold(space);
  const top = levels - 1 < 4 ? levels - 1 : 4;
  for (let level: u32 = 1; level <= top; level++) {
    const desc = descAt(level);
    const page = iova >> <u64>levelShift(level);
    const at = cacheLookup(desc, makeKey(page, level), space, threshold, setIndex(page, space, level, load<u32>(desc + D_SET_MASK)));
    if (at) {
      const value = load<u64>(at + E_VALUE);
      wcLevel = level - 1; wcTable = value & ~0xFFF; wcPerms = <u32>(value & 0xF);
      count(C_PWC_HITS);
      return true;
    }
  }
  count(C_PWC_MISSES);
  return false;
}

@inline function fillWalkCache(space: u32, iova: u64, level: u32, table: u64, perms: u32): void {
  if (level > 4) return;
  const desc = descAt(level);
  const page = iova >> <u64>levelShift(level);
  cacheInsert(desc, setIndex(page, space, level, load<u32>(desc + D_SET_MASK)), makeKey(page, level), space, stampNow, table | perms, 0);
}

/** Translates through a single-stage space (or a parent, when `stage` is 2). */
export function walkSingle<F>(f: F, space: u32, iova: u64, access: u32, flags: u32, stage: u32): u32 {
  const sp = spaceAt(space);
  const levels = <u32>load<u8>(sp + S_LEVELS);
  if (!f.inputOk(iova, levels)) return fail(REASON_ADDRESS_SIZE, stage, levels - 1, iova);
  const ad = spaceDoesAd(space, flags);
  const caches = (flags & WALK_CACHES) != 0 && cacheEnabled(1);
  let level = levels - 1;
  let table = load<u64>(sp + S_ROOT);
  let perms = PERM_ALL;
  if (caches && levels > 1 && probeWalkCaches(space, iova, levels)) {
    level = wcLevel; table = wcTable; perms = wcPerms;
  }
  const paMask = widthMask();
  let pte: u64 = 0;
  let ptr: usize = 0;
  while (true) {
    const entry = table + (((iova >> <u64>levelShift(level)) & 511) << 3);
    count(C_PTE_READS);
    const frame = frameOffset(entry);
    if (!frame) return fail(REASON_EXTERNAL, stage, level, entry);
    ptr = frame + (<usize>entry & 0xFF8);
    pte = load<u64>(ptr);
    if (!f.present(pte)) return fail(REASON_TRANSLATION, stage, level, entry);
    if (f.reserved(pte, level, paMask)) return fail(REASON_RESERVED, stage, level, entry);
    if (ad && !(pte & f.accessedBit())) {
      pte |= f.accessedBit();
      store<u64>(ptr, pte);
      count(C_AD_WRITES);
    }
    perms &= f.perms(pte);
    if (f.isLeaf(pte, level)) break;
    table = f.tableAddr(pte);
    if (caches) fillWalkCache(space, iova, level, table, perms);
    level--;
  }
  if ((perms & access) != access) return fail(REASON_PERMISSION, stage, level, iova);
  let dirty = (pte & f.dirtyBit()) != 0;
  if (ad && (access & ACCESS_WRITE) && !dirty) {
    store<u64>(ptr, pte | f.dirtyBit());
    count(C_AD_WRITES);
    dirty = true;
  }
  const shift = levelShift(level);
  resFault = 0; resStage = 0; resLevel = level; resPerms = perms; resShift = shift;
  resAddr = f.leafAddr(pte, level) | (iova & ((<u64>1 << shift) - 1));
  resGpa = 0;
  resCacheWritable = !(load<u8>(sp + S_FLAGS) & FLAG_AD) || dirty;
  return 0;
}

/** Host address of the page holding a stage-1 table entry, after `parentTable`. */
let tableHostPage: u64 = 0;

/**
 * Translates the GPA of a stage-1 table entry through the parent, for reading
 * (and for writing when an A/D bit must be stored), through the nested table cache.
 * A failure is a stage-2 fault reporting that GPA.
 */
function parentTable<P>(p: P, parent: u32, gpa: u64, write: bool, flags: u32): u32 {
  const need: u32 = write ? PERM_R | PERM_W : PERM_R;
  const caches = (flags & WALK_CACHES) != 0 && cacheEnabled(CACHE_NESTED_TABLE);
  const page = gpa >> 12;
  if (caches) {
    const desc = descAt(CACHE_NESTED_TABLE);
    const at = cacheLookup(desc, makeKey(page, 0), parent, translationThreshold(parent), setIndex(page, parent, 0, load<u32>(desc + D_SET_MASK)));
    if (at) {
      const value = load<u64>(at + E_VALUE);
      if ((<u32>value & need) == need) {
        tableHostPage = value & ~0xFFF;
        count(C_NESTED_TABLE_HITS);
        return 0;
      }
    }
    count(C_NESTED_TABLE_MISSES);
  }
  count(C_STAGE2_WALKS);
  const reason = walkSingle<P>(p, parent, gpa, write ? ACCESS_WRITE : ACCESS_READ, flags, 2);
  if (reason) { resAddr = gpa; return reason; }
  tableHostPage = resAddr & ~0xFFF;
  if (caches) {
    const desc = descAt(CACHE_NESTED_TABLE);
    const perms = resCacheWritable ? resPerms : resPerms & ~PERM_W;
    cacheInsert(desc, setIndex(page, parent, 0, load<u32>(desc + D_SET_MASK)), makeKey(page, 0), parent, stampNow, tableHostPage | perms, 0);
  }
  return 0;
}

/** Translates through a nested space: stage 1 `F` whose every address goes through parent `P`. */
export function walkNested<F, P>(f: F, p: P, space: u32, parent: u32, iova: u64, access: u32, flags: u32): u32 {
  const sp = spaceAt(space);
  const levels = <u32>load<u8>(sp + S_LEVELS);
  if (!f.inputOk(iova, levels)) return fail(REASON_ADDRESS_SIZE, 1, levels - 1, iova);
  const ad = spaceDoesAd(space, flags);
  const caches = (flags & WALK_CACHES) != 0 && cacheEnabled(1);
  let level = levels - 1;
  let table = load<u64>(sp + S_ROOT);
  let perms = PERM_ALL;
  if (caches && levels > 1 && probeWalkCaches(space, iova, levels)) {
    level = wcLevel; table = wcTable; perms = wcPerms;
  }
  const paMask = widthMask();
  let pte: u64 = 0;
  let entry: u64 = 0;
  while (true) {
    entry = table + (((iova >> <u64>levelShift(level)) & 511) << 3);
    if (parentTable<P>(p, parent, entry, false, flags)) return resFault;
    count(C_PTE_READS);
    const frame = frameOffset(tableHostPage | (entry & 0xFFF));
    if (!frame) return fail(REASON_EXTERNAL, 1, level, entry);
    pte = load<u64>(frame + (<usize>entry & 0xFF8));
    if (!f.present(pte)) return fail(REASON_TRANSLATION, 1, level, entry);
    if (f.reserved(pte, level, paMask)) return fail(REASON_RESERVED, 1, level, entry);
    if (ad && !(pte & f.accessedBit())) {
      if (!storeNestedEntry<P>(p, parent, entry, pte | f.accessedBit(), flags, level)) return resFault;
      pte |= f.accessedBit();
    }
    perms &= f.perms(pte);
    if (f.isLeaf(pte, level)) break;
    table = f.tableAddr(pte);
    if (caches) fillWalkCache(space, iova, level, table, perms);
    level--;
  }
  if ((perms & access) != access) return fail(REASON_PERMISSION, 1, level, iova);
  const s1Level = level;
  const s1Shift = levelShift(level);
  const gpa = f.leafAddr(pte, level) | (iova & ((<u64>1 << s1Shift) - 1));
  count(C_STAGE2_WALKS);
  if (walkSingle<P>(p, parent, gpa, access & ~ACCESS_USER, flags, 2)) {
    resAddr = gpa;
    return resFault;
  }
  const hpa = resAddr;
  const s2Perms = resPerms;
  const s2Shift = resShift;
  const s2Writable = resCacheWritable;
  // D goes last: a write the parent refuses must leave the stage-1 leaf clean.
  let dirty = (pte & f.dirtyBit()) != 0;
  if (ad && (access & ACCESS_WRITE) && !dirty) {
    if (!storeNestedEntry<P>(p, parent, entry, pte | f.dirtyBit(), flags, level)) return resFault;
    dirty = true;
  }
  resFault = 0; resStage = 0;
  resAddr = hpa;
  resPerms = (perms & s2Perms & ~PERM_U) | (perms & PERM_U);
  resShift = s1Shift < s2Shift ? s1Shift : s2Shift;
  resLevel = s1Level;
  resGpa = gpa;
  resCacheWritable = s2Writable && (!(load<u8>(sp + S_FLAGS) & FLAG_AD) || dirty);
  return 0;
}

/** Stores an A/D update into a stage-1 entry: the parent must allow writing its page. */
function storeNestedEntry<P>(p: P, parent: u32, entry: u64, value: u64, flags: u32, level: u32): bool {
  if (parentTable<P>(p, parent, entry, true, flags)) return false;
  const frame = frameOffset(tableHostPage | (entry & 0xFFF));
  if (!frame) { fail(REASON_EXTERNAL, 1, level, entry); return false; }
  store<u64>(frame + (<usize>entry & 0xFF8), value);
  count(C_AD_WRITES);
  return true;
}
