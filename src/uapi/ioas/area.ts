// One mapped IOVA range of an IOAS and the memory behind it.
import type { IovaRange } from './iova-range.js';
import type { PinnedPages } from './pinned-pages.js';

export interface Area extends IovaRange {
  /** The memory behind the area; shared with copies of it. */
  readonly pages: PinnedPages;
  /** Offset of `start` inside `pages`. */
  readonly pagesOffset: bigint;
  /** Perm bits (R = 1, W = 2) handed to every domain. */
  readonly prot: number;
  /** True while the area holds pins on its pages (whenever a domain is attached). */
  pinned: boolean;
}

export function areaLength(area: IovaRange): bigint {
  return area.last - area.start + 1n;
}

/** A slice of pinned-pages memory waiting to become an area (MAP has one, COPY several). */
export interface PagesSlice {
  readonly pages: PinnedPages;
  readonly offset: bigint;
  readonly length: bigint;
}
