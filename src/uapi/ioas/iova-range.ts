// Inclusive IOVA intervals, the unit every IOAS structure is kept in (the uAPI's
// iommu_iova_range is inclusive too, so [0, ULONG_MAX] needs no 2^64).
import { U64_MAX } from '../limits.js';

export interface IovaRange {
  readonly start: bigint;
  /** Inclusive. */
  readonly last: bigint;
}

export const FULL_IOVA_RANGE: IovaRange = Object.freeze({ start: 0n, last: U64_MAX });

export function rangesIntersect(a: IovaRange, b: IovaRange): boolean {
  return a.start <= b.last && b.start <= a.last;
}

export function rangeContains(outer: IovaRange, inner: IovaRange): boolean {
  return outer.start <= inner.start && inner.last <= outer.last;
}

export function byStart(a: IovaRange, b: IovaRange): number {
  return a.start < b.start ? -1 : a.start > b.start ? 1 : 0;
}

/**
 * The gaps of `used` (any order, may overlap) inside `within`, ascending. This is what
 * IOVA_RANGES reports (gaps of the reserved ranges) and where the allocator searches.
 */
export function holes(used: readonly IovaRange[], within: IovaRange): IovaRange[] {
  const sorted = used.filter((r) => rangesIntersect(r, within)).sort(byStart);
  const out: IovaRange[] = [];
  let cursor = within.start;
  let exhausted = false;
  for (const r of sorted) {
    if (r.start > cursor) out.push({ start: cursor, last: r.start - 1n });
    if (r.last >= within.last) {
      exhausted = true;
      break;
    }
    if (r.last + 1n > cursor) cursor = r.last + 1n;
  }
  if (!exhausted && cursor <= within.last) out.push({ start: cursor, last: within.last });
  return out;
}
