// IOMMU_GET_HW_INFO (spec §2.14): the driver's info struct, truncated to the user's
// buffer and zero-filled beyond it, with the full length reported back.
import { EFAULT, ENOENT, EOPNOTSUPP } from '../../iommu/errno.js';
import { IOMMU_HW_CAP_DIRTY_TRACKING, IOMMU_HW_INFO_FLAG_INPUT_TYPE, type IommuHwInfo } from '../../iommu/abi/index.js';
import type { Ucmd } from '../ucmd.js';
import { lookupDevice } from './lookup.js';

export function getHwInfo(u: Ucmd<typeof IommuHwInfo.fields>): number {
  if ((u.get('flags') & ~IOMMU_HW_INFO_FLAG_INPUT_TYPE) !== 0) return -EOPNOTSUPP;
  if (u.get('__reserved').some((b) => b !== 0)) return -EOPNOTSUPP;
  const dev = lookupDevice(u.ctx, u.get('dev_id'));
  if (!dev) return -ENOENT;
  // Without INPUT_TYPE the union is an output only: the request is the default type.
  const requested = u.get('flags') & IOMMU_HW_INFO_FLAG_INPUT_TYPE ? u.get('data_type') : 0;
  const info = dev.driverDevice.hwInfo(requested);
  if (!info.ok) return -info.errno;

  const userLen = u.get('data_len');
  if (userLen > 0) {
    const out = new Uint8Array(userLen);
    out.set(info.value.data.subarray(0, Math.min(userLen, info.value.data.length)));
    if (!u.mem.write(u.get('data_uptr'), out).ok) return -EFAULT;
  }
  u.set('data_len', info.value.data.length);
  u.set('data_type', info.value.type);
  u.set('out_max_pasid_log2', dev.driverDevice.maxPasidLog2);
  u.set('out_capabilities', dev.driverDevice.dirtyCapable ? IOMMU_HW_CAP_DIRTY_TRACKING : 0n);
  return u.respond();
}
