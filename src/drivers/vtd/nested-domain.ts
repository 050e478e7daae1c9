// A VT-d nested domain (IOMMU_HWPT_DATA_VTD_S1): the guest's first-stage config over a
// nest-parent second stage. It owns no table and no engine space: an attach writes a
// nested PASID-table entry (PGTT 011) tagged with the parent's DID, and the unit walks
// the guest's tables through the parent. HWPT_INVALIDATE becomes PASID-based IOTLB
// descriptors for every (unit, DID, PASID) the domain is attached through.
import { FaultReason } from '../../engine/types.js';
import type { UserDataArray } from '../../iommu/user-data.js';
import { copyUserArrayEntry } from '../../iommu/user-data.js';
import type { DmaStep, IommuDriver, InvalidateResult, DriverEnv, DriverNestedDomain } from '../../iommu/driver.js';
import type { VtdIommu } from './host-iommu.js';
import { IommuHwptVtdS1Invalidate } from '../../iommu/abi/hwpt.js';
import { vtdS1Invalidate, type VtdS1Config } from './iommufd.js';
import type { VtdPagingDomain } from './paging-domain.js';

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

  invalidateUser(env: DriverEnv, array: UserDataArray): InvalidateResult {
    const outcome = vtdS1Invalidate({
      dataType: array.type,
      entryLen: array.entryLen,
      entryNum: array.entryNum,
      readEntry: (i) => {
        const r = copyUserArrayEntry(env.mem, array, array.type, i, IommuHwptVtdS1Invalidate.minSize, IommuHwptVtdS1Invalidate.sizeof);
        return r.ok ? new Uint8Array(r.value.buffer, r.value.byteOffset, r.value.byteLength) : undefined;
      },
      flush: (addr, bytes, leafOnly) => {
        for (const a of this.attachments) a.iommu.flushPasidRange(a.iommu.didOf(this.parent), a.pasid, addr, bytes, leafOnly);
      },
    });
    return { handled: outcome.handled, errno: outcome.errno };
  }

  free(): void {}
}
