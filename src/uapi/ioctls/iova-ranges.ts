// IOMMU_IOAS_IOVA_RANGES (spec §2.4). The struct is written back before EMSGSIZE so
// the caller learns how many ranges to make room for.
import { EFAULT, EMSGSIZE, EOPNOTSUPP } from '../../iommu/errno.js';
import { IommuIovaRange, packStruct, type IommuIoasIovaRanges } from '../../iommu/abi/index.js';
import type { Ucmd } from '../ucmd.js';
import { lookupIoas, NO_SUCH_OBJECT } from './common.js';

export function ioasIovaRanges(u: Ucmd<typeof IommuIoasIovaRanges.fields>): number {
  if (u.get('__reserved') !== 0) return -EOPNOTSUPP;
  const ioas = lookupIoas(u.ctx, u.get('ioas_id'));
  if (!ioas) return NO_SUCH_OBJECT;

  const ranges = ioas.iopt.iovaRanges();
  const capacity = u.get('num_iovas');
  const base = u.get('allowed_iovas');
  for (let i = 0; i < ranges.length && i < capacity; i++) {
    const entry = packStruct(IommuIovaRange, ranges[i]);
    if (!u.mem.write(base + BigInt(i * IommuIovaRange.sizeof), entry).ok) return -EFAULT;
  }
  u.set('num_iovas', ranges.length);
  u.set('out_iova_alignment', ioas.iopt.iovaAlignment);
  const rc = u.respond();
  if (rc !== 0) return rc;
  return ranges.length > capacity ? -EMSGSIZE : 0;
}
