// Driver memory a process may mmap through its iommufd (spec §5.2: the self-test
// vIOMMU's two pages). A driver registers pages; the region gets an offset cookie, the
// lowest free page-aligned range from PAGE_SIZE on (the kernel hands them out of a
// range tree the same way), which the driver reports to user space. mmap must name
// exactly that offset and length; while mapped, the region's owner object is busy.
import { ENOMEM } from '../iommu/errno.js';
import type { FramePool } from './frame-pool.js';
import { PAGE_SIZE } from './limits.js';
import type { IommufdObject } from './objects.js';
import { fail, ok, type Result } from '../iommu/result.js';
import type { DriverMmap, MmapRegistry } from '../iommu/driver-mmap.js';

export class MmapRegion implements DriverMmap {
  /** The iommufd object that owns the pages (the vIOMMU); mapping it makes it busy. */
  owner: IommufdObject | undefined;

  constructor(
    private readonly table: MmapRegions,
    readonly offset: bigint,
    readonly frames: readonly bigint[],
  ) {}

  get length(): bigint {
    return BigInt(this.frames.length) * PAGE_SIZE;
  }

  write(at: number, data: Uint8Array): void {
    const page = Math.floor(at / Number(PAGE_SIZE));
    this.table.pool.store.write(this.frames[page] + BigInt(at % Number(PAGE_SIZE)), data);
  }

  release(): void {
    this.table.remove(this);
  }
}

export class MmapRegions implements MmapRegistry {
  /** Sorted by offset. */
  private readonly regions: MmapRegion[] = [];

  constructor(readonly pool: FramePool) {}

  /** `pages` zeroed frames at the lowest free offset; ENOMEM (nothing kept) when frames run out. */
  create(pages: number): Result<DriverMmap> {
    const frames: bigint[] = [];
    for (let i = 0; i < pages; i++) {
      const frame = this.pool.alloc();
      if (frame === undefined) {
        for (const f of frames) this.pool.unref(f);
        return fail(ENOMEM);
      }
      frames.push(frame);
    }
    const length = BigInt(pages) * PAGE_SIZE;
    let offset = PAGE_SIZE;
    let i = 0;
    // First fit: the regions are sorted, so skip every one the candidate range meets.
    for (; i < this.regions.length && this.regions[i].offset < offset + length; i++) {
      const end = this.regions[i].offset + this.regions[i].length;
      if (end > offset) offset = end;
    }
    const region = new MmapRegion(this, offset, frames);
    this.regions.splice(i, 0, region);
    return ok(region);
  }

  /** The region containing byte `offset` of the iommufd's mmap space. */
  find(offset: bigint): MmapRegion | undefined {
    return this.regions.find((r) => offset >= r.offset && offset < r.offset + r.length);
  }

  remove(region: MmapRegion): void {
    const i = this.regions.indexOf(region);
    if (i < 0) return;
    this.regions.splice(i, 1);
    for (const f of region.frames) this.pool.unref(f);
  }

  get size(): number {
    return this.regions.length;
  }
}
