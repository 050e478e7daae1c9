// The vIOMMU object (spec §2.19): a driver vIOMMU over a nest-parent paging HWPT, with
// its vDEVICEs (by virtual ID), its vEVENTQs (one per type) and its HW queues.
import { IommufdObject, ObjectType } from '../objects.js';
import type { HwptPaging } from '../hwpt/hwpt.js';
import type { DriverViommu } from '../../iommu/driver.js';
import type { HwQueueObject } from './hw-queue.js';
import type { VdeviceObject } from './vdevice.js';
import type { VeventqObject } from './veventq.js';

export class ViommuObject extends IommufdObject {
  readonly type = ObjectType.VIOMMU;
  readonly vdevices = new Map<bigint, VdeviceObject>();
  readonly veventqs = new Map<number, VeventqObject>();
  readonly hwQueues = new Map<number, HwQueueObject>();

  constructor(
    readonly driverViommu: DriverViommu,
    readonly parent: HwptPaging,
    /** The physical IOMMU of the device it was made for. */
    readonly iommu: object,
  ) {
    super();
  }

  override onDestroy(): void {
    this.driverViommu.free();
  }
}
