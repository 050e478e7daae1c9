// Translation: the inlined IOTLB probe (hot) and, for the requests that miss, walks
// on up to `walkers` lanes at once (walker/lane.ts), then fills the IOTLB.
//
// Misses are gathered in request order and walked together, like a hardware walker
// with several slots: consecutive misses of one space (up to `walkers`) form a group;
// a miss in a region a lane is already walking waits for the group (pageInFlight).
import {
  batchCapacity, batchIovaBase, batchSpaceBase, batchAccessBase, batchOutBase, batchStatusBase,
  CACHE_IOTLB, CACHE_ENTRY,
} from './layout';
import {
  spaceAt, spaceValid, translationThreshold, stampNow, S_PARENT, S_FLAGS, sizeMaskOf, noteSizeClass, noteSplitOrigin, FLAG_STALE_CHECK,
} from './spaces';
import {
  descAt, makeKey, setIndex, cacheInsert, moveToFront, D_BASE, D_SET_MASK, D_WAYS, D_POLICY, POLICY_LRU,
  E_KEY, E_SPACE, E_STAMP, E_VALUE, AUX_ORIGIN_SHIFT,
} from './cache';
import {
  walkerLanes, SINGLE_SLOT, laneAt, setLane, L_INPUT, L_ACCESS, L_INDEX,
  R_FAULT, R_STAGE, R_LEVEL, R_PERMS, R_ADDR, R_GPA, R_SHIFT, R_WRITABLE, R_ORIGIN,
} from './walker/lane';
import { runLanes, walkOnce } from './walker/run';
import { WALK_CACHES, WALK_WRITE_AD } from './walker/codes';
import { PERM_W } from './formats/common';
import { recordFault } from './faults';
import { hitRun, runMissAt, forgetRunMiss } from './hit-run';
import {
  count, countBy, C_LOOKUPS, C_HITS, C_HITS_4K, C_HITS_2M, C_HITS_1G, C_HITS_OTHER, C_MISSES,
  C_WALKS, C_FAULTS, C_FAULT_TRANSLATION, C_IOTLB_FILLS, C_IOTLB_EVICTIONS, C_STALE_HITS,
  saveCounters, restoreCounters,
} from './counters';

/** Status of a request that named no live space (an API misuse, never a walk). */
export const STATUS_BAD_SPACE: u32 = 7;
/** Fault-ring reason for a stale hit found by the stale-translation check. */
export const REASON_STALE: u32 = 6;

/** Status word: reason | stage << 8 | level << 16 (0 = translated). */
@inline function statusOf(reason: u32, stage: u32, level: u32): u32 {
  return reason | (stage << 8) | (level << 16);
}

/** The lane whose result the last* getters report. */
let lastLane: usize = laneAt(SINGLE_SLOT);

/** Fills the IOTLB (which has ways) with the lane's translation. */
function fillIotlb(lane: usize, space: u32, iova: u64): void {
  const desc = descAt(CACHE_IOTLB);
  const shiftBits = load<u32>(lane + R_SHIFT);
  const shift = <u64>shiftBits;
  const sizeClass = shiftBits - 12;
  const page = iova >> shift;
  const offsetMask = (<u64>1 << shift) - 1;
  const perms = load<u32>(lane + R_PERMS);
  const value = (load<u64>(lane + R_ADDR) & ~offsetMask) | (load<u32>(lane + R_WRITABLE) ? perms : perms & ~PERM_W);
  const nested = load<i32>(spaceAt(space) + S_PARENT) >= 0;
  // A piece of a larger stage-1 page keeps that page's class (aux bits 6:1), so an
  // invalidation of any address in the page finds it (cache.ts, originRange).
  const origin = load<u32>(lane + R_ORIGIN);
  const split = nested && origin > shiftBits;
  const aux: u64 = nested ? (load<u64>(lane + R_GPA) & ~offsetMask) | (split ? <u64>(origin - 12) << AUX_ORIGIN_SHIFT : 0) | 1 : 0;
  const set = setIndex(page, space, sizeClass, load<u32>(desc + D_SET_MASK));
  if (cacheInsert(desc, set, makeKey(page, sizeClass), space, stampNow, value, aux)) count(C_IOTLB_EVICTIONS);
  count(C_IOTLB_FILLS);
  noteSizeClass(space, sizeClass);
  if (split) noteSplitOrigin(space, origin - 12);
}

/** Re-walks a hit without caches or A/D writes and counts a disagreement as a stale hit. */
function checkStale(space: u32, iova: u64, access: u32, cachedAddr: u64): void {
  // The check's own walk is not a device translation: keep it out of the counters.
  saveCounters();
  const reason = walkOnce(space, iova, access, 0);
  restoreCounters();
  if (reason == 0 && load<u64>(laneAt(SINGLE_SLOT) + R_ADDR) == cachedAddr) return;
  count(C_STALE_HITS);
  recordFault(iova, cachedAddr, space, REASON_STALE, 0, 0, access);
}

// Per-call hit counters, added to the global counters once per call.
let hits4k: u32 = 0;
let hits2m: u32 = 0;
let hits1g: u32 = 0;
let hitsOther: u32 = 0;
let misses: u32 = 0;

@inline function countHits(sizeClass: u32, n: u32): void {
  if (sizeClass == 0) hits4k += n;
  else if (sizeClass == 9) hits2m += n;
  else if (sizeClass == 18) hits1g += n;
  else hitsOther += n;
}

function flushHitCounters(lookups: u32): void {
  countBy(C_LOOKUPS, lookups);
  countBy(C_HITS, hits4k + hits2m + hits1g + hitsOther);
  countBy(C_HITS_4K, hits4k);
  countBy(C_HITS_2M, hits2m);
  countBy(C_HITS_1G, hits1g);
  countBy(C_HITS_OTHER, hitsOther);
  countBy(C_MISSES, misses);
  countBy(C_WALKS, misses);
  hits4k = 0; hits2m = 0; hits1g = 0; hitsOther = 0; misses = 0;
}

/** Output of the last IOTLB hit. */
let hitAddr: u64 = 0;

/**
 * Looks `iova` up for every page size the space has filled. True on a hit whose
 * permissions cover the access (output in hitAddr); a hit that does not cover it
 * is a miss, so the walk reports the exact fault or sets D.
 */
@inline function probeIotlb(
  space: u32, iova: u64, access: u32, threshold: u32, sizeMask: u64,
  base: usize, setMask: u32, ways: u32, lru: bool,
): bool {
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
      if ((<u32>value & access) != access) return false;
      if (lru && way != 0) moveToFront(first, at);
      hitAddr = (value & ~0xFFF) | (iova & ((<u64>1 << shift) - 1));
      countHits(sizeClass, 1);
      return true;
    }
  }
  return false;
}

/** Walks the `lanes` misses gathered for `space` and delivers their results; returns how many faulted. */
function walkGroup(space: u32, lanes: u32, outBase: usize, statusBase: usize): u32 {
  runLanes(space, WALK_CACHES | WALK_WRITE_AD, 0, lanes);
  const fills = load<u32>(descAt(CACHE_IOTLB) + D_WAYS) != 0;
  let failures: u32 = 0;
  for (let slot: u32 = 0; slot < lanes; slot++) {
    const lane = laneAt(slot);
    const index = load<u32>(lane + L_INDEX);
    const iova = load<u64>(lane + L_INPUT);
    const reason = load<u32>(lane + R_FAULT);
    if (reason) {
      failures++;
      count(C_FAULTS);
      count(C_FAULT_TRANSLATION + reason - 1);
      const stage = load<u32>(lane + R_STAGE);
      const level = load<u32>(lane + R_LEVEL);
      recordFault(iova, load<u64>(lane + R_ADDR), space, reason, stage, level, load<u32>(lane + L_ACCESS));
      store<u64>(outBase + (<usize>index << 3), 0);
      store<u32>(statusBase + (<usize>index << 2), statusOf(reason, stage, level));
    } else {
      store<u64>(outBase + (<usize>index << 3), load<u64>(lane + R_ADDR));
      store<u32>(statusBase + (<usize>index << 2), 0);
      if (fills) fillIotlb(lane, space, iova);
    }
    lastLane = lane;
  }
  return failures;
}

/**
 * Whether a lane of the current group already walks the region of `iova` that a
 * translation of the space's largest cached page size would cover (4 KiB before
 * any fill): a second miss there would most likely walk to the same entry, so it
 * waits for the group and is looked up again. `region` is regionBit(iova, regionShift).
 */
@inline function pageInFlight(lanes: u32, iova: u64, regionShift: u64, region: u64, inFlight: u64): bool {
  // The group's regions as a 64-bit filter: most misses are ruled out without a scan.
  if (!(inFlight & region)) return false;
  for (let slot: u32 = 0; slot < lanes; slot++) {
    if (((load<u64>(laneAt(slot) + L_INPUT) ^ iova) >> regionShift) == 0) return true;
  }
  return false;
}

/** The filter bit of `iova`'s region (a multiplicative hash of the region number). */
@inline function regionBit(iova: u64, regionShift: u64): u64 {
  return <u64>1 << (((iova >> regionShift) * 0x9E3779B97F4A7C15) >> 58);
}

/** log2 of the region pageInFlight compares: the largest page size in `sizeMask`. */
@inline function regionShiftOf(sizeMask: u64): u64 {
  return sizeMask ? <u64>(12 + 63) - clz(sizeMask) : 12;
}

/**
 * Translates `count` requests (struct of arrays: iova u64, space u32, access u32 in;
 * address u64 and status u32 out). Returns the number that did not translate.
 *
 * A miss in a region that a lane of the current group is already walking does not
 * walk it again: the group is walked first and the request looked up once more (a
 * hit, as it would be had the requests come one at a time); so is the miss that finds
 * the group full or of another space. Results and fault records stay in request order.
 */
function translateRequests(
  count: u32, iovaBase: usize, spaceBase: usize, accessBase: usize, outBase: usize, statusBase: usize,
): u32 {
  const desc = descAt(CACHE_IOTLB);
  const base = <usize>load<u32>(desc + D_BASE);
  const setMask = load<u32>(desc + D_SET_MASK);
  const ways = load<u32>(desc + D_WAYS);
  if (!ways) return translateUncached(count, iovaBase, spaceBase, accessBase, outBase, statusBase);
  const lru = load<u32>(desc + D_POLICY) == POLICY_LRU;
  let lastSpace: u32 = 0xFFFF_FFFF;
  let live = false;
  let threshold: u32 = 0;
  let staleCheck = false;
  // The page sizes the space has in the IOTLB; only a walk (walkGroup) adds to them.
  let sizeMask: u64 = 0;
  let failures: u32 = 0;
  let lanes: u32 = 0;
  /** Filter of the regions the group's lanes walk (regionBit). */
  let inFlight: u64 = 0;
  let groupSpace: u32 = 0;
  let i: u32 = 0;
  forgetRunMiss();
  while (i < count) {
    const space = load<u32>(spaceBase + (<usize>i << 2));
    const iova = load<u64>(iovaBase + (<usize>i << 3));
    const access = load<u32>(accessBase + (<usize>i << 2));
    if (space != lastSpace) {
      lastSpace = space;
      live = spaceValid(space);
      if (live) {
        threshold = translationThreshold(space);
        staleCheck = (load<u8>(spaceAt(space) + S_FLAGS) & FLAG_STALE_CHECK) != 0;
        sizeMask = sizeMaskOf(space);
      }
    }
    if (!live) {
      refuseRequest(i, outBase, statusBase);
      failures++;
      i++;
      continue;
    }
    // One page size and no stale check: the tight hit loop takes every hit from here on.
    if (!staleCheck && sizeMask && !(sizeMask & (sizeMask - 1)) && i != runMissAt) {
      const sizeClass = <u32>ctz(sizeMask);
      const next = hitRun(i, count, space, threshold, sizeClass, iovaBase, spaceBase, accessBase, outBase, statusBase, base, setMask, ways, lru);
      if (next != i) {
        countHits(sizeClass, next - i);
        i = next;
        continue;
      }
    }
    if (i != runMissAt && probeIotlb(space, iova, access, threshold, sizeMask, base, setMask, ways, lru)) {
      store<u64>(outBase + (<usize>i << 3), hitAddr);
      store<u32>(statusBase + (<usize>i << 2), 0);
      if (staleCheck) {
        // Keep the fault ring in request order: earlier misses report first.
        if (lanes) {
          failures += walkGroup(groupSpace, lanes, outBase, statusBase);
          forgetRunMiss();
          lanes = 0;
          inFlight = 0;
          sizeMask = sizeMaskOf(space);
        }
        checkStale(space, iova, access, hitAddr);
      }
      i++;
      continue;
    }
    // A group holds misses of one space, at most walkerLanes, in distinct regions.
    const regionShift = regionShiftOf(sizeMask);
    const region = regionBit(iova, regionShift);
    if (lanes && (lanes == walkerLanes || space != groupSpace || pageInFlight(lanes, iova, regionShift, region, inFlight))) {
      failures += walkGroup(groupSpace, lanes, outBase, statusBase);
      forgetRunMiss();
      lanes = 0;
      inFlight = 0;
      sizeMask = sizeMaskOf(space);
      // Looked up again now that the group's walks have filled the IOTLB, as it would
      // be had the requests come one at a time.
      continue;
    }
    misses++;
    groupSpace = space;
    setLane(laneAt(lanes), iova, access, i);
    inFlight |= region;
    lanes++;
    i++;
  }
  if (lanes) failures += walkGroup(groupSpace, lanes, outBase, statusBase);
  flushHitCounters(count);
  return failures;
}

/**
 * translateRequests for an engine without an IOTLB: every request of a live space is
 * a miss, grouped exactly as translateRequests groups misses (a request that waits
 * for the group finds nothing cached afterwards and joins the next one), without
 * the lookups that would find nothing.
 */
function translateUncached(
  count: u32, iovaBase: usize, spaceBase: usize, accessBase: usize, outBase: usize, statusBase: usize,
): u32 {
  // Nothing is ever filled, so the space's page-size mask stays empty: 4 KiB regions.
  const regionShift = regionShiftOf(0);
  let lastSpace: u32 = 0xFFFF_FFFF;
  let live = false;
  let failures: u32 = 0;
  let lanes: u32 = 0;
  let inFlight: u64 = 0;
  let groupSpace: u32 = 0;
  let i: u32 = 0;
  while (i < count) {
    const space = load<u32>(spaceBase + (<usize>i << 2));
    if (space != lastSpace) {
      lastSpace = space;
      live = spaceValid(space);
    }
    if (!live) {
      refuseRequest(i, outBase, statusBase);
      failures++;
      i++;
      continue;
    }
    const iova = load<u64>(iovaBase + (<usize>i << 3));
    const region = regionBit(iova, regionShift);
    if (lanes && (lanes == walkerLanes || space != groupSpace || pageInFlight(lanes, iova, regionShift, region, inFlight))) {
      failures += walkGroup(groupSpace, lanes, outBase, statusBase);
      lanes = 0;
      inFlight = 0;
      continue;
    }
    misses++;
    groupSpace = space;
    setLane(laneAt(lanes), iova, load<u32>(accessBase + (<usize>i << 2)), i);
    inFlight |= region;
    lanes++;
    i++;
  }
  if (lanes) failures += walkGroup(groupSpace, lanes, outBase, statusBase);
  flushHitCounters(count);
  return failures;
}

/** A request that names no live space: no output, STATUS_BAD_SPACE. */
@inline function refuseRequest(i: u32, outBase: usize, statusBase: usize): void {
  store<u64>(outBase + (<usize>i << 3), 0);
  store<u32>(statusBase + (<usize>i << 2), STATUS_BAD_SPACE);
}

/** Translates the first `count` requests of the batch ring. */
export function translateBatch(count: u32): u32 {
  const n = count < batchCapacity ? count : batchCapacity;
  return translateRequests(n, batchIovaBase, batchSpaceBase, batchAccessBase, batchOutBase, batchStatusBase);
}

// One-request ring for the per-access API.
const oneIova = memory.data(8, 8);
const oneSpace = memory.data(4, 4);
const oneAccess = memory.data(4, 4);
const oneOut = memory.data(8, 8);
const oneStatus = memory.data(4, 4);

/**
 * Per-access translation with plain numbers: the IOVA as two u32 halves. Returns
 * the output address (exact: physical addresses are below 2^52) or -status.
 */
export function translateOne(space: u32, iovaLow: u32, iovaHigh: u32, access: u32): f64 {
  store<u64>(oneIova, (<u64>iovaHigh << 32) | iovaLow);
  store<u32>(oneSpace, space);
  store<u32>(oneAccess, access);
  translateRequests(1, oneIova, oneSpace, oneAccess, oneOut, oneStatus);
  const status = load<u32>(oneStatus);
  return status ? -<f64>status : <f64>load<u64>(oneOut);
}

/** One walk with no IOTLB (flags: WALK_CACHES, WALK_WRITE_AD); details via the last* getters. */
export function walkDetailed(space: u32, iova: u64, access: u32, flags: u32): u32 {
  lastLane = laneAt(SINGLE_SLOT);
  // An inspection walk is not a device translation: keep it out of the counters.
  saveCounters();
  const reason = walkOnce(space, iova, access, flags);
  restoreCounters();
  return reason;
}

export function lastPerms(): u32 { return load<u32>(lastLane + R_PERMS); }
export function lastShift(): u32 { return load<u32>(lastLane + R_SHIFT); }
export function lastLevel(): u32 { return load<u32>(lastLane + R_LEVEL); }
export function lastGpa(): u64 { return load<u64>(lastLane + R_GPA); }
export function lastFault(): u32 { return load<u32>(lastLane + R_FAULT); }
export function lastAddr(): u64 { return load<u64>(lastLane + R_ADDR); }
export function lastStage(): u32 { return load<u32>(lastLane + R_STAGE); }
