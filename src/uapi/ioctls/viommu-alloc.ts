// IOMMU_VIOMMU_ALLOC (spec §2.19).
import { EINVAL, ENOENT, EOPNOTSUPP } from '../../iommu/errno.js';
import { IOMMU_VIOMMU_TYPE_DEFAULT, type IommuViommuAlloc } from '../../iommu/abi/index.js';
import type { Ucmd } from '../ucmd.js';
import type { UserData } from '../../iommu/user-data.js';
import { ViommuObject } from '../viommu/viommu.js';
import { lookupDevice, lookupHwptPaging } from './lookup.js';

export function viommuAlloc(u: Ucmd<typeof IommuViommuAlloc.fields>): number {
  const type = u.get('type');
  if (u.get('flags') !== 0 || type === IOMMU_VIOMMU_TYPE_DEFAULT) return -EOPNOTSUPP;
  const dev = lookupDevice(u.ctx, u.get('dev_id'));
  if (!dev) return -ENOENT;
  if (u.ctx.process.drivers.ownerOfViommuType(type) !== dev.driverDevice.driver) return -EOPNOTSUPP;
  const parent = lookupHwptPaging(u.ctx, u.get('hwpt_id'));
  if (!parent) return -ENOENT;
  if (!parent.nestParent) return -EINVAL;
  const dataLen = u.get('data_len');
  const data: UserData | undefined = dataLen !== 0 ? { type, uptr: u.get('data_uptr'), len: dataLen } : undefined;
  const made = dev.driverDevice.allocViommu(u.ctx.env, type, parent.domain, data);
  if (!made.ok) return -made.errno;
  const viommu = new ViommuObject(made.value, parent, dev.driverDevice.iommu);
  const added = u.ctx.objects.add(viommu);
  if (!added.ok) {
    made.value.free();
    return -added.errno;
  }
  u.ctx.objects.hold(viommu, parent);
  // Pages the driver registered for mmap belong to the new object: mapping them makes it busy.
  const region = made.value.mmap && u.ctx.mmaps.find(made.value.mmap.offset);
  if (region) region.owner = viommu;
  u.set('out_viommu_id', added.value);
  const rc = u.respond();
  if (rc !== 0) u.ctx.objects.destroy(added.value);
  return rc;
}
