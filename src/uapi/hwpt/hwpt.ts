// HW page-table objects (spec §2.13). A paging HWPT owns a driver paging domain that
// mirrors its IOAS from allocation on; a nested HWPT owns a driver nested domain over
// a nest-parent paging HWPT or a vIOMMU. Devices attached to a HWPT hold it, so
// DESTROY is EBUSY while anything is attached.
import type { FaultQueue } from '../fault/fault-queue.js';
import type { IoasObject } from '../ioas/ioas-object.js';
import { IommufdObject, ObjectType } from '../objects.js';
import { IOMMU_HWPT_ALLOC_NEST_PARENT, IOMMU_HWPT_ALLOC_PASID } from '../../iommu/abi/hwpt.js';
import type { DriverNestedDomain, DriverPagingDomain } from '../../iommu/driver.js';
import type { ViommuObject } from '../viommu/viommu.js';

export class HwptPaging extends IommufdObject {
  readonly type = ObjectType.HWPT_PAGING;

  constructor(
    readonly ioas: IoasObject,
    readonly domain: DriverPagingDomain,
    /** Created by attaching a device to an IOAS; destroyed with its last device. */
    readonly auto: boolean,
    readonly fault: FaultQueue | undefined,
  ) {
    super();
  }

  get nestParent(): boolean {
    return (this.domain.flags & IOMMU_HWPT_ALLOC_NEST_PARENT) !== 0;
  }

  /** Allocated with IOMMU_HWPT_ALLOC_PASID: may share a device with PASID attachments. */
  get pasidCompat(): boolean {
    return (this.domain.flags & IOMMU_HWPT_ALLOC_PASID) !== 0;
  }

  override onDestroy(): void {
    this.ioas.iopt.detachDomain(this.domain);
    this.domain.free();
  }
}

export class HwptNested extends IommufdObject {
  readonly type = ObjectType.HWPT_NESTED;

  constructor(
    readonly parent: HwptPaging,
    readonly viommu: ViommuObject | undefined,
    readonly domain: DriverNestedDomain,
    readonly fault: FaultQueue | undefined,
  ) {
    super();
  }

  get pasidCompat(): boolean {
    return (this.domain.flags & IOMMU_HWPT_ALLOC_PASID) !== 0;
  }

  override onDestroy(): void {
    this.domain.free();
  }
}

export type Hwpt = HwptPaging | HwptNested;

export function isHwpt(obj: IommufdObject | undefined): obj is Hwpt {
  return obj instanceof HwptPaging || obj instanceof HwptNested;
}
