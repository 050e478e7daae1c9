// A VT-d paging domain: a second-stage (vtd-ss) table the engine owns and builds, 4
// levels, 48-bit aperture. Devices never translate through this space directly: an
// attach writes its root into PASID-table entries and the unit walks the same tables
// under its own (DID, PASID) spaces. So every change that removes or weakens a mapping
// is followed by an IOTLB invalidation of the domain's DID on every unit that tagged
// it — submitted as descriptors, as a driver must — and of the engine space itself.
import type { Engine } from '../../engine/engine.js';
import { bitRuns } from '../../engine/dirty.js';
import type { AllocGuard } from '../../iommu/alloc-guard.js';
import { EINVAL, ENOMEM } from '../../iommu/errno.js';
import { fail, ok, OK_VOID, type Result } from '../../iommu/result.js';
import { IOMMU_HWPT_ALLOC_DIRTY_TRACKING } from '../../iommu/abi/hwpt.js';
import type { DirtyTracking, DmaStep, IommuDriver, DriverPagingDomain } from '../../iommu/driver.js';
import type { VtdIommu } from './host-iommu.js';
import { HOST_SS_AW } from './host-encoding.js';

const PAGE = 4096n;
const LEVELS = HOST_SS_AW + 2;
const APERTURE_LAST = (1n << 48n) - 1n;

export class VtdPagingDomain implements DriverPagingDomain {
  readonly kind = 'paging';
  readonly pageSize = PAGE;
  readonly aperture = { start: 0n, last: APERTURE_LAST } as const;
  readonly dirty?: DirtyTracking;
  /** Units whose DIDs tag this domain (a device behind them has it attached, or had it). */
  readonly units = new Set<VtdIommu>();
  /** 4 KiB pages mapped, for invariant checks. */
  private readonly pages = new Set<bigint>();
  private freed = false;

  private constructor(
    readonly driver: IommuDriver,
    readonly flags: number,
    private readonly engine: Engine,
    private readonly guard: AllocGuard,
    readonly space: number,
  ) {
    if (flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING) this.dirty = new SecondStageDirty(this);
  }

  static create(driver: IommuDriver, engine: Engine, guard: AllocGuard, flags: number): Result<VtdPagingDomain> {
    if (!guard.allow('engine-space')) return fail(ENOMEM);
    try {
      // A/D on for dirty tracking: the PASID entry then has SSADE and the walker sets D.
      const space = engine.createSpace({ format: 'vtd-ss', levels: LEVELS, ad: (flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING) !== 0 });
      return ok(new VtdPagingDomain(driver, flags, engine, guard, space));
    } catch {
      return fail(ENOMEM);
    }
  }

  /** SSPTPTR of the PASID entries this domain is attached through. */
  get root(): bigint {
    return this.engine.root(this.space);
  }

  /** Whether the PASID entry sets SSADE (second-stage A/D updates). */
  get tracksDirty(): boolean {
    return this.dirty !== undefined;
  }

  map(iova: bigint, pa: bigint, bytes: bigint, prot: number): number {
    if (bytes <= 0n || iova % PAGE !== 0n || bytes % PAGE !== 0n || pa % PAGE !== 0n) return -EINVAL;
    if (iova + bytes - 1n > APERTURE_LAST) return -EINVAL;
    if (!this.guard.allow('engine-map')) return -ENOMEM;
    try {
      this.engine.map(this.space, iova, pa, bytes, prot);
    } catch {
      return -ENOMEM;
    }
    for (let p = iova; p < iova + bytes; p += PAGE) this.pages.add(p);
    // Nothing to invalidate: no cache holds a translation for an IOVA that was unmapped.
    return 0;
  }

  unmap(iova: bigint, bytes: bigint): bigint {
    const removed = this.engine.unmap(this.space, iova, bytes);
    for (let p = iova - (iova % PAGE); p < iova + bytes; p += PAGE) this.pages.delete(p);
    this.flush(iova, bytes);
    return removed;
  }

  /** Translation by the domain alone (no device context): the engine space it builds. */
  translate(iova: bigint, access: number): DmaStep {
    const r = this.engine.translate(this.space, iova, access);
    if (r.fault !== 0) return { ok: false, fault: { iova, reason: r.fault, stage: r.stage || 1, level: r.level, addr: r.addr } };
    return { ok: true, pa: r.addr, bytes: PAGE - (iova % PAGE) };
  }

  /** Every unit that tagged the domain drops the range; so does the engine space. */
  flush(iova: bigint, bytes: bigint): void {
    this.engine.invalidateRange(this.space, iova, bytes);
    for (const iommu of this.units) iommu.flushDomainRange(iommu.didOf(this), iova, bytes);
  }

  /** Mapped pages (invariant checks). */
  get mappedBytes(): bigint {
    return BigInt(this.pages.size) * PAGE;
  }

  /** The second-stage D bits of [iova, iova+bytes) (4 KiB aligned), one bit per 4 KiB page; cleared when `clear`. */
  readDirty(iova: bigint, bytes: bigint, clear: boolean): Uint8Array {
    return this.engine.readDirty(this.space, iova, bytes, PAGE, { clear }).bitmap;
  }

  /** Clears every D bit of the domain's tables. */
  clearAllDirty(): void {
    this.engine.clearDirty(this.space, 0n, APERTURE_LAST + 1n);
  }

  free(): void {
    if (this.freed) return;
    this.freed = true;
    for (const iommu of this.units) iommu.releaseDid(this);
    this.units.clear();
    this.engine.destroySpace(this.space);
    this.pages.clear();
  }
}

/** Dirty tracking over the second-stage leaf D bits (SSADE), 4 KiB granules. */
class SecondStageDirty implements DirtyTracking {
  enabled = false;

  constructor(private readonly domain: VtdPagingDomain) {}

  set(enable: boolean): Result<void> {
    if (enable === this.enabled) return OK_VOID;
    if (enable) {
      this.domain.clearAllDirty();
      // A cached translation may carry W from a dirty leaf: drop them so the next write walks and sets D.
      this.domain.flush(0n, APERTURE_LAST + 1n);
    }
    this.enabled = enable;
    return OK_VOID;
  }

  readAndClear(iova: bigint, length: bigint, keep: boolean, record: (iova: bigint, bytes: bigint) => void): void {
    // Nothing above the aperture is mapped (GET_DIRTY_BITMAP does not check it).
    if (iova > APERTURE_LAST) return;
    const first = iova - (iova % PAGE);
    const end = iova + length - 1n < APERTURE_LAST ? iova + length : APERTURE_LAST + 1n;
    const bitmap = this.domain.readDirty(first, ((end + PAGE - 1n) / PAGE) * PAGE - first, !keep);
    for (const run of bitRuns(bitmap)) {
      const from = first + BigInt(run.first) * PAGE;
      const to = from + BigInt(run.count) * PAGE;
      const start = from < iova ? iova : from;
      record(start, (to > end ? end : to) - start);
      // Cleared leaves may still grant W in some unit's IOTLB: a write there would not set D again.
      if (!keep) this.domain.flush(from, to - from);
    }
  }
}
