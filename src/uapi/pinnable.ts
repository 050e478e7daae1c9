// What an IOAS needs from the memory behind a mapping: the frame behind one page,
// pinned so it outlives the process's own mapping. The process address space, memfd
// files and dma-buf imports provide it; page numbers are source offsets >> 12.
import type { Result } from '../iommu/result.js';

export interface PinnableMemory {
  /** Backs the page if needed and pins its frame (one pin per call), for writing or only reading. */
  pinFrame(pageNumber: bigint, write: boolean): Result<bigint>;
  /** The pool the pins were taken from; unpinning goes through it. */
  readonly pool: { unpin(pa: bigint): void };
  /** Memory its exporter can take back (a dma-buf): true once it did. */
  readonly revoked?: boolean;
  /** `listener` runs once, when the memory is revoked. */
  onRevoke?(listener: () => void): void;
  /** No area uses the memory any more: a dma-buf import detaches from its buffer. */
  detach?(): void;
}
