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
import { spaceAt, spaceValid, S_FORMAT, S_LEVELS, S_PARENT, S_ROOT } from './spaces';
import { FORMAT_X86_64 } from './formats/ids';
import { X86_64_FORMAT } from './formats/x86-64';
import { VTD_SS_FORMAT } from './formats/vtd-ss';
import { levelShift } from './formats/common';
import { REASON_RESERVED, REASON_EXTERNAL } from './walker/codes';
import { classifyEntry, entryAddress, entryPointer, ENTRY_TABLE, ENTRY_LEAF, ENTRY_RESERVED } from './table-entry';

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

/** Scans input addresses first..last of the table at `level` that covers them. */
function scanTable<F>(f: F, table: u64, level: u32, first: u64, last: u64): void {
  const spanMask = (<u64>1 << <u64>levelShift(level)) - 1;
  let at = first;
  while (true) {
    const entryLast = at | spanMask;
    const stop = last < entryLast ? last : entryLast;
    const entry = entryAddress(table, at, level);
    const ptr = entryPointer(entry);
    // Tables are one 4 KiB page: the rest of this one is unreadable too.
    if (!ptr) { skip(REASON_EXTERNAL, level, entry, at); return; }
    const pte = load<u64>(ptr);
    const kind = classifyEntry(f, pte, level);
    if (kind == ENTRY_TABLE) scanTable(f, f.tableAddr(pte), level - 1, at, stop);
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
  if (load<u8>(sp + S_FORMAT) == FORMAT_X86_64) return scanRange(X86_64_FORMAT, space, iova, size, pageSize, flags);
  return scanRange(VTD_SS_FORMAT, space, iova, size, pageSize, flags);
}

export function dirtyBitmap(): usize { return bitmapBase; }
export function dirtyLeaves(): u32 { return dirtyCount; }
export function dirtySkips(): u32 { return skipCount; }
export function dirtySkipReason(): u32 { return skipCount ? skipReason : 0; }
export function dirtySkipLevel(): u32 { return skipLevel; }
export function dirtySkipAddr(): u64 { return skipEntry; }
export function dirtySkipIova(): u64 { return skipInput; }
