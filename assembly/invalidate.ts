// Invalidation. Whole space / group / everything: a new epoch, O(1) whatever the
// cache size. A range: each page of each size the space has filled is probed
// (O(pages)) up to `rangeProbeLimit` probes, above which one sweep of the cache is
// cheaper. A range on a parent also drops, exactly, the nested table-cache entries
// and the combined IOTLB entries whose GPA falls in it.
import { CACHE_IOTLB, CACHE_NESTED_TABLE, batchSpaceBase, batchCapacity } from './layout';
import {
  spaceAt, spaceValid, groupAt, S_FORMAT, groupValid, nextEpoch, renewSpaceEpoch, setSpaceEpoch, sizeMaskOf, splitMaskOf, S_WALK_EPOCH, S_CHILDREN,
  globalEpochSet,
} from './spaces';
import { descAt, makeKey, setIndex, cacheDrop, cacheDropCovering, cacheSweepRange, cacheSweepNested, cacheEnabled, D_SET_MASK } from './cache';
import { withFormat } from './formats/registry';
import { count, countBy, C_INV_RANGE, C_INV_SPACE, C_INV_GROUP, C_INV_ALL, C_INV_PROBES, C_INV_SWEEPS } from './counters';

/** Probes above which a ranged invalidation sweeps the cache instead (set at creation). */
export let rangeProbeLimit: u64 = 64;
export function setRangeProbeLimit(limit: u32): void { rangeProbeLimit = limit ? limit : 1; }

@inline function pagesIn(first: u64, last: u64, shift: u64): u64 {
  return (last >> shift) - (first >> shift) + 1;
}

/** Probes every page of one size class in [first, last] in one cache; returns entries dropped. */
function probeRange(cache: u32, space: u32, first: u64, last: u64, sizeClass: u32, shift: u64): u32 {
  const desc = descAt(cache);
  const setMask = load<u32>(desc + D_SET_MASK);
  let dropped: u32 = 0;
  const end = last >> shift;
  let page = first >> shift;
  while (true) {
    dropped += cacheDrop(desc, setIndex(page, space, sizeClass, setMask), makeKey(page, sizeClass), space);
    if (page == end) break;
    page++;
  }
  countBy(C_INV_PROBES, pagesIn(first, last, shift));
  return dropped;
}

/**
 * probeRange over [from, to] for pieces of split stage-1 pages: drops each probed
 * entry whose own page or stage-1 page overlaps [first, last].
 */
function probeRangeCovering(cache: u32, space: u32, from: u64, to: u64, sizeClass: u32, shift: u64, first: u64, last: u64): u32 {
  const desc = descAt(cache);
  const setMask = load<u32>(desc + D_SET_MASK);
  let dropped: u32 = 0;
  const end = to >> shift;
  let page = from >> shift;
  while (true) {
    dropped += cacheDropCovering(desc, setIndex(page, space, sizeClass, setMask), makeKey(page, sizeClass), space, first, last);
    if (page == end) break;
    page++;
  }
  countBy(C_INV_PROBES, pagesIn(from, to, shift));
  return dropped;
}

/**
 * Drops the IOTLB entries of `space` that translate any of [first, last]. When the
 * space holds pieces of larger stage-1 pages (splitMaskOf), the probes reach out to
 * the whole stage-1 pages the range touches, so every piece of them goes too.
 */
function invalidateIotlbRange(space: u32, first: u64, last: u64): u32 {
  const sizeMask = sizeMaskOf(space);
  const split = splitMaskOf(space);
  const reach: u64 = split ? (<u64>1 << (<u64>(12 + 63) - clz(split))) - 1 : 0;
  const from = first & ~reach;
  const to = last | reach;
  let probes: u64 = 0;
  let mask = sizeMask;
  while (mask) {
    const sizeClass = <u32>ctz(mask);
    mask &= mask - 1;
    probes += pagesIn(from, to, <u64>(sizeClass + 12));
    if (probes > rangeProbeLimit) break;
  }
  if (probes > rangeProbeLimit) {
    count(C_INV_SWEEPS);
    return cacheSweepRange(CACHE_IOTLB, space, first, last);
  }
  let dropped: u32 = 0;
  mask = sizeMask;
  while (mask) {
    const sizeClass = <u32>ctz(mask);
    mask &= mask - 1;
    dropped += split
      ? probeRangeCovering(CACHE_IOTLB, space, from, to, sizeClass, <u64>(sizeClass + 12), first, last)
      : probeRange(CACHE_IOTLB, space, first, last, sizeClass, <u64>(sizeClass + 12));
  }
  return dropped;
}

/** Walk caches hold non-leaf entries per level: few pages per level cover any small range. */
function invalidateWalkCachesRange(space: u32, first: u64, last: u64): void {
  withFormat(load<u8>(spaceAt(space) + S_FORMAT), changetype<WalkCachesRange>(0), space, first, last, 0, 0);
}

/** The levels' spans come from the space's format. */
@final @unmanaged class WalkCachesRange {
  @inline run<F>(f: F, space: u64, first: u64, last: u64, d: u64, e: u64): i64 {
    for (let level: u32 = 1; level <= 4; level++) {
      const shift = <u64>f.levelShift(level);
      if (pagesIn(first, last, shift) > rangeProbeLimit) {
        store<u32>(spaceAt(<u32>space) + S_WALK_EPOCH, nextEpoch());
        return 0;
      }
      probeRange(level, <u32>space, first, last, level, shift);
    }
    return 0;
  }
}

/** Entries derived from this space's translations in its nested children. */
function invalidateChildrenRange(space: u32, first: u64, last: u64): void {
  if (cacheEnabled(CACHE_NESTED_TABLE)) {
    if (pagesIn(first, last, 12) > rangeProbeLimit) {
      count(C_INV_SWEEPS);
      cacheSweepRange(CACHE_NESTED_TABLE, space, first, last);
    } else {
      probeRange(CACHE_NESTED_TABLE, space, first, last, 0, 12);
    }
  }
  if (cacheEnabled(CACHE_IOTLB)) {
    count(C_INV_SWEEPS);
    cacheSweepNested(CACHE_IOTLB, space, first, last);
  }
}

/**
 * Invalidates the translations of `space` for [iova, iova+bytes). `leafOnly` says only
 * leaf entries changed (VT-d IH, SMMU Leaf, AMD PDE=0, RISC-V NL): walk caches stay.
 */
export function invalidateRange(space: u32, iova: u64, bytes: u64, leafOnly: bool): void {
  if (!spaceValid(space) || bytes == 0) return;
  count(C_INV_RANGE);
  let last = iova + bytes - 1;
  if (last < iova) last = 0xFFFF_FFFF_FFFF_FFFF;
  if (cacheEnabled(CACHE_IOTLB)) invalidateIotlbRange(space, iova, last);
  if (!leafOnly && cacheEnabled(1)) invalidateWalkCachesRange(space, iova, last);
  if (load<u32>(spaceAt(space) + S_CHILDREN)) invalidateChildrenRange(space, iova, last);
}

/** Everything cached for one space (and, through thresholds, its nested children). */
export function invalidateSpace(space: u32): void {
  if (!spaceValid(space)) return;
  count(C_INV_SPACE);
  renewSpaceEpoch(space);
}

/**
 * invalidateSpace for each of the first `count` ids in the batch ring's space column:
 * a queue of PASID invalidations in one call (ids that name no live space are
 * skipped, as invalidateSpace skips them). Returns how many ids were read.
 * Nothing is filled between them, so they share one fresh epoch: whatever any of
 * them cached carries an older stamp.
 */
export function invalidateSpaceList(count: u32): u32 {
  const n = count < batchCapacity ? count : batchCapacity;
  if (n == 0) return 0;
  const epoch = nextEpoch();
  let live: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const space = load<u32>(batchSpaceBase + (<usize>i << 2));
    if (!spaceValid(space)) continue;
    setSpaceEpoch(space, epoch);
    live++;
  }
  countBy(C_INV_SPACE, live);
  return n;
}

/** Only the walk caches of a space (a paging-structure-cache flush). */
export function invalidateWalkCaches(space: u32): void {
  if (!spaceValid(space)) return;
  store<u32>(spaceAt(space) + S_WALK_EPOCH, nextEpoch());
}

export function invalidateGroup(group: u32): void {
  if (!groupValid(group)) return;
  count(C_INV_GROUP);
  store<u32>(groupAt(group), nextEpoch());
}

export function invalidateAll(): void {
  count(C_INV_ALL);
  globalEpochSet(nextEpoch());
}
