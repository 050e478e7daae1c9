// Attaching a device (at its RID or at a PASID) to an IOAS or a HWPT, replacing what is
// there, and detaching (spec §5.2 MOCK_DOMAIN*, PASID_*; §5.4 pasid_attach). An IOAS
// target means an automatic paging HWPT: an existing compatible one of that IOAS is
// reused, otherwise one is made and later destroyed with its last device.
//
// PASID rules as the self-test observes them: a PASID needs a PASID-capable device
// and a HWPT allocated with IOMMU_HWPT_ALLOC_PASID; while a PASID is attached the RID
// domain must be PASID-compatible too (both directions are checked); attaching over an
// existing PASID attachment is EBUSY, replacing a missing one EINVAL.
import type { IommufdContext } from '../context.js';
import { EBUSY, EINVAL, ENOENT } from '../../iommu/errno.js';
import { HwptPaging, isHwpt, type Hwpt } from '../hwpt/hwpt.js';
import { allocPagingHwpt } from '../hwpt/alloc-paging.js';
import { IoasObject } from '../ioas/ioas-object.js';
import { fail, ok, OK_VOID, type Result } from '../../iommu/result.js';
import type { DriverViommu } from '../../iommu/driver.js';
import { RID, type DeviceObject } from './device.js';

export type AttachMode = 'attach' | 'replace';

export function attachDevice(ctx: IommufdContext, dev: DeviceObject, pasid: number | undefined, ptId: number, mode: AttachMode): Result<Hwpt> {
  const target = ctx.objects.getAny(ptId);
  if (!target) return fail(ENOENT);
  const current = dev.attachedAt(pasid);
  if (mode === 'attach' && current) return fail(EBUSY);
  if (mode === 'replace' && !current) return fail(EINVAL);
  if (pasid !== undefined && (dev.driverDevice.maxPasidLog2 === 0 || pasid >= 2 ** dev.driverDevice.maxPasidLog2)) {
    return fail(EINVAL);
  }
  if (isHwpt(target)) {
    if (target === current) return ok(target);
    const r = attachHwpt(ctx, dev, pasid, target);
    return r.ok ? ok(target) : r;
  }
  if (!(target instanceof IoasObject)) return fail(EINVAL);
  // Automatic domains are never PASID-compatible.
  if (pasid !== undefined) return fail(EINVAL);
  return attachAuto(ctx, dev, target, current);
}

export function detachDevice(ctx: IommufdContext, dev: DeviceObject, pasid: number | undefined): void {
  const current = dev.attachedAt(pasid);
  if (!current) return;
  dev.driverDevice.attach(null, pasid, () => undefined);
  dev.attachments.delete(pasid ?? RID);
  unhold(ctx, dev, current);
}

export function detachAll(ctx: IommufdContext, dev: DeviceObject): void {
  for (const pasid of dev.pasids) detachDevice(ctx, dev, pasid);
  detachDevice(ctx, dev, undefined);
}

function attachAuto(ctx: IommufdContext, dev: DeviceObject, ioas: IoasObject, current: Hwpt | undefined): Result<Hwpt> {
  for (const obj of ctx.objects.values()) {
    if (!(obj instanceof HwptPaging) || !obj.auto || obj.ioas !== ioas) continue;
    if (obj === current) return ok(obj);
    const r = attachHwpt(ctx, dev, undefined, obj);
    if (r.ok) return ok(obj);
    if (r.errno !== EINVAL) return r;
  }
  const made = allocPagingHwpt(ctx, dev.driverDevice, ioas, 0, undefined, { auto: true });
  if (!made.ok) return made;
  const r = attachHwpt(ctx, dev, undefined, made.value);
  if (!r.ok) {
    ctx.objects.destroy(made.value.id);
    return r;
  }
  return ok(made.value);
}

function attachHwpt(ctx: IommufdContext, dev: DeviceObject, pasid: number | undefined, hwpt: Hwpt): Result<void> {
  if (pasid !== undefined) {
    if (!hwpt.pasidCompat) return fail(EINVAL);
    const rid = dev.attachedAt(undefined);
    if (rid && !rid.pasidCompat) return fail(EINVAL);
  } else if (dev.pasids.length > 0 && !hwpt.pasidCompat) {
    return fail(EINVAL);
  }
  const vdevIdOn = (viommu: DriverViommu) => {
    const v = dev.vdevice;
    return v && v.viommu.driverViommu === viommu ? v.virtId : undefined;
  };
  const r = dev.driverDevice.attach(hwpt.domain, pasid, vdevIdOn);
  if (!r.ok) return r;
  const previous = dev.attachedAt(pasid);
  ctx.objects.hold(dev, hwpt);
  dev.attachments.set(pasid ?? RID, hwpt);
  if (previous) unhold(ctx, dev, previous);
  return OK_VOID;
}

/** Drops the device's hold; an automatic domain goes with its last device. */
function unhold(ctx: IommufdContext, dev: DeviceObject, hwpt: Hwpt): void {
  ctx.objects.release(dev, hwpt);
  if (hwpt instanceof HwptPaging && hwpt.auto && hwpt.users === 1) ctx.objects.destroy(hwpt.id);
}
