// Translation: the inlined IOTLB probe (hot) and the miss path that dispatches to the
// walker specialised for the space's format pair (cold), then fills the IOTLB.
import {
  batchCapacity, batchIovaBase, batchSpaceBase, batchAccessBase, batchOutBase, batchStatusBase,
  CACHE_IOTLB, CACHE_ENTRY,
} from './layout';
import {
  spaceAt, spaceValid, translationThreshold, stampNow, S_FORMAT, S_PARENT, S_FLAGS, S_SIZE_MASK,
  FLAG_STALE_CHECK,
} from './spaces';
import {
  descAt, makeKey, setIndex, cacheInsert, moveToFront, D_BASE, D_SET_MASK, D_WAYS, D_POLICY, POLICY_LRU,
  E_KEY, E_SPACE, E_STAMP, E_VALUE,
} from './cache';
import {
  walkSingle, walkNested, WALK_CACHES, WALK_WRITE_AD, resFault, resStage, resLevel, resAddr,
  resPerms, resShift, resGpa, resCacheWritable,
} from './walk';
import { FORMAT_X86_64, FORMAT_VTD_SS } from './formats/ids';
import { X86_64_FORMAT } from './formats/x86-64';
import { VTD_SS_FORMAT } from './formats/vtd-ss';
import { PERM_W } from './formats/common';
import { recordFault } from './faults';
import {
  count, countBy, C_LOOKUPS, C_HITS, C_HITS_4K, C_HITS_2M, C_HITS_1G, C_HITS_OTHER, C_MISSES,
  C_WALKS, C_FAULTS, C_FAULT_TRANSLATION, C_IOTLB_FILLS, C_IOTLB_EVICTIONS, C_STALE_HITS,
} from './counters';

/** Status of a request that named no live space (an API misuse, never a walk). */
export const STATUS_BAD_SPACE: u32 = 7;
/** Fault-ring reason for a stale hit found by the stale-translation check. */
export const REASON_STALE: u32 = 6;

/** Status word: reason | stage << 8 | level << 16 (0 = translated). */
@inline function statusOf(reason: u32, stage: u32, level: u32): u32 {
  return reason | (stage << 8) | (level << 16);
}

/** Walks `space` for `iova` with the walker its format pair needs. */
export function walkDispatch(space: u32, iova: u64, access: u32, flags: u32): u32 {
  const sp = spaceAt(space);
  const format = load<u8>(sp + S_FORMAT);
  const parent = load<i32>(sp + S_PARENT);
  if (parent < 0) {
    if (format == FORMAT_X86_64) return walkSingle(X86_64_FORMAT, space, iova, access, flags, 1);
    return walkSingle(VTD_SS_FORMAT, space, iova, access, flags, 1);
  }
  const parentFormat = load<u8>(spaceAt(<u32>parent) + S_FORMAT);
  if (format == FORMAT_X86_64) {
    if (parentFormat == FORMAT_VTD_SS) return walkNested(X86_64_FORMAT, VTD_SS_FORMAT, space, <u32>parent, iova, access, flags);
    return walkNested(X86_64_FORMAT, X86_64_FORMAT, space, <u32>parent, iova, access, flags);
  }
  if (parentFormat == FORMAT_VTD_SS) return walkNested(VTD_SS_FORMAT, VTD_SS_FORMAT, space, <u32>parent, iova, access, flags);
  return walkNested(VTD_SS_FORMAT, X86_64_FORMAT, space, <u32>parent, iova, access, flags);
}

/** Output of the last translation (per-access API and the batch loop). */
export let outAddr: u64 = 0;

/** The cold side of a lookup: walk, record a fault or fill the IOTLB. Returns the status. */
function miss(space: u32, iova: u64, access: u32): u32 {
  count(C_WALKS);
  const reason = walkDispatch(space, iova, access, WALK_CACHES | WALK_WRITE_AD);
  if (reason) {
    count(C_FAULTS);
    count(C_FAULT_TRANSLATION + reason - 1);
    recordFault(iova, resAddr, space, reason, resStage, resLevel, access);
    outAddr = 0;
    return statusOf(reason, resStage, resLevel);
  }
  outAddr = resAddr;
  fillIotlb(space, iova);
  return 0;
}

function fillIotlb(space: u32, iova: u64): void {
  const desc = descAt(CACHE_IOTLB);
  if (!load<u32>(desc + D_WAYS)) return;
  const shift = <u64>resShift;
  const sizeClass = resShift - 12;
  const page = iova >> shift;
  const sizeMask = (<u64>1 << shift) - 1;
  const perms = resCacheWritable ? resPerms : resPerms & ~PERM_W;
  const value = (resAddr & ~sizeMask) | perms;
  const nested = load<i32>(spaceAt(space) + S_PARENT) >= 0;
  const aux: u64 = nested ? (resGpa & ~sizeMask) | 1 : 0;
  const set = setIndex(page, space, sizeClass, load<u32>(desc + D_SET_MASK));
  if (cacheInsert(desc, set, makeKey(page, sizeClass), space, stampNow, value, aux)) count(C_IOTLB_EVICTIONS);
  count(C_IOTLB_FILLS);
  const at = spaceAt(space) + S_SIZE_MASK;
  store<u64>(at, load<u64>(at) | (<u64>1 << sizeClass));
}

/** Re-walks a hit without caches or A/D writes and counts a disagreement as a stale hit. */
function checkStale(space: u32, iova: u64, access: u32, cachedAddr: u64): void {
  const reason = walkDispatch(space, iova, access, 0);
  if (reason == 0 && resAddr == cachedAddr) return;
  count(C_STALE_HITS);
  recordFault(iova, cachedAddr, space, REASON_STALE, 0, 0, access);
}

/** Hit-class counters of one batch, added to the u64 counters once at the end. */
let hitsBySize4k: u32 = 0;
let hitsBySize2m: u32 = 0;
let hitsBySize1g: u32 = 0;
let hitsBySizeOther: u32 = 0;
let missCount: u32 = 0;

@inline function countHit(sizeClass: u32): void {
  if (sizeClass == 0) hitsBySize4k++;
  else if (sizeClass == 9) hitsBySize2m++;
  else if (sizeClass == 18) hitsBySize1g++;
  else hitsBySizeOther++;
}

function flushHitCounters(lookups: u32): void {
  const hits = hitsBySize4k + hitsBySize2m + hitsBySize1g + hitsBySizeOther;
  countBy(C_LOOKUPS, lookups);
  countBy(C_HITS, hits);
  countBy(C_HITS_4K, hitsBySize4k);
  countBy(C_HITS_2M, hitsBySize2m);
  countBy(C_HITS_1G, hitsBySize1g);
  countBy(C_HITS_OTHER, hitsBySizeOther);
  countBy(C_MISSES, missCount);
  hitsBySize4k = 0; hitsBySize2m = 0; hitsBySize1g = 0; hitsBySizeOther = 0; missCount = 0;
}

/**
 * Looks `iova` up in the IOTLB for every page size the space has filled and walks on
 * a miss (or when the cached permissions do not cover the access). Leaves the
 * output in `outAddr`, returns the status.
 */
@inline function translateWith(
  space: u32, iova: u64, access: u32, threshold: u32, sizeMask: u64,
  base: usize, setMask: u32, ways: u32, lru: bool, staleCheck: bool,
): u32 {
  let mask = sizeMask;
  while (mask) {
    const sizeClass = <u32>ctz(mask);
    mask &= mask - 1;
    const shift = <u64>(sizeClass + 12);
    const page = iova >> shift;
    const key = makeKey(page, sizeClass);
    const first = base + <usize>setIndex(page, space, sizeClass, setMask) * ways * CACHE_ENTRY;
    let at = first;
    for (let way: u32 = 0; way < ways; way++, at += CACHE_ENTRY) {
      if (load<u64>(at + E_KEY) != key || load<u32>(at + E_SPACE) != space || load<u32>(at + E_STAMP) < threshold) continue;
      const value = load<u64>(at + E_VALUE);
      if ((<u32>value & access) != access) break;
      if (lru && way != 0) moveToFront(first, at);
      outAddr = (value & ~0xFFF) | (iova & ((<u64>1 << shift) - 1));
      countHit(sizeClass);
      if (staleCheck) checkStale(space, iova, access, outAddr);
      return 0;
    }
  }
  missCount++;
  return miss(space, iova, access);
}

/**
 * Translates `count` requests from the batch ring (struct of arrays: iova u64,
 * space u32, access u32 in; address u64 and status u32 out). Returns the number of
 * requests that did not translate.
 */
export function translateBatch(count: u32): u32 {
  const n = count < batchCapacity ? count : batchCapacity;
  const desc = descAt(CACHE_IOTLB);
  const base = <usize>load<u32>(desc + D_BASE);
  const setMask = load<u32>(desc + D_SET_MASK);
  const ways = load<u32>(desc + D_WAYS);
  const lru = load<u32>(desc + D_POLICY) == POLICY_LRU;
  let lastSpace: u32 = 0xFFFF_FFFF;
  let live = false;
  let threshold: u32 = 0;
  let staleCheck = false;
  let failures: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const space = load<u32>(batchSpaceBase + (<usize>i << 2));
    const iova = load<u64>(batchIovaBase + (<usize>i << 3));
    const access = load<u32>(batchAccessBase + (<usize>i << 2));
    if (space != lastSpace) {
      lastSpace = space;
      live = spaceValid(space);
      if (live) {
        threshold = translationThreshold(space);
        staleCheck = (load<u8>(spaceAt(space) + S_FLAGS) & FLAG_STALE_CHECK) != 0;
      }
    }
    let status: u32;
    if (!live) {
      status = STATUS_BAD_SPACE;
      outAddr = 0;
    } else {
      // Re-read the size mask: a miss in this batch may have added a page size.
      const sizeMask = load<u64>(spaceAt(space) + S_SIZE_MASK);
      status = translateWith(space, iova, access, threshold, sizeMask, base, setMask, ways, lru, staleCheck);
    }
    if (status) failures++;
    store<u64>(batchOutBase + (<usize>i << 3), outAddr);
    store<u32>(batchStatusBase + (<usize>i << 2), status);
  }
  flushHitCounters(n);
  return failures;
}

/**
 * Per-access translation with plain numbers: the IOVA as two u32 halves. Returns
 * the output address (exact: physical addresses are below 2^52) or -status.
 */
export function translateOne(space: u32, iovaLow: u32, iovaHigh: u32, access: u32): f64 {
  if (!spaceValid(space)) return -<f64>STATUS_BAD_SPACE;
  const iova = (<u64>iovaHigh << 32) | iovaLow;
  const desc = descAt(CACHE_IOTLB);
  const sp = spaceAt(space);
  const status = translateWith(
    space, iova, access, translationThreshold(space), load<u64>(sp + S_SIZE_MASK),
    <usize>load<u32>(desc + D_BASE), load<u32>(desc + D_SET_MASK), load<u32>(desc + D_WAYS),
    load<u32>(desc + D_POLICY) == POLICY_LRU, (load<u8>(sp + S_FLAGS) & FLAG_STALE_CHECK) != 0,
  );
  flushHitCounters(1);
  return status ? -<f64>status : <f64>outAddr;
}

/** Walk details of the last miss, for callers that want more than the address. */
export function lastPerms(): u32 { return resPerms; }
export function lastShift(): u32 { return resShift; }
export function lastLevel(): u32 { return resLevel; }
export function lastGpa(): u64 { return resGpa; }
export function lastFault(): u32 { return resFault; }
