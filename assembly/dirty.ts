// Reading and clearing the dirty bits of a range of a single-stage space: what
// IOMMU_HWPT_GET_DIRTY_BITMAP asks of a driver's page table. The scan follows the
// table structure, so an absent subtree costs one entry read whatever it spans, and
// each present leaf is visited once; a dirty one sets the bitmap bits of every page
// (of the caller's page size) it overlaps. One call fills at most the scratch bitmap
// below and says how much of the range it covered; the caller continues from there.
//
// It never follows what the walker would fault on: an unreadable table page (not
// backed, or at or above 2^paBits) or an entry with a reserved bit is skipped with
// what it maps, and counted. It writes only D bits, never A, never a cache, never a
// counter. Clearing D does not invalidate: an IOTLB entry filled from a dirty leaf
// still grants W, so a write it serves would not set D again; the caller invalidates
// the range after clearing, as the kernel's caller flushes the IOTLB
// (docs/formats.md, "Reading dirty bits").
//
// Guest tables may share pages, point back at an ancestor or at themselves: a scan
// that re-walked every path would read 512^levels entries for one self-referencing
// root (a clear of such a space ran for minutes). So each table page is scanned at
// most once per call at each level over its whole span: the first such visit is
// remembered (memo below) with what it found, and a later one replays that instead
// of reading the page again. The replay is exact, because within a call only D bits
// change and no D bit decides what an entry is: without clearing it sets the same
// pattern of bits at the new place and counts the same leaves; with clearing, the
// first visit cleared every dirty leaf it met (all inside the chunk), so a second
// finds none. Skips are counted again; the first skip is already recorded. A call
// thus reads at most 512 entries per (table page, level) it meets in full, plus the
// partial visits at the chunk's ends. Should the memo fill up (thousands of distinct
// table pages in one call), a budget of entry reads that no table of the engine's
// memory can reach without repeating a (page, level) stops the call instead: the rest
// of its chunk is skipped, with DIRTY_SKIP_WORK_LIMIT and the place it stopped.
import { spaceAt, spaceValid, S_FORMAT, S_LEVELS, S_PARENT, S_ROOT } from './spaces';
import { withFormat, UNKNOWN_FORMAT } from './formats/registry';
import { REASON_RESERVED, REASON_EXTERNAL } from './walker/codes';
import { classifyEntry, entryAddress, entryPointer, ENTRY_TABLE, ENTRY_LEAF, ENTRY_RESERVED } from './table-entry';
import { physFramesInUse } from './phys';

/** Flag: report without clearing (IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR). */
export const DIRTY_NO_CLEAR: u32 = 1;

export const DIRTY_BAD_SPACE: i64 = -1;
/** A nested space's tables are GPAs; only single-stage spaces are scanned. */
export const DIRTY_NESTED: i64 = -2;
/** Empty, not 4 KiB and page-size aligned, wrapping, or outside the format's input. */
export const DIRTY_BAD_RANGE: i64 = -3;
export const DIRTY_BAD_PAGE_SIZE: i64 = -4;
export const DIRTY_BAD_FLAGS: i64 = -5;

/** The scratch bitmap: 2^16 bits (8 KiB), so 256 MiB of 4 KiB pages per call. */
const BITMAP_SHIFT: u64 = 16;
const BITMAP_BYTES: i32 = 1 << 13;
const bitmapBase = memory.data(BITMAP_BYTES, 64);

// The call in progress.
/** Input address of bit 0, and log2 of the bitmap's page size. */
let bitBase: u64 = 0;
let pageShift: u64 = 0;
/** Last input address this call covers. */
let chunkLast: u64 = 0;
/** This call reaches the end of the caller's range: leaves crossing it are its to clear. */
let ownsTail = false;
let clearing = false;

// What the call found.
let dirtyCount: u32 = 0;
let skipCount: u32 = 0;
let skipReason: u32 = 0;
let skipLevel: u32 = 0;
let skipEntry: u64 = 0;
let skipInput: u64 = 0;

/** Skip reason of a call stopped by its work budget (not a fault reason: those stop at 5). */
export const DIRTY_SKIP_WORK_LIMIT: u32 = 16;

// Work of the call: entries read, the most it may read, and whether it stopped.
let reads: u64 = 0;
let readBudget: u64 = 0;
let stopped = false;

// The memo: (table page, level) -> the first full visit of this call, in open-addressed
// slots of 32 bytes: key (page | level + 1; 0 = never used), input address of the
// visit, dirty leaves and skips it counted, and the call stamp that makes it valid.
const MEMO_SLOT_BITS: u64 = 10;
const MEMO_SLOTS: u32 = 1 << <u32>MEMO_SLOT_BITS;
/** Fill no more than 3/4 of the slots, so probes stay short. */
const MEMO_LIMIT: u32 = MEMO_SLOTS - (MEMO_SLOTS >> 2);
const MEMO_SLOT: usize = 32;
const memoBase = memory.data(<i32>(MEMO_SLOTS * <u32>MEMO_SLOT), 64);
let memoStamp: u32 = 0;
let memoUsed: u32 = 0;

const M_KEY: usize = 0;
const M_BASE: usize = 8;
const M_DIRTY: usize = 16;
const M_SKIPS: usize = 20;
const M_STAMP: usize = 24;

function memoNewCall(): void {
  memoUsed = 0;
  if (++memoStamp == 0) {
    // Stamps wrapped: forget every slot of the last 2^32 calls.
    memory.fill(memoBase, 0, <usize>MEMO_SLOTS * MEMO_SLOT);
    memoStamp = 1;
  }
}

/** The slot holding `key` in this call, or the free slot where it would go. */
function memoSlot(key: u64): usize {
  let i = <u32>((key * 0x9E37_79B9_7F4A_7C15) >> (64 - MEMO_SLOT_BITS));
  while (true) {
    const slot = memoBase + <usize>i * MEMO_SLOT;
    if (load<u32>(slot + M_STAMP) != memoStamp || load<u64>(slot + M_KEY) == key) return slot;
    i = (i + 1) & (MEMO_SLOTS - 1);
  }
}

@inline function memoHit(slot: usize, key: u64): bool {
  return load<u32>(slot + M_STAMP) == memoStamp && load<u64>(slot + M_KEY) == key;
}

function memoPut(slot: usize, key: u64, base: u64, dirty: u32, skips: u32): void {
  store<u64>(slot + M_KEY, key);
  store<u64>(slot + M_BASE, base);
  store<u32>(slot + M_DIRTY, dirty);
  store<u32>(slot + M_SKIPS, skips);
  store<u32>(slot + M_STAMP, memoStamp);
  memoUsed++;
}

@inline function getBit(bit: u32): bool {
  return (load<u8>(bitmapBase + (bit >> 3)) & (<u8>1 << <u8>(bit & 7))) != 0;
}

/**
 * Sets the bits of first..first+span-1 (a table's whole span, inside the chunk) as the
 * earlier visit of the same table at `base` set them.
 */
function replayBits(base: u64, first: u64, last: u64): void {
  if ((last - first) >> pageShift == 0) {
    // The span is within one page: its bit is set (the visit found a dirty leaf).
    markPages(first, last);
    return;
  }
  let from = <u32>((base - bitBase) >> pageShift);
  let to = <u32>((first - bitBase) >> pageShift);
  let count = <u32>(((last - first) >> pageShift) + 1);
  // count is a power of two and to - from a multiple of it: at 8 bits or more both
  // start at the same bit of a byte, and whole bytes copy (nothing else sets bits here).
  while (count != 0 && ((to & 7) != 0 || count < 8)) {
    if (getBit(from)) setBit(to);
    from++; to++; count--;
  }
  const bytes = count >> 3;
  if (bytes) {
    memory.copy(bitmapBase + (to >> 3), bitmapBase + (from >> 3), bytes);
    from += bytes << 3; to += bytes << 3; count -= bytes << 3;
  }
  while (count != 0) {
    if (getBit(from)) setBit(to);
    from++; to++; count--;
  }
}

function skip(reason: u32, level: u32, entry: u64, input: u64): void {
  if (skipCount == 0) {
    skipReason = reason;
    skipLevel = level;
    skipEntry = entry;
    skipInput = input;
  }
  skipCount++;
}

@inline function setBit(bit: u32): void {
  const at = bitmapBase + (bit >> 3);
  store<u8>(at, load<u8>(at) | (<u8>1 << <u8>(bit & 7)));
}

/** Sets the bits of the pages holding input addresses first..last (both in this call's chunk). */
function markPages(first: u64, last: u64): void {
  let bit = <u32>((first - bitBase) >> pageShift);
  const end = <u32>((last - bitBase) >> pageShift);
  while (bit <= end && (bit & 7) != 0) setBit(bit++);
  if (bit > end) return;
  const bytes = (end + 1 - bit) >> 3;
  if (bytes) {
    memory.fill(bitmapBase + (bit >> 3), 0xFF, bytes);
    bit += bytes << 3;
  }
  while (bit <= end) setBit(bit++);
}

/**
 * A dirty leaf whose part in the chunk is first..last. A leaf reaching past the chunk
 * (a 1 GiB page read as 4 KiB bits) keeps its D for the next call, which reports the
 * rest of it; the call that reaches its end, or the end of the range, clears it and
 * counts it — so each dirty leaf is counted once over the calls of one range.
 */
@inline function dirtyLeaf<F>(f: F, ptr: usize, pte: u64, leafLast: u64, first: u64, last: u64): void {
  markPages(first, last);
  if (leafLast > chunkLast && !ownsTail) return;
  dirtyCount++;
  if (clearing) store<u64>(ptr, pte & ~f.dirtyBit());
}

/**
 * Scans input addresses first..last of the table at `level` that covers them; a visit
 * of the table's whole span is remembered, or replayed when the same page was visited
 * in full at the same level earlier in the call.
 */
function scanTable<F>(f: F, table: u64, level: u32, first: u64, last: u64): void {
  const tableMask = (<u64>1 << <u64>f.levelShift(level + 1)) - 1;
  if ((first & tableMask) != 0 || last != (first | tableMask)) {
    scanEntries(f, table, level, first, last);
    return;
  }
  // An unreadable page costs one read whatever it is: not worth a slot.
  if (!entryPointer(table)) {
    scanEntries(f, table, level, first, last);
    return;
  }
  const key = table + <u64>level + 1;
  const slot = memoSlot(key);
  if (memoHit(slot, key)) {
    const dirty = load<u32>(slot + M_DIRTY);
    skipCount += load<u32>(slot + M_SKIPS);
    // With clearing, the first visit left no dirty leaf here.
    if (!clearing && dirty != 0) {
      dirtyCount += dirty;
      replayBits(load<u64>(slot + M_BASE), first, last);
    }
    return;
  }
  const dirtyBefore = dirtyCount;
  const skipsBefore = skipCount;
  scanEntries(f, table, level, first, last);
  // A visit the budget cut short is not the table's whole story.
  if (!stopped && memoUsed < MEMO_LIMIT) memoPut(memoSlot(key), key, first, dirtyCount - dirtyBefore, skipCount - skipsBefore);
}

function scanEntries<F>(f: F, table: u64, level: u32, first: u64, last: u64): void {
  const spanMask = (<u64>1 << <u64>f.levelShift(level)) - 1;
  let at = first;
  while (true) {
    const entryLast = at | spanMask;
    const stop = last < entryLast ? last : entryLast;
    const entry = entryAddress(f, table, at, level);
    if (reads >= readBudget) {
      stopped = true;
      skip(DIRTY_SKIP_WORK_LIMIT, level, entry, at);
      return;
    }
    reads++;
    const ptr = entryPointer(entry);
    // Tables are one 4 KiB page: the rest of this one is unreadable too.
    if (!ptr) { skip(REASON_EXTERNAL, level, entry, at); return; }
    const pte = load<u64>(ptr);
    const kind = classifyEntry(f, pte, level);
    if (kind == ENTRY_TABLE) {
      scanTable(f, f.tableAddr(pte), level - 1, at, stop);
      if (stopped) return;
    }
    else if (kind == ENTRY_LEAF) { if (pte & f.dirtyBit()) dirtyLeaf(f, ptr, pte, entryLast, at, stop); }
    else if (kind == ENTRY_RESERVED) skip(REASON_RESERVED, level, entry, at);
    if (stop == last) return;
    at = stop + 1;
  }
}

function scanRange<F>(f: F, space: u32, iova: u64, size: u64, pageSize: u64, flags: u32): i64 {
  const sp = spaceAt(space);
  const levels = <u32>load<u8>(sp + S_LEVELS);
  const last = iova + size - 1;
  if (size == 0 || ((iova | size) & (0xFFF | (pageSize - 1))) != 0) return DIRTY_BAD_RANGE;
  if (last < iova || !f.rangeOk(iova, last, levels)) return DIRTY_BAD_RANGE;
  pageShift = <u64>ctz(pageSize);
  bitBase = iova;
  let chunk = size;
  if (pageShift + BITMAP_SHIFT < 64 && (size >> (pageShift + BITMAP_SHIFT)) != 0) chunk = <u64>1 << (pageShift + BITMAP_SHIFT);
  chunkLast = iova + chunk - 1;
  ownsTail = chunkLast == last;
  clearing = (flags & DIRTY_NO_CLEAR) == 0;
  dirtyCount = 0;
  skipCount = 0;
  // Without repeating a (page, level), a call reads at most 512 entries of each backed
  // table page at each level, the partial visits at both ends of the chunk included,
  // and one more per entry that points at an unreadable page.
  reads = 0;
  readBudget = <u64>1024 * <u64>levels * (<u64>physFramesInUse() + 2);
  stopped = false;
  memoNewCall();
  const bits = <u32>(chunk >> pageShift);
  memory.fill(bitmapBase, 0, (bits + 7) >> 3);
  // Bits 11:0 of a root are ignored, as the walker ignores them.
  scanTable(f, load<u64>(sp + S_ROOT) & ~0xFFF, levels - 1, iova, chunkLast);
  // At most 2^57 (the widest input range): positive as an i64.
  return <i64>chunk;
}

/**
 * Reports the dirty leaves of [iova, iova+size) of a single-stage space as a bitmap
 * over pages of `pageSize` bytes (bit i: [iova + i*pageSize, +pageSize)), clearing
 * their D bits unless `flags` has DIRTY_NO_CLEAR. Returns the bytes of the range this
 * call covered (from `iova`; the bitmap at dirtyBitmap() holds their bits) or a
 * negative DIRTY_* code. Leaves entries and counters as they were otherwise.
 */
export function readDirty(space: u32, iova: u64, size: u64, pageSize: u64, flags: u32): i64 {
  if (!spaceValid(space)) return DIRTY_BAD_SPACE;
  const sp = spaceAt(space);
  if (load<i32>(sp + S_PARENT) >= 0) return DIRTY_NESTED;
  if (flags & ~DIRTY_NO_CLEAR) return DIRTY_BAD_FLAGS;
  if (pageSize == 0 || (pageSize & (pageSize - 1)) != 0) return DIRTY_BAD_PAGE_SIZE;
  const rc = withFormat(load<u8>(sp + S_FORMAT), changetype<ScanRange>(0), space, iova, size, pageSize, flags);
  return rc == UNKNOWN_FORMAT ? DIRTY_BAD_SPACE : rc;
}

@final @unmanaged class ScanRange {
  @inline run<F>(f: F, space: u64, iova: u64, size: u64, pageSize: u64, flags: u64): i64 {
    return scanRange(f, <u32>space, iova, size, pageSize, <u32>flags);
  }
}

export function dirtyBitmap(): usize { return bitmapBase; }
export function dirtyLeaves(): u32 { return dirtyCount; }
export function dirtySkips(): u32 { return skipCount; }
export function dirtySkipReason(): u32 { return skipCount ? skipReason : 0; }
export function dirtySkipLevel(): u32 { return skipLevel; }
export function dirtySkipAddr(): u64 { return skipEntry; }
export function dirtySkipIova(): u64 { return skipInput; }
/** Entries the last call read (memo replays read none); not (yet) exported by the module. */
export function dirtyReads(): u64 { return reads; }
