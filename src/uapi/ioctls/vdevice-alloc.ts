// IOMMU_VDEVICE_ALLOC (spec §2.20): one virtual ID per device, unique per vIOMMU.
import { EEXIST, EINVAL, ENOENT } from '../../iommu/errno.js';
import type { IommuVdeviceAlloc } from '../../iommu/abi/index.js';
import type { Ucmd } from '../ucmd.js';
import { VdeviceObject } from '../viommu/vdevice.js';
import { lookupDevice, lookupViommu } from './lookup.js';

export function vdeviceAlloc(u: Ucmd<typeof IommuVdeviceAlloc.fields>): number {
  // virt_id > ULONG_MAX (EINVAL) cannot happen with a 64-bit unsigned long.
  const viommu = lookupViommu(u.ctx, u.get('viommu_id'));
  if (!viommu) return -ENOENT;
  const dev = lookupDevice(u.ctx, u.get('dev_id'));
  if (!dev) return -ENOENT;
  if (dev.driverDevice.iommu !== viommu.iommu) return -EINVAL;
  const virtId = u.get('virt_id');
  if (dev.vdevice || viommu.vdevices.has(virtId)) return -EEXIST;
  const vdev = new VdeviceObject(viommu, dev, virtId);
  const added = u.ctx.objects.add(vdev);
  if (!added.ok) return -added.errno;
  u.ctx.objects.hold(vdev, viommu);
  u.ctx.objects.hold(vdev, dev);
  viommu.vdevices.set(virtId, vdev);
  dev.vdevice = vdev;
  u.set('out_vdevice_id', added.value);
  const rc = u.respond();
  if (rc !== 0) u.ctx.objects.destroy(added.value);
  return rc;
}
