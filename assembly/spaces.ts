// Spaces (translation contexts), groups (invalidated together) and the stamps that
// make whole-space, whole-group and global invalidation O(1).
//
// Every cache entry stores the stamp current when it was filled. Invalidating a
// space sets its epoch to a fresh stamp; an entry is valid only while its stamp is
// at least the space's threshold = max(global epoch, its epoch, its group's epoch,
// and the same for its parent). Nothing is scanned.
//
// The epochs live in a dense array (SPACE EPOCHS), not in the 64-byte records: a
// queue of PASID invalidations then stores to one line per 16 spaces, and after heavy
// DMA traffic has pushed the records out of the CPU cache it waits for far fewer
// lines. An invalidation writes nothing else: the record's page-size mask is cleared
// lazily (sizeMaskOf).
import { liveSpacesBase, spaceEpochsBase, spacesBase, maxSpaces, groupsBase, maxGroups, SPACE_RECORD, GROUP_RECORD } from './layout';
import { emptyAllCaches } from './cache';
import { count, C_EPOCH_WRAPS } from './counters';

// Space record field offsets.
export const S_FORMAT: u32 = 0;       // u8
export const S_LEVELS: u32 = 1;       // u8
export const S_FLAGS: u32 = 2;        // u8
export const S_PARENT: u32 = 4;       // i32, -1 = none
export const S_ROOT: u32 = 8;         // u64
export const S_GROUP: u32 = 16;       // u32
export const S_SIZE_MASK_STAMP: u32 = 20; // u32: stamp of the last S_SIZE_MASK write
export const S_WALK_EPOCH: u32 = 24;  // u32
export const S_ALLOCATOR: u32 = 28;   // u32
export const S_CHILDREN: u32 = 32;    // u32: nested spaces naming this one as parent
export const S_CTL: u32 = 36;         // u32: format control word
export const S_SIZE_MASK: u32 = 40;   // u64: page-size classes (log2 - 12) present in the IOTLB
export const S_SPLIT_MASK: u32 = 48;  // u64: classes of stage-1 pages the IOTLB holds in smaller pieces (same stamp)

// Bit 0 of S_FLAGS is unused: whether a space lives is its bit in the live-space bitmap.
export const FLAG_AD: u8 = 2;
export const FLAG_STALE_CHECK: u8 = 4;

export const NO_PARENT: i32 = -1;

/** The stamp given to fills; bumped by every invalidation that needs a new epoch. */
export let stampNow: u32 = 1;
/** Bumped whenever anything a walk reads from a space record may have changed. */
export let spaceGeneration: u32 = 0;

export function noteSpaceChange(): void { spaceGeneration++; }
export let globalEpoch: u32 = 0;

/** Above this the stamps are renumbered (every cache is emptied). */
const STAMP_LIMIT: u32 = 0xFFFF_FF00;

@inline export function spaceAt(space: u32): usize {
  return spacesBase + <usize>space * SPACE_RECORD;
}

@inline function spaceEpochAt(space: u32): usize {
  return spaceEpochsBase + (<usize>space << 2);
}

@inline export function spaceEpoch(space: u32): u32 {
  return load<u32>(spaceEpochAt(space));
}

/** A fresh epoch for `space`: everything cached for it (and its nested children) dies. */
export function renewSpaceEpoch(space: u32): void {
  setSpaceEpoch(space, nextEpoch());
}

/** Sets the epoch of `space` to `epoch`, a stamp nextEpoch handed out. */
@inline export function setSpaceEpoch(space: u32, epoch: u32): void {
  store<u32>(spaceEpochAt(space), epoch);
}

/**
 * The page-size classes (log2 - 12) the IOTLB may hold for `space`, which decide the
 * probes a lookup or a ranged invalidation makes. A mask last written before the
 * space's current epoch describes entries that epoch killed, so it reads as empty.
 */
export function sizeMaskOf(space: u32): u64 {
  const at = spaceAt(space);
  return load<u32>(at + S_SIZE_MASK_STAMP) < spaceEpoch(space) ? 0 : load<u64>(at + S_SIZE_MASK);
}

/** Records that the IOTLB now holds an entry of `sizeClass` for `space`. */
export function noteSizeClass(space: u32, sizeClass: u32): void {
  const at = spaceAt(space);
  // Both masks share the stamp: a stale one is emptied with the other.
  if (load<u32>(at + S_SIZE_MASK_STAMP) < spaceEpoch(space)) store<u64>(at + S_SPLIT_MASK, 0);
  store<u64>(at + S_SIZE_MASK, sizeMaskOf(space) | (<u64>1 << sizeClass));
  store<u32>(at + S_SIZE_MASK_STAMP, stampNow);
}

/**
 * The classes (log2 - 12) of stage-1 pages the IOTLB may hold for `space` as pieces
 * of a smaller size (a nested translation is cached at the smaller of its two page
 * sizes): a ranged invalidation must then reach every piece of each page it touches.
 */
export function splitMaskOf(space: u32): u64 {
  const at = spaceAt(space);
  return load<u32>(at + S_SIZE_MASK_STAMP) < spaceEpoch(space) ? 0 : load<u64>(at + S_SPLIT_MASK);
}

/** Records a piece of a stage-1 page of `originClass`; call right after noteSizeClass. */
export function noteSplitOrigin(space: u32, originClass: u32): void {
  const at = spaceAt(space);
  store<u64>(at + S_SPLIT_MASK, load<u64>(at + S_SPLIT_MASK) | (<u64>1 << originClass));
}

/** Forgets the page sizes of `space` at once (stamps renumbered: epochs start again from 0). */
export function clearSizeMask(space: u32): void {
  const at = spaceAt(space);
  store<u64>(at + S_SIZE_MASK, 0);
  store<u64>(at + S_SPLIT_MASK, 0);
  store<u32>(at + S_SIZE_MASK_STAMP, 0);
}

@inline export function groupAt(group: u32): usize {
  return groupsBase + <usize>group * GROUP_RECORD;
}

/**
 * Whether `space` names a live space. Read from a dense bitmap rather than the
 * 64-byte space record: the bitmap's few lines stay in the CPU cache (every space
 * change in a batch reads them), and an invalidation then touches no record at all
 * (it stores to the dense epoch array).
 */
export function spaceValid(space: u32): bool {
  return space < maxSpaces && ((load<u32>(liveSpacesBase + (<usize>(space >> 5) << 2)) >> (space & 31)) & 1) != 0;
}

/** Marks a space id live or free (space-table.ts: create and destroy). */
export function markSpaceLive(space: u32, live: bool): void {
  const at = liveSpacesBase + (<usize>(space >> 5) << 2);
  const bit: u32 = 1 << (space & 31);
  store<u32>(at, live ? load<u32>(at) | bit : load<u32>(at) & ~bit);
}

/**
 * The lowest live space id at or above `from`, or -1: a host lists its spaces with
 * one call per live space (one bitmap test per id in between, no record kept).
 */
export function nextLiveSpace(from: u32): i32 {
  for (let id = from; id < maxSpaces; id++) {
    if (spaceValid(id)) return <i32>id;
  }
  return -1;
}

export function groupValid(group: u32): bool {
  return group < maxGroups;
}

@inline function maxU32(a: u32, b: u32): u32 { return a > b ? a : b; }

/** Lowest stamp a cached translation of `space` must carry to be valid. */
export function translationThreshold(space: u32): u32 {
  const at = spaceAt(space);
  let t = maxU32(globalEpoch, spaceEpoch(space));
  t = maxU32(t, load<u32>(groupAt(load<u32>(at + S_GROUP))));
  const parent = load<i32>(at + S_PARENT);
  if (parent >= 0) {
    const p = spaceAt(<u32>parent);
    t = maxU32(t, spaceEpoch(<u32>parent));
    t = maxU32(t, load<u32>(groupAt(load<u32>(p + S_GROUP))));
  }
  return t;
}

/** Lowest stamp a walk-cache entry of `space` must carry. */
export function walkThreshold(space: u32): u32 {
  return maxU32(translationThreshold(space), load<u32>(spaceAt(space) + S_WALK_EPOCH));
}

/** A fresh stamp for an epoch; renumbers everything first when stamps run out. */
export function nextEpoch(): u32 {
  if (stampNow >= STAMP_LIMIT) renumberStamps();
  spaceGeneration++;
  stampNow++;
  return stampNow;
}

function renumberStamps(): void {
  count(C_EPOCH_WRAPS);
  emptyAllCaches();
  for (let s: u32 = 0; s < maxSpaces; s++) {
    store<u32>(spaceEpochAt(s), 0);
    store<u32>(spaceAt(s) + S_WALK_EPOCH, 0);
    clearSizeMask(s);
  }
  for (let g: u32 = 0; g < maxGroups; g++) store<u32>(groupAt(g), 0);
  globalEpoch = 0;
  stampNow = 1;
}

export function globalEpochSet(epoch: u32): void { globalEpoch = epoch; }

/** Test hook: jump the stamp close to its limit so renumbering can be exercised. */
export function debugSetStamp(value: u32): void { stampNow = value; }
