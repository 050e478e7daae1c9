// The builder: map and unmap ranges into tables the engine owns, the way a kernel's
// io-pgtable code does. Picks the largest page the alignment and length allow,
// splits a large page on a partial unmap and frees tables that become empty. It
// follows and frees only tables the space's allocator handed to that space: the
// tables may sit in guest RAM, where a guest can rewrite any pointer. It never
// touches a cache: invalidation is the caller's job, as it is a driver's.
import { paBits } from './layout';
import { spaceAt, S_LEVELS, S_ROOT, S_ALLOCATOR, S_PARENT, S_FLAGS, FLAG_AD } from './spaces';
import { allocTable, freeTable, tableOwned, hostFrameFor, allocFailure, NO_PAGE, ALLOC_NO_RECORDS } from './allocators';
import { count, C_PAGES_SPLIT } from './counters';

export const BUILD_OK: i32 = 0;
export const BUILD_EXISTS: i32 = -1;
export const BUILD_NO_MEMORY: i32 = -2;
export const BUILD_BAD_RANGE: i32 = -3;
export const BUILD_BAD_SPACE: i32 = -4;
/**
 * A table pointer in the space's tables names a page its allocator did not hand to
 * the space (a double free or a foreign page: somebody rewrote an engine-owned table,
 * e.g. a guest writing the stage-1 tables in its RAM). The builder neither follows
 * nor frees such a page.
 */
export const BUILD_BAD_TABLE: i32 = -5;
/** The table-record region (engine metadata for table pages) is full. */
export const BUILD_NO_RECORDS: i32 = -6;

/** Set when a split during unmap could not get a table page. */
let unmapOutOfMemory = false;
/** Set when unmap met a table pointer the space does not own. */
let unmapBadTable = false;

/** The code for an allocTable that returned NO_PAGE. */
@inline function noPage(): i32 {
  return allocFailure == ALLOC_NO_RECORDS ? BUILD_NO_RECORDS : BUILD_NO_MEMORY;
}

@inline function tableSpaceOf(space: u32): i32 { return load<i32>(spaceAt(space) + S_PARENT); }

/** Whether the space's hardware A/D update is on (a format may encode leaves for it). */
@inline function hardwareAdOf(space: u32): bool { return (load<u8>(spaceAt(space) + S_FLAGS) & FLAG_AD) != 0; }

/** Largest leaf level whose page fits the alignment of `iova` and `pa` and the remaining length. */
function leafLevelFor<F>(f: F, iova: u64, pa: u64, remaining: u64, levels: u32): u32 {
  let level: u32 = levels - 1;
  while (level > 0) {
    const span = <u64>1 << <u64>f.levelShift(level);
    if (f.canLeaf(level) && ((iova | pa) & (span - 1)) == 0 && remaining >= span) break;
    level--;
  }
  return level;
}

function mapPage<F>(f: F, space: u32, iova: u64, pa: u64, leafLevel: u32, perms: u32): i32 {
  const sp = spaceAt(space);
  const tableSpace = tableSpaceOf(space);
  const allocator = load<u32>(sp + S_ALLOCATOR);
  let table = load<u64>(sp + S_ROOT);
  let level = <u32>load<u8>(sp + S_LEVELS) - 1;
  while (true) {
    const frame = hostFrameFor(tableSpace, table);
    if (!frame) return BUILD_NO_MEMORY;
    const slot = frame + (<usize>f.index(iova, level) << 3);
    const pte = load<u64>(slot);
    if (level == leafLevel) {
      if (f.present(pte)) return BUILD_EXISTS;
      store<u64>(slot, f.makeLeaf(pa, level, perms, hardwareAdOf(space)));
      return BUILD_OK;
    }
    if (!f.present(pte)) {
      const child = allocTable(allocator, space);
      if (child == NO_PAGE) return noPage();
      store<u64>(slot, f.makeTable(child));
      table = child;
    } else {
      if (f.isLeaf(pte, level)) return BUILD_EXISTS;
      table = f.tableAddr(pte);
      if (!tableOwned(allocator, space, table)) return BUILD_BAD_TABLE;
    }
    level--;
  }
}

/** Maps [iova, iova+size) to [pa, pa+size). On failure nothing new stays mapped. */
export function mapRange<F>(f: F, space: u32, iova: u64, pa: u64, size: u64, perms: u32): i32 {
  const levels = <u32>load<u8>(spaceAt(space) + S_LEVELS);
  if (!f.mappable(perms) || size == 0 || ((iova | pa | size) & 0xFFF) != 0) return BUILD_BAD_RANGE;
  const last = iova + size - 1;
  if (last < iova || pa + size - 1 < pa || !f.rangeOk(iova, last, levels)) return BUILD_BAD_RANGE;
  if ((pa + size - 1) >> <u64>paBits) return BUILD_BAD_RANGE;
  let done: u64 = 0;
  while (done < size) {
    const level = leafLevelFor(f, iova + done, pa + done, size - done, levels);
    const result = mapPage(f, space, iova + done, pa + done, level, perms);
    if (result != BUILD_OK) {
      if (done) unmapRange(f, space, iova, done);
      return result;
    }
    done += <u64>1 << <u64>f.levelShift(level);
  }
  return BUILD_OK;
}

function tableIsEmpty<F>(f: F, frame: usize): bool {
  for (let i: usize = 0; i < <usize>f.tableEntries(); i++) if (f.present(load<u64>(frame + (i << 3)))) return false;
  return true;
}

/** Replaces a large leaf by a table of 512 leaves one level down with the same permissions. */
function splitLeaf<F>(f: F, tableSpace: i32, allocator: u32, space: u32, slot: usize, pte: u64, level: u32): bool {
  const child = allocTable(allocator, space);
  if (child == NO_PAGE) return false;
  const frame = hostFrameFor(tableSpace, child);
  if (!frame) return false;
  const base = f.leafAddr(pte, level);
  const perms = f.perms(pte);
  const span = <u64>1 << <u64>f.levelShift(level - 1);
  for (let i: u64 = 0; i < <u64>f.tableEntries(); i++) {
    store<u64>(frame + (<usize>i << 3), f.makeLeaf(base + i * span, level - 1, perms, hardwareAdOf(space)));
  }
  store<u64>(slot, f.makeTable(child));
  count(C_PAGES_SPLIT);
  return true;
}

/** Unmaps [first, last] within the table at `level` covering them; returns the bytes unmapped. */
function unmapIn<F>(f: F, tableSpace: i32, allocator: u32, space: u32, table: u64, level: u32, first: u64, last: u64): u64 {
  const frame = hostFrameFor(tableSpace, table);
  if (!frame) return 0;
  const shift = <u64>f.levelShift(level);
  const span = <u64>1 << shift;
  let unmapped: u64 = 0;
  let at = first;
  while (true) {
    const entryStart = at & ~(span - 1);
    const entryLast = entryStart + (span - 1);
    const chunkLast = last < entryLast ? last : entryLast;
    const slot = frame + (<usize>f.index(at, level) << 3);
    const pte = load<u64>(slot);
    if (f.present(pte)) {
      let descend = !f.isLeaf(pte, level);
      if (!descend) {
        if (at == entryStart && chunkLast == entryLast) {
          store<u64>(slot, 0);
          unmapped += span;
        } else if (splitLeaf(f, tableSpace, allocator, space, slot, pte, level)) {
          descend = true;
        } else {
          unmapOutOfMemory = true;
        }
      }
      if (descend) {
        const child = f.tableAddr(load<u64>(slot));
        if (!tableOwned(allocator, space, child)) {
          unmapBadTable = true;
        } else {
          unmapped += unmapIn(f, tableSpace, allocator, space, child, level - 1, at, chunkLast);
          // An unreachable child stays linked: whether it is empty cannot be known.
          const childFrame = hostFrameFor(tableSpace, child);
          if (childFrame && tableIsEmpty(f, childFrame)) {
            store<u64>(slot, 0);
            freeTable(allocator, space, child);
          }
        }
      }
    }
    if (chunkLast == last) break;
    at = chunkLast + 1;
  }
  return unmapped;
}

/**
 * Unmaps whatever is mapped in [iova, iova+size); returns the bytes unmapped, or a
 * negative BUILD_* code: a split that ran out of table memory leaves the rest mapped
 * (BUILD_NO_MEMORY / BUILD_NO_RECORDS), a table the space does not own is skipped
 * with what it maps (BUILD_BAD_TABLE); everything else in the range is unmapped.
 */
export function unmapRange<F>(f: F, space: u32, iova: u64, size: u64): i64 {
  const sp = spaceAt(space);
  const levels = <u32>load<u8>(sp + S_LEVELS);
  if (size == 0 || ((iova | size) & 0xFFF) != 0) return BUILD_BAD_RANGE;
  const last = iova + size - 1;
  if (last < iova || !f.rangeOk(iova, last, levels)) return BUILD_BAD_RANGE;
  unmapOutOfMemory = false;
  unmapBadTable = false;
  const unmapped = unmapIn(f, tableSpaceOf(space), load<u32>(sp + S_ALLOCATOR), space, load<u64>(sp + S_ROOT), levels - 1, iova, last);
  if (unmapOutOfMemory) return noPage();
  return unmapBadTable ? BUILD_BAD_TABLE : <i64>unmapped;
}
