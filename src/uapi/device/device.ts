// A device bound to an iommufd (the kernel's iommufd_device, "idev"): its driver state
// and what it is attached to, at the RID and at each PASID. Each attachment holds
// its HWPT.
import { IommufdObject, ObjectType } from '../objects.js';
import type { Hwpt } from '../hwpt/hwpt.js';
import type { DriverDevice } from '../../iommu/driver.js';
import type { VdeviceObject } from '../viommu/vdevice.js';

/** Key of the RID (requests without a PASID) in `attachments`. */
export const RID = -1;

export class DeviceObject extends IommufdObject {
  readonly type = ObjectType.DEVICE;
  /** RID (-1) or PASID -> attached HWPT. */
  readonly attachments = new Map<number, Hwpt>();
  vdevice: VdeviceObject | undefined;

  constructor(readonly driverDevice: DriverDevice) {
    super();
  }

  attachedAt(pasid: number | undefined): Hwpt | undefined {
    return this.attachments.get(pasid ?? RID);
  }

  /** PASIDs with an attachment (the RID excluded). */
  get pasids(): number[] {
    return [...this.attachments.keys()].filter((k) => k !== RID);
  }
}
