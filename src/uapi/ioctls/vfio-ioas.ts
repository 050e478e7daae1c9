// IOMMU_VFIO_IOAS (spec §2.12): which IOAS the VFIO compatibility container uses.
// The association is a pointer, not a reference: destroying the IOAS clears it.
import { ENODEV, EOPNOTSUPP } from '../../iommu/errno.js';
import {
  IOMMU_VFIO_IOAS_CLEAR,
  IOMMU_VFIO_IOAS_GET,
  IOMMU_VFIO_IOAS_SET,
  type IommuVfioIoas,
} from '../../iommu/abi/vfio-ioas.js';
import type { Ucmd } from '../ucmd.js';
import { lookupIoas, NO_SUCH_OBJECT } from './common.js';

export function vfioIoas(u: Ucmd<typeof IommuVfioIoas.fields>): number {
  if (u.get('__reserved') !== 0) return -EOPNOTSUPP;
  switch (u.get('op')) {
    case IOMMU_VFIO_IOAS_GET: {
      const ioas = u.ctx.vfioIoas;
      if (!ioas) return -ENODEV;
      u.set('ioas_id', ioas.id);
      return u.respond();
    }
    case IOMMU_VFIO_IOAS_SET: {
      const ioas = lookupIoas(u.ctx, u.get('ioas_id'));
      if (!ioas) return NO_SUCH_OBJECT;
      u.ctx.vfioIoas = ioas;
      return 0;
    }
    case IOMMU_VFIO_IOAS_CLEAR:
      u.ctx.vfioIoas = undefined;
      return 0;
    default:
      return -EOPNOTSUPP;
  }
}
