// What an IOAS needs from the memory behind a mapping: the frame behind one page,
// pinned so it outlives the process's own mapping. Both the process address space and
// memfd files provide it; page numbers are source offsets >> 12.
import type { Result } from './result.js';

export interface PinnableMemory {
  /** Backs the page if needed and pins its frame (one pin per call). */
  pinFrame(pageNumber: bigint): Result<bigint>;
  /** The pool the pins were taken from; unpinning goes through it. */
  readonly pool: { unpin(pa: bigint): void };
}
