// In-kernel users of an IOAS that touch its memory by IOVA without a device (the
// kernel's iommufd_access, used by mdev-style drivers and by the self-test). An access
// raises the IOAS's IOVA alignment while attached, may pin ranges, and must drop every
// pin inside a range the process unmaps: the IOAS calls `unmapNotify` before removing
// an area that one of its pins covers (spec §2.10).
import type { IovaRange } from './iova-range.js';
import type { PagesSlice } from './area.js';

export interface IoasAccess {
  /** PAGE_SIZE for an access that pins pages, 1 for one that only reads and writes. */
  readonly iovaAlignment: bigint;
  /** Drop every pin intersecting `range`; called before the range is unmapped. */
  unmapNotify(range: IovaRange): void;
}

/** One ACCESS_PAGES pin: the IOVA range and the memory slices it holds pinned. */
export interface AccessPin {
  readonly owner: IoasAccess;
  readonly range: IovaRange;
  readonly slices: readonly PagesSlice[];
}

/** Reads and writes physical memory (the frame store behind every pinned page). */
export interface PhysicalMemory {
  read(pa: bigint, length: number): Uint8Array;
  write(pa: bigint, data: Uint8Array): void;
}
