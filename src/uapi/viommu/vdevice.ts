// A vDEVICE (spec §2.20): a device's virtual ID on a vIOMMU, used by the driver to
// resolve invalidation targets and to tag events.
import type { DeviceObject } from '../device/device.js';
import { IommufdObject, ObjectType } from '../objects.js';
import type { ViommuObject } from './viommu.js';

export class VdeviceObject extends IommufdObject {
  readonly type = ObjectType.VDEVICE;

  constructor(
    readonly viommu: ViommuObject,
    readonly device: DeviceObject,
    readonly virtId: bigint,
  ) {
    super();
  }

  override onDestroy(): void {
    this.viommu.vdevices.delete(this.virtId);
    if (this.device.vdevice === this) this.device.vdevice = undefined;
  }
}
