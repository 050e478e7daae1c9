// IOMMU_OPTION (spec §2.11): per-file RLIMIT_MODE and per-IOAS HUGE_PAGES. Only val64
// travels back to the user.
import { EBUSY, EINVAL, EOPNOTSUPP, EPERM } from '../../iommu/errno.js';
import { RLIMIT_MODE_MM, RLIMIT_MODE_USER } from '../context.js';
import {
  IOMMU_OPTION_HUGE_PAGES,
  IOMMU_OPTION_OP_GET,
  IOMMU_OPTION_OP_SET,
  IOMMU_OPTION_RLIMIT_MODE,
  type IommuOption,
} from '../../iommu/abi/option.js';
import type { Ucmd } from '../ucmd.js';
import { lookupIoas, NO_SUCH_OBJECT } from './common.js';

type OptionCmd = Ucmd<typeof IommuOption.fields>;

export function option(u: OptionCmd): number {
  if (u.get('__reserved') !== 0) return -EOPNOTSUPP;
  let rc: number;
  switch (u.get('option_id')) {
    case IOMMU_OPTION_RLIMIT_MODE:
      rc = rlimitMode(u);
      break;
    case IOMMU_OPTION_HUGE_PAGES:
      rc = hugePages(u);
      break;
    default:
      return -EOPNOTSUPP;
  }
  return rc === 0 ? u.respondField('val64') : rc;
}

function rlimitMode(u: OptionCmd): number {
  if (u.get('object_id') !== 0) return -EOPNOTSUPP;
  const op = u.get('op');
  if (op === IOMMU_OPTION_OP_GET) {
    u.set('val64', BigInt(u.ctx.rlimitMode));
    return 0;
  }
  if (op !== IOMMU_OPTION_OP_SET) return -EOPNOTSUPP;
  if (!u.ctx.process.capSysResource) return -EPERM;
  // Pages already accounted one way cannot switch to the other.
  if (u.ctx.objects.size > 0) return -EBUSY;
  const value = u.get('val64');
  if (value === 0n) u.ctx.rlimitMode = RLIMIT_MODE_USER;
  else if (value === 1n) u.ctx.rlimitMode = RLIMIT_MODE_MM;
  else return -EINVAL;
  return 0;
}

function hugePages(u: OptionCmd): number {
  const ioas = lookupIoas(u.ctx, u.get('object_id'));
  if (!ioas) return NO_SUCH_OBJECT;
  const op = u.get('op');
  if (op === IOMMU_OPTION_OP_GET) {
    u.set('val64', ioas.iopt.hugePages ? 1n : 0n);
    return 0;
  }
  if (op !== IOMMU_OPTION_OP_SET) return -EOPNOTSUPP;
  const value = u.get('val64');
  if (value !== 0n && value !== 1n) return -EINVAL;
  const r = ioas.iopt.setHugePages(value === 1n);
  return r.ok ? 0 : -r.errno;
}
