// Automatic IOVA choice for maps without FIXED_IOVA (spec §2.7 step 7). The alignment
// follows the size (rounded up to a power of two) so large maps can use large IO pages,
// but never exceeds what the memory itself is aligned to, and is capped at the huge
// page size. The IOVA keeps the memory's offset inside its page, and IOVA 0 (anything
// below one page) is never handed out so a zero IOVA can mean "none" to drivers.
import { EINVAL, ENOSPC, EOVERFLOW } from '../../iommu/errno.js';
import { HPAGE_SIZE, PAGE_SIZE, ULONG_MAX } from '../limits.js';
import { fail, ok, type Result } from '../../iommu/result.js';
import { holes, type IovaRange } from './iova-range.js';

export interface IovaSpaceView {
  /** Ranges the allocator may pick from; empty = anywhere. */
  readonly allowed: readonly IovaRange[];
  /** Reserved ranges and existing areas: never overlapped. */
  readonly used: readonly IovaRange[];
  /** The IOAS's minimum IOVA alignment. */
  readonly iovaAlignment: bigint;
}

const DEFAULT_SPAN: IovaRange = { start: PAGE_SIZE, last: ULONG_MAX - PAGE_SIZE };

export function roundUpPowerOfTwo(n: bigint): bigint {
  let p = 1n;
  while (p < n) p <<= 1n;
  return p;
}

export function lowestSetBit(n: bigint): bigint {
  return n & -n;
}

/** The alignment an automatic IOVA gets for `length` bytes of memory at `address`. */
export function autoIovaAlignment(length: bigint, address: bigint): bigint {
  let alignment = roundUpPowerOfTwo(length);
  if (address !== 0n) {
    const addressAlignment = lowestSetBit(address);
    if (addressAlignment < alignment) alignment = addressAlignment;
  }
  return alignment > HPAGE_SIZE ? HPAGE_SIZE : alignment;
}

export function allocateIova(space: IovaSpaceView, length: bigint, address: bigint): Result<bigint> {
  if (length >= ULONG_MAX / 2n) return fail(EOVERFLOW);
  const alignment = autoIovaAlignment(length, address);
  if (alignment < space.iovaAlignment) return fail(EINVAL);
  const pageOffset = address % PAGE_SIZE;

  const spans = space.allowed.length === 0 ? [DEFAULT_SPAN] : space.allowed;
  for (const allowed of spans) {
    const span = clip(allowed, DEFAULT_SPAN);
    if (!span) continue;
    for (const hole of holes(space.used, span)) {
      const candidate = firstAlignedAtOrAfter(hole.start, alignment, pageOffset);
      if (candidate !== undefined && candidate + length - 1n <= hole.last) return ok(candidate);
    }
  }
  return fail(ENOSPC);
}

/**
 * Smallest x >= start that is a multiple of `alignment` and, when the alignment is
 * below a page, sits at `pageOffset` inside its page (the memory's own offset, which is
 * itself a multiple of the alignment).
 */
function firstAlignedAtOrAfter(start: bigint, alignment: bigint, pageOffset: bigint): bigint | undefined {
  let x: bigint;
  if (alignment >= PAGE_SIZE) {
    x = ((start + alignment - 1n) / alignment) * alignment;
  } else {
    x = (start / PAGE_SIZE) * PAGE_SIZE + pageOffset;
    if (x < start) x += PAGE_SIZE;
  }
  return x > ULONG_MAX ? undefined : x;
}

function clip(r: IovaRange, to: IovaRange): IovaRange | undefined {
  const start = r.start > to.start ? r.start : to.start;
  const last = r.last < to.last ? r.last : to.last;
  return start <= last ? { start, last } : undefined;
}
