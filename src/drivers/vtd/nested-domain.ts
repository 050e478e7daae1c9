// A VT-d nested domain (IOMMU_HWPT_DATA_VTD_S1): the guest's first-stage config over a
// nest-parent second stage. It owns no table and no engine space: an attach writes a
// nested PASID-table entry (PGTT 011) tagged with the parent's DID, and the unit walks
// the guest's tables through the parent. HWPT_INVALIDATE becomes PASID-based IOTLB
// descriptors for every (unit, DID, PASID) the domain is attached through.
import { FaultReason } from '../../engine/types.js';
import { EINVAL, EOPNOTSUPP } from '../../iommu/errno.js';
import { decodeStruct } from '../../iommu/abi/layout.js';
import { IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, IOMMU_VTD_INV_FLAGS_LEAF, IommuHwptVtdS1Invalidate } from '../../iommu/abi/hwpt.js';
import { copyUserArrayEntry, type UserDataArray } from '../../iommu/user-data.js';
import type { DmaStep, IommuDriver, InvalidateResult, DriverEnv, DriverNestedDomain } from '../../iommu/driver.js';
import type { VtdIommu } from './host-iommu.js';
import type { VtdS1Config } from './iommufd.js';
import type { VtdPagingDomain } from './paging-domain.js';

const PAGE = 4096n;
const U64_MAX = (1n << 64n) - 1n;

/** One place the domain is attached: a PASID-table entry of a device behind `iommu`. */
export interface NestedAttachment {
  readonly iommu: VtdIommu;
  readonly sid: number;
  readonly pasid: number;
}

export class VtdNestedDomain implements DriverNestedDomain {
  readonly kind = 'nested';
  readonly attachments = new Set<NestedAttachment>();

  constructor(
    readonly driver: IommuDriver,
    readonly flags: number,
    readonly parent: VtdPagingDomain,
    readonly config: VtdS1Config,
  ) {}

  /**
   * A nested translation exists only per device PASID (the unit's walk); VT-d devices
   * translate through their unit, so this domain-only path reports "not translated".
   */
  translate(iova: bigint, _access: number): DmaStep {
    return { ok: false, fault: { iova, reason: FaultReason.TRANSLATION, stage: 1, level: 0, addr: iova } };
  }

  /**
   * HWPT_INVALIDATE with IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 (iommufd-uapi.md §3.3), entry
   * by entry: the type first, even for zero entries (EINVAL); then each entry is copied
   * (entry_len exactly 24, else EINVAL; a fault, EFAULT), its flags and __reserved
   * checked (EOPNOTSUPP), its address checked (4 KiB aligned, and 0 when npages is
   * U64_MAX: EINVAL), then flushed through every attachment. The first error stops
   * the loop; `handled` counts the entries flushed before it.
   */
  invalidateUser(env: DriverEnv, array: UserDataArray): InvalidateResult {
    if (array.type !== IOMMU_HWPT_INVALIDATE_DATA_VTD_S1) return { handled: 0, errno: EINVAL };
    const layout = IommuHwptVtdS1Invalidate;
    let handled = 0;
    for (; handled < array.entryNum; handled++) {
      const copied = copyUserArrayEntry(env.mem, array, array.type, handled, layout.minSize, layout.sizeof);
      if (!copied.ok) return { handled, errno: copied.errno };
      const entry = decodeStruct(layout, copied.value);
      if ((entry.flags & ~IOMMU_VTD_INV_FLAGS_LEAF) !== 0 || entry.__reserved !== 0) return { handled, errno: EOPNOTSUPP };
      if (entry.addr % PAGE !== 0n || (entry.npages === U64_MAX && entry.addr !== 0n)) return { handled, errno: EINVAL };
      const leafOnly = (entry.flags & IOMMU_VTD_INV_FLAGS_LEAF) !== 0;
      if (entry.npages === U64_MAX) this.flush(0n, undefined, leafOnly);
      else if (entry.npages > 0n) this.flush(entry.addr, entry.npages * PAGE, leafOnly);
    }
    return { handled, errno: 0 };
  }

  free(): void {}

  /** [addr, addr + bytes) of the stage-1 caches (bytes undefined: everything) on every unit, DID and PASID attached. */
  private flush(addr: bigint, bytes: bigint | undefined, leafOnly: boolean): void {
    for (const a of this.attachments) a.iommu.flushPasidRange(a.iommu.didOf(this.parent), a.pasid, addr, bytes, leafOnly);
  }
}
