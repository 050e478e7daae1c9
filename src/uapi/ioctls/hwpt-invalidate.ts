// IOMMU_HWPT_INVALIDATE (spec §4): the target is a nested HWPT or a vIOMMU; its driver
// walks the request entries and reports how many it handled. entry_num goes back to
// the user on every path, errors included.
import { EINVAL, ENOENT, EOPNOTSUPP } from '../../iommu/errno.js';
import { HwptNested } from '../hwpt/hwpt.js';
import type { IommuHwptInvalidate } from '../../iommu/abi/index.js';
import type { Ucmd } from '../ucmd.js';
import type { UserDataArray } from '../../iommu/user-data.js';
import type { InvalidateResult } from '../../iommu/driver.js';
import { ViommuObject } from '../viommu/viommu.js';

type InvalidateCmd = Ucmd<typeof IommuHwptInvalidate.fields>;

export function hwptInvalidate(u: InvalidateCmd): number {
  const r = invalidate(u);
  u.set('entry_num', r.handled);
  const written = u.respond();
  if (written !== 0) return written;
  return r.errno === 0 ? 0 : -r.errno;
}

function invalidate(u: InvalidateCmd): InvalidateResult {
  const none = (errno: number) => ({ handled: 0, errno });
  if (u.get('__reserved') !== 0) return none(EOPNOTSUPP);
  const array: UserDataArray = {
    type: u.get('data_type'),
    uptr: u.get('data_uptr'),
    entryLen: u.get('entry_len'),
    entryNum: u.get('entry_num'),
  };
  if (array.entryNum !== 0 && (array.uptr === 0n || array.entryLen === 0)) return none(EINVAL);
  const target = u.ctx.objects.getAny(u.get('hwpt_id'));
  if (!target) return none(ENOENT);
  const env = u.ctx.env;
  if (target instanceof HwptNested) {
    const domain = target.domain;
    return domain.invalidateUser ? domain.invalidateUser(env, array) : none(EOPNOTSUPP);
  }
  if (target instanceof ViommuObject) {
    const viommu = target.driverViommu;
    if (!viommu.invalidate) return none(EOPNOTSUPP);
    return viommu.invalidate(env, array, (virtId) => {
      const v = target.vdevices.get(virtId);
      return v && { virtId: v.virtId, device: v.device.driverDevice };
    });
  }
  return none(EINVAL);
}
