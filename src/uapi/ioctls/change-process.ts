// IOMMU_IOAS_CHANGE_PROCESS (spec §2.21). The simulation has a single process, so
// there is no accounting to move; what remains observable is the rule that only
// memory mapped from a file may change hands.
import { EINVAL, EOPNOTSUPP } from '../../iommu/errno.js';
import type { IoasObject } from '../ioas/ioas-object.js';
import { ObjectType } from '../objects.js';
import type { IommuIoasChangeProcess } from '../../iommu/abi/ioas.js';
import type { Ucmd } from '../ucmd.js';

export function ioasChangeProcess(u: Ucmd<typeof IommuIoasChangeProcess.fields>): number {
  if (u.get('__reserved') !== 0) return -EOPNOTSUPP;
  for (const obj of u.ctx.objects.values()) {
    if (obj.type !== ObjectType.IOAS) continue;
    if ((obj as IoasObject).iopt.areas.some((a) => a.pages.source !== 'file')) return -EINVAL;
  }
  return 0;
}
