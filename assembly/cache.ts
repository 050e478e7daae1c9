// One set-associative cache implementation serves the IOTLB, the per-level walk
// caches and the nested table cache. An entry is 32 bytes:
//
//   0  u64 key    VALID (bit 63) | size class (bits 61:56, log2(size) - 12) | page number (51:0)
//   8  u32 space  the space the entry belongs to
//   12 u32 stamp  the stamp current at fill time (spaces.ts)
//   16 u64 value  output address (page aligned) | permission bits (low 12 bits)
//   24 u64 aux    IOTLB entries of nested spaces: GPA of the page | origin class << 1 | 1
//                 (origin: log2 - 12 of the stage-1 page when the entry is a smaller
//                 piece of it, else 0); otherwise 0
//
// LRU keeps each set ordered by recency (move-to-front on hit), so the most recent
// way is probed first and eviction takes the last way: no age field is needed.
import { cacheDescBase, cacheRegionBase, CACHE_DESCRIPTOR, CACHE_ENTRY, CACHE_COUNT } from './layout';
import { countBy, C_INV_DROPPED } from './counters';
import { spaceAt, S_PARENT } from './spaces';

export const KEY_VALID: u64 = 1 << 63;
export const KEY_CLASS_SHIFT: u64 = 56;
export const KEY_PAGE_MASK: u64 = (1 << 52) - 1;

export const E_KEY: u32 = 0;
export const E_SPACE: u32 = 8;
export const E_STAMP: u32 = 12;
export const E_VALUE: u32 = 16;
export const E_AUX: u32 = 24;

/** Where aux keeps the class of the stage-1 page an IOTLB entry is a piece of. */
export const AUX_ORIGIN_SHIFT: u64 = 1;
const AUX_ORIGIN_MASK: u64 = 63;

/**
 * log2 of the span an invalidation must treat the entry at `at` as: its stage-1
 * page when it is a piece of a larger one (any address of that page invalidates every
 * piece, as architectures require of split large pages), else its own page (`shift`).
 */
@inline function spanShift(at: usize, shift: u64): u64 {
  const aux = load<u64>(at + E_AUX);
  const origin = (aux >> AUX_ORIGIN_SHIFT) & AUX_ORIGIN_MASK;
  return (aux & 1) && origin != 0 ? origin + 12 : shift;
}

// Descriptor fields.
export const D_BASE: u32 = 0;
export const D_SET_MASK: u32 = 4;
export const D_WAYS: u32 = 8;
export const D_POLICY: u32 = 12;
export const D_RR: u32 = 16;
export const D_SETS: u32 = 20;

export const POLICY_LRU: u32 = 0;
export const POLICY_RANDOM: u32 = 1;
export const POLICY_ROUND_ROBIN: u32 = 2;

let randomState: u32 = 0x9E3779B9;

@inline export function descAt(cache: u32): usize {
  return cacheDescBase + <usize>cache * CACHE_DESCRIPTOR;
}

@inline export function makeKey(page: u64, sizeClass: u32): u64 {
  return KEY_VALID | (<u64>sizeClass << KEY_CLASS_SHIFT) | (page & KEY_PAGE_MASK);
}

/** Spreads (page, space, class) over the sets; consecutive pages land in consecutive sets. */
@inline export function setIndex(page: u64, space: u32, sizeClass: u32, setMask: u32): u32 {
  return setIndexSalted(page, setSalt(space, sizeClass), setMask);
}

/** The part of the set index that depends only on (space, class): hoisted out of loops. */
@inline export function setSalt(space: u32, sizeClass: u32): u32 {
  return space * 0x9E3779B1 + sizeClass * 0x85EBCA77;
}

@inline export function setIndexSalted(page: u64, salt: u32, setMask: u32): u32 {
  return ((<u32>page ^ <u32>(page >> 29)) + salt) & setMask;
}

/** Whether the entry at `at` holds `key` for `space`, filled no earlier than `threshold`. */
@inline export function entryMatches(at: usize, key: u64, space: u32, threshold: u32): bool {
  // Branch-free, for the hit loop: the three words share a cache line, and which way
  // hits is random there. cacheLookup and the generic IOTLB probe keep the
  // short-circuit: with it the walk-cache lookup measured about 4% faster
  // in three A/B pairs (its hits sit at way 0).
  return (((load<u64>(at + E_KEY) ^ key) | <u64>(load<u32>(at + E_SPACE) ^ space)) == 0) & (load<u32>(at + E_STAMP) >= threshold);
}

@inline export function setBase(desc: usize, set: u32): usize {
  return <usize>load<u32>(desc + D_BASE) + <usize>set * load<u32>(desc + D_WAYS) * CACHE_ENTRY;
}

/** Bytes the caches need for these geometries (0 sets = cache off). */
export function cacheSpan(iotlbSets: u32, iotlbWays: u32, walkSets: u32, walkWays: u32, tableSets: u32, tableWays: u32): u64 {
  // In 64 bits: 2^24 sets of 16 ways alone are 8 GiB, which must be refused, not wrapped.
  return <u64>iotlbSets * iotlbWays * CACHE_ENTRY + iotlbSets
    + 4 * <u64>walkSets * walkWays * CACHE_ENTRY + 4 * <u64>walkSets
    + <u64>tableSets * tableWays * CACHE_ENTRY + tableSets + 64 * CACHE_COUNT;
}

function placeCache(cache: u32, at: usize, sets: u32, ways: u32, policy: u32): usize {
  const desc = descAt(cache);
  at = (at + 31) & ~31;
  store<u32>(desc + D_BASE, <u32>at);
  store<u32>(desc + D_SET_MASK, sets ? sets - 1 : 0);
  store<u32>(desc + D_WAYS, sets ? ways : 0);
  store<u32>(desc + D_POLICY, policy);
  store<u32>(desc + D_SETS, sets);
  at += <usize>sets * ways * CACHE_ENTRY;
  store<u32>(desc + D_RR, <u32>at);
  at += sets;
  return at;
}

/** Places every cache inside the region reserved by the layout. */
export function layoutCaches(
  iotlbSets: u32, iotlbWays: u32, policy: u32,
  walkSets: u32, walkWays: u32, tableSets: u32, tableWays: u32,
): void {
  let at = cacheRegionBase;
  at = placeCache(0, at, iotlbSets, iotlbWays, policy);
  for (let level: u32 = 1; level <= 4; level++) at = placeCache(level, at, walkSets, walkWays, POLICY_LRU);
  placeCache(5, at, tableSets, tableWays, POLICY_LRU);
}

@inline export function cacheEnabled(cache: u32): bool {
  return load<u32>(descAt(cache) + D_SETS) != 0;
}

/** Empties one cache (its entries become invalid keys). */
export function emptyCache(cache: u32): void {
  const desc = descAt(cache);
  const bytes = <usize>load<u32>(desc + D_SETS) * load<u32>(desc + D_WAYS) * CACHE_ENTRY;
  memory.fill(<usize>load<u32>(desc + D_BASE), 0, bytes);
}

export function emptyAllCaches(): void {
  for (let c: u32 = 0; c < CACHE_COUNT; c++) emptyCache(c);
}

/**
 * Finds a valid entry; returns its address or 0. Under LRU the hit is moved to the
 * front of its set first, so the returned address is the set's first way.
 */
@inline export function cacheLookup(desc: usize, key: u64, space: u32, threshold: u32, set: u32): usize {
  const ways = load<u32>(desc + D_WAYS);
  const first = <usize>load<u32>(desc + D_BASE) + <usize>set * ways * CACHE_ENTRY;
  let at = first;
  for (let way: u32 = 0; way < ways; way++, at += CACHE_ENTRY) {
    if (load<u64>(at + E_KEY) == key && load<u32>(at + E_SPACE) == space && load<u32>(at + E_STAMP) >= threshold) {
      if (way != 0 && load<u32>(desc + D_POLICY) == POLICY_LRU) return moveToFront(first, at);
      return at;
    }
  }
  return 0;
}

/**
 * Rotates the ways before `hit` down by one and puts `hit` first. Entries move as
 * two v128 words each: a set is a handful of ways, and a bulk memory.copy call costs
 * more than the moves themselves.
 */
@inline export function moveToFront(first: usize, hit: usize): usize {
  const a = v128.load(hit);
  const b = v128.load(hit, 16);
  shiftDown(first, hit);
  v128.store(first, a);
  v128.store(first, b, 16);
  return first;
}

/** Moves the entries in [first, end) one way down (towards `end`), overwriting `end`. */
@inline function shiftDown(first: usize, end: usize): void {
  for (let at = end; at > first; at -= CACHE_ENTRY) {
    v128.store(at, v128.load(at - CACHE_ENTRY));
    v128.store(at, v128.load(at - CACHE_ENTRY, 16), 16);
  }
}

/**
 * Fills an entry. An existing entry with the same key and space (stale or not) is
 * replaced in place so a set never holds two copies of a translation.
 */
export function cacheInsert(desc: usize, set: u32, key: u64, space: u32, stamp: u32, value: u64, aux: u64): bool {
  const ways = load<u32>(desc + D_WAYS);
  const first = <usize>load<u32>(desc + D_BASE) + <usize>set * ways * CACHE_ENTRY;
  const policy = load<u32>(desc + D_POLICY);
  let victim: usize = 0;
  let evicted = false;
  let at = first;
  for (let way: u32 = 0; way < ways; way++, at += CACHE_ENTRY) {
    if (load<u64>(at + E_KEY) == key && load<u32>(at + E_SPACE) == space) { victim = at; break; }
  }
  if (!victim) {
    at = first;
    for (let way: u32 = 0; way < ways; way++, at += CACHE_ENTRY) {
      if (load<u64>(at + E_KEY) == 0) { victim = at; break; }
    }
  }
  if (!victim) {
    evicted = true;
    if (policy == POLICY_LRU) victim = first + <usize>(ways - 1) * CACHE_ENTRY;
    else if (policy == POLICY_RANDOM) victim = first + <usize>(nextRandom() % ways) * CACHE_ENTRY;
    else {
      const rr = <usize>load<u32>(desc + D_RR) + set;
      const way = <u32>load<u8>(rr);
      store<u8>(rr, <u8>((way + 1) % ways));
      victim = first + <usize>way * CACHE_ENTRY;
    }
  }
  if (policy == POLICY_LRU && victim != first) {
    shiftDown(first, victim);
    victim = first;
  }
  store<u64>(victim + E_KEY, key);
  store<u32>(victim + E_SPACE, space);
  store<u32>(victim + E_STAMP, stamp);
  store<u64>(victim + E_VALUE, value);
  store<u64>(victim + E_AUX, aux);
  return evicted;
}

function nextRandom(): u32 {
  let x = randomState;
  x ^= x << 13; x ^= x >> 17; x ^= x << 5;
  randomState = x;
  return x;
}

/** Drops every entry of `space` with `key` in one set (any stamp). Returns the count. */
export function cacheDrop(desc: usize, set: u32, key: u64, space: u32): u32 {
  const ways = load<u32>(desc + D_WAYS);
  let at = <usize>load<u32>(desc + D_BASE) + <usize>set * ways * CACHE_ENTRY;
  let dropped: u32 = 0;
  for (let way: u32 = 0; way < ways; way++, at += CACHE_ENTRY) {
    if (load<u64>(at + E_KEY) == key && load<u32>(at + E_SPACE) == space) {
      store<u64>(at + E_KEY, 0);
      dropped++;
    }
  }
  if (dropped) countBy(C_INV_DROPPED, dropped);
  return dropped;
}

/**
 * Drops the entry of `space` with `key` in one set when the span it answers for
 * (spanShift: its stage-1 page if it is a piece of one) overlaps [first, last]: the
 * probe for a page just outside a range, reached because a split page may reach in.
 */
export function cacheDropCovering(desc: usize, set: u32, key: u64, space: u32, first: u64, last: u64): u32 {
  const ways = load<u32>(desc + D_WAYS);
  let at = <usize>load<u32>(desc + D_BASE) + <usize>set * ways * CACHE_ENTRY;
  let dropped: u32 = 0;
  const shift = ((key >> KEY_CLASS_SHIFT) & 63) + 12;
  for (let way: u32 = 0; way < ways; way++, at += CACHE_ENTRY) {
    if (load<u64>(at + E_KEY) != key || load<u32>(at + E_SPACE) != space) continue;
    const span = spanShift(at, shift);
    const start = ((key & KEY_PAGE_MASK) << shift) & ~((<u64>1 << span) - 1);
    if (start <= last && start + ((<u64>1 << span) - 1) >= first) {
      store<u64>(at + E_KEY, 0);
      dropped++;
    }
  }
  if (dropped) countBy(C_INV_DROPPED, dropped);
  return dropped;
}

/** Which entries a sweep drops. */
const SWEEP_OWN: u32 = 0;
const SWEEP_NESTED: u32 = 1;

/**
 * One pass over a whole cache. SWEEP_OWN drops the entries of `space` whose page
 * (or, for a piece of a larger stage-1 page, that page) overlaps [first, last]
 * (inclusive, in bytes): the path for ranges too large to probe. SWEEP_NESTED drops the IOTLB entries of nested spaces whose parent is
 * `space` and whose GPA page overlaps the range: exact stage-2-by-address
 * invalidation of combined entries.
 */
function sweep(cache: u32, space: u32, first: u64, last: u64, mode: u32): u32 {
  const desc = descAt(cache);
  const entries = load<u32>(desc + D_SETS) * load<u32>(desc + D_WAYS);
  let at = <usize>load<u32>(desc + D_BASE);
  let dropped: u32 = 0;
  for (let i: u32 = 0; i < entries; i++, at += CACHE_ENTRY) {
    const key = load<u64>(at + E_KEY);
    if (!key) continue;
    const shift = <u64>(((key >> KEY_CLASS_SHIFT) & 63) + 12);
    let start: u64;
    let span = shift;
    if (mode == SWEEP_OWN) {
      if (load<u32>(at + E_SPACE) != space) continue;
      span = spanShift(at, shift);
      start = ((key & KEY_PAGE_MASK) << shift) & ~((<u64>1 << span) - 1);
    } else {
      const aux = load<u64>(at + E_AUX);
      if (!(aux & 1) || load<i32>(spaceAt(load<u32>(at + E_SPACE)) + S_PARENT) != <i32>space) continue;
      start = (aux & 0x000F_FFFF_FFFF_F000) & ~((<u64>1 << shift) - 1);
    }
    const end = start + ((<u64>1 << span) - 1);
    if (start <= last && end >= first) { store<u64>(at + E_KEY, 0); dropped++; }
  }
  if (dropped) countBy(C_INV_DROPPED, dropped);
  return dropped;
}

export function cacheSweepRange(cache: u32, space: u32, first: u64, last: u64): u32 {
  return sweep(cache, space, first, last, SWEEP_OWN);
}

export function cacheSweepNested(cache: u32, parent: u32, first: u64, last: u64): u32 {
  return sweep(cache, parent, first, last, SWEEP_NESTED);
}
