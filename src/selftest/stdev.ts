// The self-test object ("stdev", spec §5.2): MOCK_DOMAIN creates it together with a
// mock device bound to the iommufd. Destroying it detaches the device everywhere,
// force-destroys its vDEVICE (whose ID stays a tombstone) and unbinds the device.
import type { IommufdContext } from '../uapi/context.js';
import { detachAll } from '../uapi/device/attach.js';
import type { DeviceObject } from '../uapi/device/device.js';
import { IommufdObject, ObjectType } from '../uapi/objects.js';

export class SelftestObject extends IommufdObject {
  readonly type = ObjectType.SELFTEST;

  constructor(
    private readonly ctx: IommufdContext,
    readonly device: DeviceObject,
  ) {
    super();
  }

  override onDestroy(): void {
    const { ctx, device } = this;
    detachAll(ctx, device);
    if (device.vdevice) ctx.objects.forceDestroy(device.vdevice, null, true);
    ctx.objects.forceDestroy(device, this);
  }
}
