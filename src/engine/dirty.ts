// Dirty bits of a range of a single-stage space, read (and cleared) by the core in
// calls of up to 2^16 bitmap bits each (docs/wasm-abi.md, readDirty): this file
// strings the calls together and copies their bitmaps out.
import type { CoreExports } from './wasm.js';
import type { MemoryViews } from './views.js';
import { codeError, EngineError } from './errors.js';
import { checkSpace, checkU64 } from './option-checks.js';

/**
 * Skip reason of a core call that stopped at its work budget: the rest of that call's
 * part of the range was not scanned (docs/wasm-abi.md, readDirty). Only tables that
 * reach thousands of distinct pages and revisit them in one call get there.
 */
export const DIRTY_SKIP_WORK_LIMIT = 16;

/** An entry the scan did not follow: a table page it could not read, a reserved bit, or where the work budget ran out. */
export interface DirtySkip {
  /** FaultReason.EXTERNAL (table page not backed), FaultReason.RESERVED, or DIRTY_SKIP_WORK_LIMIT. */
  reason: number;
  level: number;
  /** Host address of the entry. */
  addr: bigint;
  /** First input address of the range the entry would have mapped. */
  iova: bigint;
}

export interface DirtyScan {
  /** Dirty leaves found in the range (cleared, unless the read kept them). */
  dirtyLeaves: number;
  /** Entries skipped with what they map; the first one in input order is `firstSkip`. */
  skipped: number;
  firstSkip?: DirtySkip;
}

export interface DirtyBitmap extends DirtyScan {
  /** Bit i (byte i >> 3, bit i & 7): page [iova + i*pageSize, +pageSize) overlaps a dirty leaf. */
  bitmap: Uint8Array;
}

const NO_CLEAR = 1;
/** 2^32 bits: a 512 MiB bitmap. */
const MAX_BITS = 1n << 32n;

const ERRORS: Record<number, [string, string]> = {
  [-1]: ['BAD_SPACE', 'no such space'],
  [-2]: ['BAD_SPACE', 'a nested space\'s tables are not scanned (single-stage spaces only)'],
  [-3]: ['BAD_RANGE', 'the range is empty, not aligned to 4 KiB and to the page size, wraps, or leaves the format\'s input range'],
  [-4]: ['BAD_ARGUMENT', 'the page size is not a power of two'],
  [-5]: ['BAD_ARGUMENT', 'unknown flags'],
};

/** The checked space and range of `operation` (readDirty, clearDirty). */
function range(operation: string, space: number, iova: bigint | number, size: bigint | number): [bigint, bigint] {
  checkSpace(operation, space);
  return [checkU64(`${operation}: iova`, iova, 'BAD_RANGE'), checkU64(`${operation}: size`, size, 'BAD_RANGE')];
}

/**
 * Calls the core over [iova, iova+size) until it has covered the range, copying each
 * call's bits to `into` (when given) at the bit the call started from.
 */
function scan(core: CoreExports, views: MemoryViews, space: number, iova: bigint, size: bigint, pageSize: bigint,
  clear: boolean, into: Uint8Array | undefined, operation: string): DirtyScan {
  const result: DirtyScan = { dirtyLeaves: 0, skipped: 0 };
  let at = iova;
  let left = size;
  let bit = 0;
  do {
    const covered = core.readDirty(space, at, left, pageSize, clear ? 0 : NO_CLEAR);
    if (covered < 0n) throw codeError(ERRORS, operation, Number(covered));
    const bits = Number(covered / pageSize);
    if (into) {
      // Every call but the last fills all 2^16 bits, so `bit` is a whole byte.
      const base = core.dirtyBitmap();
      into.set(views.get().u8.subarray(base, base + Math.ceil(bits / 8)), bit / 8);
    }
    result.dirtyLeaves += core.dirtyLeaves();
    const skips = core.dirtySkips();
    if (skips && !result.firstSkip) {
      result.firstSkip = {
        reason: core.dirtySkipReason(), level: core.dirtySkipLevel(),
        addr: BigInt.asUintN(64, core.dirtySkipAddr()), iova: BigInt.asUintN(64, core.dirtySkipIova()),
      };
    }
    result.skipped += skips;
    bit += bits;
    at += covered;
    left -= covered;
  } while (left > 0n);
  return result;
}

export function readDirtyBitmap(core: CoreExports, views: MemoryViews, space: number, iova: bigint | number, size: bigint | number,
  pageSize: bigint | number, clear: boolean): DirtyBitmap {
  const [first, bytes] = range('readDirty', space, iova, size);
  const page = checkU64('readDirty: pageSize', pageSize, 'BAD_RANGE');
  // Checked before the first call, which may already clear D bits.
  if (page > 0n && bytes / page > MAX_BITS) throw new EngineError(`readDirty: more than 2^32 pages of ${page} bytes`, 'BAD_ARGUMENT');
  const bitmap = new Uint8Array(page > 0n ? Number((bytes / page + 7n) / 8n) : 0);
  return { ...scan(core, views, space, first, bytes, page, clear, bitmap, 'readDirty'), bitmap };
}

/** Clears every D bit in the range with no bitmap: one bit per largest aligned block. */
export function clearDirtyRange(core: CoreExports, views: MemoryViews, space: number, iova: bigint | number, size: bigint | number): DirtyScan {
  const [first, bytes] = range('clearDirty', space, iova, size);
  const both = first | bytes;
  const block = both === 0n ? 1n : both & -both;
  return scan(core, views, space, first, bytes, block, true, undefined, 'clearDirty');
}

/** The runs of set bits of a bitmap (readDirty's), ascending: bits first..first+count-1. */
export function* bitRuns(bitmap: Uint8Array): Generator<{ first: number; count: number }> {
  let start = -1;
  for (let i = 0; i < bitmap.length; i++) {
    const byte = bitmap[i];
    // Whole bytes inside a gap or a run change nothing.
    if (byte === (start < 0 ? 0 : 0xff)) continue;
    for (let b = 0; b < 8; b++) {
      const set = (byte >> b) & 1;
      if (set && start < 0) start = i * 8 + b;
      else if (!set && start >= 0) {
        yield { first: start, count: i * 8 + b - start };
        start = -1;
      }
    }
  }
  if (start >= 0) yield { first: start, count: bitmap.length * 8 - start };
}
