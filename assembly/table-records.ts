// Table-page records: what an allocator knows about each page it has handed out,
// kept in engine metadata (the TABLE RECORDS region) and never in the page itself.
// A nested stage 1's tables live in guest RAM: when one is freed its page may be
// unreachable (stage 2 unmapped it) and the guest can write anything into it, so a
// free list linked through the pages would lose pages or follow guest pointers.
//
// One u32 per page index (page - base) >> 12 of an allocator's range:
//   0                  never handed out
//   owner space + 1    in use by that space
//   FREE | next        on the free list; next = the next free page's index, or END
//
// An allocator's records grow with it, in chunks of 1024, 2048, 4096, ... records
// taken from the region as its bump pointer reaches them, so a large range that is
// barely used costs little. Chunk c holds indices [1024 (2^c - 1), 1024 (2^(c+1) - 1)):
// an allocator that has handed out n pages holds fewer than 2n + 1024 records.
import { tableRecordsBase, tableRecordsCapacity } from './layout';

export const RECORD_NEVER: u32 = 0;
export const RECORD_FREE: u32 = 0x8000_0000;
/** `next` of the last free page. */
export const RECORD_END: u32 = 0x7FFF_FFFF;
/** An allocator uses at most this many pages of its range (indices + CHUNK0 stay below 2^31). */
export const MAX_ALLOCATOR_PAGES: u32 = 0x7FFF_0000;

const CHUNK0_SHIFT: u32 = 10;
const CHUNK0: u32 = 1 << CHUNK0_SHIFT;
/** Chunks an allocator can hold: enough for MAX_ALLOCATOR_PAGES. */
export const MAX_CHUNKS: u32 = 22;

/** Records handed to allocators so far (the region fills front to back and is never returned). */
let recordsUsed: u32 = 0;

export function tableRecordsLeft(): u32 { return tableRecordsCapacity - recordsUsed; }

@inline function chunkOf(index: u32): u32 {
  return 31 - <u32>clz(index + CHUNK0) - CHUNK0_SHIFT;
}

/** Linear address of the record of page `index`, given the allocator's chunk table; its chunk must exist. */
@inline export function recordAt(chunks: usize, index: u32): usize {
  const b = index + CHUNK0;
  const chunk = chunkOf(index);
  const first = load<u32>(chunks + (<usize>chunk << 2));
  return tableRecordsBase + ((<usize>first + <usize>(b - (CHUNK0 << chunk))) << 2);
}

/**
 * Makes sure the record of page `index` exists: the first index of a chunk takes the
 * chunk from the region. False when the region cannot hold it (nothing changes).
 */
export function ensureRecord(chunks: usize, index: u32): bool {
  const b = index + CHUNK0;
  if (b & (b - 1)) return true; // not the first index of a chunk
  const size = b; // chunk c starts at index 1024 (2^c - 1) and holds 1024 << c = b records
  if (size > tableRecordsCapacity - recordsUsed) return false;
  store<u32>(chunks + (<usize>chunkOf(index) << 2), recordsUsed);
  recordsUsed += size;
  return true;
}
