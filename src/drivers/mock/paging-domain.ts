// The mock driver's paging domain, built on an engine space.
//
// Granularity. The mock's IO page is 2 KiB (MOCK_PAGE_SIZE) while the engine's
// smallest leaf is 4 KiB, and an IOAS may put a 2 KiB IO page at either half of a CPU
// page (IOVA A+2048 may map the first half of a frame). A 4 KiB engine leaf cannot say
// that, so the domain scales the IOVA by two: mock IO unit n (IOVA [n*2K, (n+1)*2K))
// is engine page n (engine IOVA [n*4K, (n+1)*4K)), whose leaf points at the frame
// holding the unit's memory. Every mock IO page therefore has its own leaf entry with
// its own R/W bits and its own dirty bit, exactly the state the kernel's mock keeps per
// 2 KiB entry. Which half of the frame a unit starts at is the one fact the leaf cannot
// hold; `upperHalf` keeps it, and a device access adds it to the in-unit offset before
// asking the engine (so the engine's output is the exact byte address).
//
// The HUGE page-table type has page sizes {1 MiB, PAGE_SIZE}: its IOVA alignment is
// PAGE_SIZE and a fully mapped, 1 MiB-aligned IOVA block acts as one huge entry for
// dirty tracking (dirty anywhere = dirty everywhere in it). The kernel also needs the
// memory behind it to be physically contiguous; simulated hugetlb memory is not, so
// the engine keeps a leaf per unit and only the dirty granule follows the huge entry.
//
// Invalidation. The engine's builder never touches its caches, so after every unmap
// and after clearing dirty bits the domain invalidates the range, as a driver must.
//
// Dirty bits are the engine's: readDirty reads (and clears) the leaves' D bits over a
// range, one bitmap bit per unit; IOMMU_TEST_OP_DIRTY sets a leaf's D through
// leafEntry, as a device write would.
import type { Engine } from '../../engine/engine.js';
import { bitRuns } from '../../engine/dirty.js';
import { Access, FaultReason } from '../../engine/types.js';
import type { AllocGuard } from '../../iommu/alloc-guard.js';
import { EEXIST, EINVAL, ENOMEM } from '../../iommu/errno.js';
import { fail, ok, OK_VOID, type Result } from '../../iommu/result.js';
import type { DirtyTracking, DmaStep, IommuDriver, DriverPagingDomain } from '../../iommu/driver.js';
import { IOMMU_HWPT_ALLOC_DIRTY_TRACKING } from '../../iommu/abi/hwpt.js';
import { MOCK_APERTURE_LAST, MOCK_APERTURE_START, MOCK_HUGE_PAGE_SIZE, MOCK_PAGE_SIZE } from '../../iommu/abi/selftest.js';

const UNIT = MOCK_PAGE_SIZE;
const ENGINE_PAGE = 4096n;
const FRAME_MASK = ~0xfffn;
/** D of the engine's vtd-ss leaves (docs/formats.md), set by IOMMU_TEST_OP_DIRTY. */
const DIRTY_BIT = 1n << 9n;

export interface MockPagingOptions {
  /** MOCK_IOMMUPT_HUGE: page sizes {1 MiB, PAGE_SIZE} and the page table's own aperture. */
  huge: boolean;
}

/** The HUGE table keeps its own aperture; 47 bits is this model's choice (the kernel's is UNVERIFIED). */
const HUGE_APERTURE_LAST = (1n << 47n) - 1n;

export class MockPagingDomain implements DriverPagingDomain {
  readonly kind = 'paging';
  readonly pageSize: bigint;
  readonly aperture: { readonly start: bigint; readonly last: bigint };
  readonly dirty?: DirtyTracking;
  private readonly levels: number;
  /** Mapped IO units (2 KiB each), the domain's view of what its table holds. */
  private readonly units = new Set<bigint>();
  /** Units whose memory starts at byte 2048 of its frame. */
  private readonly upperHalf = new Set<bigint>();
  /** First unit of every 1 MiB block mapped as one huge entry (HUGE type only). */
  private readonly hugeBlocks = new Set<bigint>();
  /** Mapped units per 1 MiB block (HUGE type only). */
  private readonly blockFill = new Map<bigint, bigint>();
  private freed = false;

  private constructor(
    readonly driver: IommuDriver,
    readonly flags: number,
    private readonly engine: Engine,
    private readonly guard: AllocGuard,
    readonly space: number,
    readonly huge: boolean,
  ) {
    this.pageSize = huge ? 4096n : UNIT;
    this.aperture = huge ? { start: 0n, last: HUGE_APERTURE_LAST } : { start: MOCK_APERTURE_START, last: MOCK_APERTURE_LAST };
    // Engine IOVA = 2 x mock IOVA: 3 levels (39 bits) cover the default aperture, 4 the huge one.
    this.levels = huge ? 4 : 3;
    if (flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING) this.dirty = new MockDirtyTracking(this);
  }

  static create(driver: IommuDriver, engine: Engine, guard: AllocGuard, flags: number, options: MockPagingOptions): Result<MockPagingDomain> {
    if (!guard.allow('engine-space')) return fail(ENOMEM);
    let space: number;
    try {
      // A/D on for dirty-tracking domains: the walker then sets the leaf D bits the
      // dirty bitmap reports.
      space = engine.createSpace({ format: 'vtd-ss', levels: options.huge ? 4 : 3, ad: (flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING) !== 0 });
    } catch {
      return fail(ENOMEM);
    }
    return ok(new MockPagingDomain(driver, flags, engine, guard, space, options.huge));
  }

  map(iova: bigint, pa: bigint, bytes: bigint, prot: number): number {
    if (bytes <= 0n || iova % this.pageSize !== 0n || bytes % this.pageSize !== 0n || pa % UNIT !== 0n) return -EINVAL;
    if (iova < this.aperture.start || iova + bytes - 1n > this.aperture.last) return -EINVAL;
    const first = iova / UNIT;
    const count = bytes / UNIT;
    for (let i = 0n; i < count; i++) if (this.units.has(first + i)) return -EEXIST;
    for (let i = 0n; i < count; i++) {
      const unitPa = pa + i * UNIT;
      const rc = this.mapUnit(first + i, unitPa, prot);
      if (rc !== 0) {
        this.unmapUnits(first, i);
        return rc;
      }
    }
    return 0;
  }

  unmap(iova: bigint, bytes: bigint): bigint {
    const first = iova / UNIT;
    const count = (iova + bytes + UNIT - 1n) / UNIT - first;
    return this.unmapUnits(first, count) * UNIT;
  }

  translate(iova: bigint, access: number): DmaStep {
    if (iova < this.aperture.start || iova > this.aperture.last) {
      return { ok: false, fault: { iova, reason: FaultReason.ADDRESS_SIZE, stage: 1, level: this.levels - 1, addr: iova } };
    }
    const unit = iova / UNIT;
    const inUnit = iova % UNIT;
    const r = this.engine.translate(this.space, this.engineIova(unit) + inUnit, access);
    if (r.fault !== 0) return { ok: false, fault: { iova, reason: r.fault, stage: r.stage || 1, level: r.level, addr: r.addr } };
    return { ok: true, pa: r.addr, bytes: UNIT - inUnit };
  }

  /** iova_to_phys without caches (MD_CHECK_MAP): the exact byte address, if mapped. */
  physOf(iova: bigint): bigint | undefined {
    const unit = iova / UNIT;
    if (!this.units.has(unit)) return undefined;
    // A walk needs an access kind; a write-only mapping refuses READ, so ask for WRITE then.
    const at = this.engineIova(unit) + (iova % UNIT);
    let r = this.engine.walk(this.space, at, Access.READ);
    if (r.fault === FaultReason.PERMISSION) r = this.engine.walk(this.space, at, Access.WRITE);
    return r.fault === 0 ? r.addr : undefined;
  }

  /** IOMMU_TEST_OP_DIRTY: sets the dirty bit of the entry mapping `iova`; false when unmapped. */
  markDirty(iova: bigint): boolean {
    const unit = iova / UNIT;
    if (!this.units.has(unit)) return false;
    const leaf = this.engine.leafEntry(this.space, unit * ENGINE_PAGE);
    if (leaf.fault !== 0) return false;
    // No invalidation: a cached translation of a clean leaf grants no W, so the next write walks anyway.
    this.engine.phys.write64(leaf.addr, leaf.value | DIRTY_BIT);
    return true;
  }

  /** Bytes mapped (invariant checks). */
  get mappedBytes(): bigint {
    return BigInt(this.units.size) * UNIT;
  }

  /** Every mapped IO unit and where it points (invariant checks). */
  *mappings(): Generator<{ iova: bigint; pa: bigint }> {
    for (const unit of this.units) {
      const pa = this.physOf(unit * UNIT);
      if (pa !== undefined) yield { iova: unit * UNIT, pa };
    }
  }

  free(): void {
    if (this.freed) return;
    this.freed = true;
    this.engine.destroySpace(this.space);
    this.units.clear();
  }

  /** Units of the dirty granule holding `unit`: its huge block, or its IO page. */
  granuleOf(unit: bigint): { first: bigint; count: bigint } {
    const blockUnits = MOCK_HUGE_PAGE_SIZE / UNIT;
    const block = unit - (unit % blockUnits);
    if (this.hugeBlocks.has(block)) return { first: block, count: blockUnits };
    const pageUnits = this.pageSize / UNIT;
    return { first: unit - (unit % pageUnits), count: pageUnits };
  }

  /** Dirty bits of units [first, first+count), one bit per unit (an engine page each); cleared when `clear`. */
  dirtyUnits(first: bigint, count: bigint, clear: boolean): Uint8Array {
    const iova = first * ENGINE_PAGE;
    const bytes = count * ENGINE_PAGE;
    const r = this.engine.readDirty(this.space, iova, bytes, ENGINE_PAGE, { clear });
    // A cached translation may carry W from a dirty leaf; drop it so the next write
    // walks again and sets D (docs/formats.md, Reading dirty bits).
    if (clear && r.dirtyLeaves > 0) this.engine.invalidateRange(this.space, iova, bytes, true);
    return r.bitmap;
  }

  /** Enabling tracking starts clean: every D bit cleared, one invalidation of the space. */
  clearAllDirty(): void {
    const start = this.aperture.start / UNIT;
    this.engine.clearDirty(this.space, start * ENGINE_PAGE, (this.aperture.last / UNIT + 1n - start) * ENGINE_PAGE);
    this.engine.invalidateSpace(this.space);
  }

  private engineIova(unit: bigint): bigint {
    return unit * ENGINE_PAGE + (this.upperHalf.has(unit) ? UNIT : 0n);
  }

  private mapUnit(unit: bigint, pa: bigint, prot: number): number {
    if (!this.guard.allow('engine-map')) return -ENOMEM;
    try {
      this.engine.map(this.space, unit * ENGINE_PAGE, pa & FRAME_MASK, ENGINE_PAGE, prot);
    } catch {
      return -ENOMEM;
    }
    this.units.add(unit);
    if (pa % ENGINE_PAGE !== 0n) this.upperHalf.add(unit);
    if (this.huge) {
      const blockUnits = MOCK_HUGE_PAGE_SIZE / UNIT;
      const block = unit - (unit % blockUnits);
      const fill = (this.blockFill.get(block) ?? 0n) + 1n;
      this.blockFill.set(block, fill);
      if (fill === blockUnits) this.hugeBlocks.add(block);
    }
    return 0;
  }

  /** Unmaps units [first, first+count) and invalidates them; returns how many were mapped. */
  private unmapUnits(first: bigint, count: bigint): bigint {
    if (count <= 0n) return 0n;
    let removed = 0n;
    for (let u = first; u < first + count; u++) {
      if (!this.units.delete(u)) continue;
      this.upperHalf.delete(u);
      removed++;
      if (this.huge) {
        const blockUnits = MOCK_HUGE_PAGE_SIZE / UNIT;
        const block = u - (u % blockUnits);
        const fill = (this.blockFill.get(block) ?? 1n) - 1n;
        if (fill === 0n) this.blockFill.delete(block);
        else this.blockFill.set(block, fill);
        this.hugeBlocks.delete(block);
      }
    }
    this.engine.unmap(this.space, first * ENGINE_PAGE, count * ENGINE_PAGE);
    this.engine.invalidateRange(this.space, first * ENGINE_PAGE, count * ENGINE_PAGE);
    return removed;
  }

}

/** Dirty tracking over the leaf D bits of the domain's engine space. */
class MockDirtyTracking implements DirtyTracking {
  enabled = false;

  constructor(private readonly domain: MockPagingDomain) {}

  set(enable: boolean): Result<void> {
    if (enable === this.enabled) return OK_VOID;
    if (enable) this.domain.clearAllDirty();
    this.enabled = enable;
    return OK_VOID;
  }

  /**
   * A granule is dirty when any of its units is, and is reported (clipped to the
   * range) and cleared whole: the range is widened to whole granules at both ends,
   * as a huge entry's one D bit would cover all of it.
   */
  readAndClear(iova: bigint, length: bigint, keep: boolean, record: (iova: bigint, bytes: bigint) => void): void {
    const d = this.domain;
    // Nothing outside the aperture is mapped (GET_DIRTY_BITMAP does not check it).
    const start = iova > d.aperture.start ? iova : d.aperture.start;
    const last = iova + length - 1n < d.aperture.last ? iova + length - 1n : d.aperture.last;
    if (start > last) return;
    const first = d.granuleOf(start / UNIT).first;
    const lastGranule = d.granuleOf(last / UNIT);
    const bitmap = d.dirtyUnits(first, lastGranule.first + lastGranule.count - first, !keep);
    /** Units below it are reported. */
    let next = first;
    for (const run of bitRuns(bitmap)) {
      const firstGranule = d.granuleOf(first + BigInt(run.first));
      const tail = d.granuleOf(first + BigInt(run.first + run.count - 1));
      const from = firstGranule.first > next ? firstGranule.first : next;
      const to = tail.first + tail.count;
      if (from >= to) continue;
      const head = from * UNIT < start ? start : from * UNIT;
      const end = to * UNIT - 1n > last ? last : to * UNIT - 1n;
      record(head, end - head + 1n);
      next = to;
    }
  }
}
