// Typed lookups of the device-side objects.
import type { IommufdContext } from '../context.js';
import type { DeviceObject } from '../device/device.js';
import type { HwptNested, HwptPaging } from '../hwpt/hwpt.js';
import { ObjectType } from '../objects.js';
import type { ViommuObject } from '../viommu/viommu.js';

export function lookupDevice(ctx: IommufdContext, id: number): DeviceObject | undefined {
  return ctx.objects.get<DeviceObject>(id, ObjectType.DEVICE);
}

export function lookupHwptPaging(ctx: IommufdContext, id: number): HwptPaging | undefined {
  return ctx.objects.get<HwptPaging>(id, ObjectType.HWPT_PAGING);
}

export function lookupHwptNested(ctx: IommufdContext, id: number): HwptNested | undefined {
  return ctx.objects.get<HwptNested>(id, ObjectType.HWPT_NESTED);
}

export function lookupViommu(ctx: IommufdContext, id: number): ViommuObject | undefined {
  return ctx.objects.get<ViommuObject>(id, ObjectType.VIOMMU);
}
