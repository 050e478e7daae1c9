// An IOVA allocator shaped like Linux's (drivers/iommu/iova.c): fresh ranges come
// top-down below a limit, and freed ranges go to a per-size LIFO cache (the
// "rcache") that the next allocation of that size takes first. Reuse order matters
// here: in strict mode the IOVA just unmapped and invalidated is the next one mapped.
const PAGE = 4096;

export class IovaAllocator {
  private next: number;
  private readonly cache = new Map<number, number[]>();

  /** Allocates below `limit`, never below `floor`; `align` is the alignment of fresh ranges. */
  constructor(limit: number, private readonly floor = 0x10_0000, private readonly align = PAGE) {
    this.next = limit;
  }

  alloc(bytes: number): number {
    const size = roundUp(bytes, PAGE);
    const cached = this.cache.get(size)?.pop();
    if (cached !== undefined) return cached;
    const align = size >= this.align ? this.align : PAGE;
    const iova = Math.floor((this.next - size) / align) * align;
    if (iova < this.floor) throw new RangeError(`IOVA space exhausted allocating ${size} bytes`);
    this.next = iova;
    return iova;
  }

  free(iova: number, bytes: number): void {
    const size = roundUp(bytes, PAGE);
    let list = this.cache.get(size);
    if (!list) this.cache.set(size, (list = []));
    list.push(iova);
  }
}

export function roundUp(value: number, to: number): number {
  return Math.ceil(value / to) * to;
}
