// IOMMU_IOAS_UNMAP (spec §2.10). iova 0 with length U64_MAX means "everything" and
// cannot fail; otherwise only whole areas inside the range are removed.
import { EINVAL, EOVERFLOW } from '../../iommu/errno.js';
import { U64_MAX, ULONG_MAX } from '../limits.js';
import type { IommuIoasUnmap } from '../../iommu/abi/ioas.js';
import type { Ucmd } from '../ucmd.js';
import { lookupIoas, NO_SUCH_OBJECT } from './common.js';

export function ioasUnmap(u: Ucmd<typeof IommuIoasUnmap.fields>): number {
  const ioas = lookupIoas(u.ctx, u.get('ioas_id'));
  if (!ioas) return NO_SUCH_OBJECT;
  const iova = u.get('iova');
  const length = u.get('length');

  if (iova === 0n && length === U64_MAX) {
    const all = ioas.iopt.unmapAll();
    if (!all.ok) return -all.errno;
    u.set('length', all.value);
    return u.respond();
  }
  if (iova >= ULONG_MAX || length >= ULONG_MAX) return -EOVERFLOW;
  if (length === 0n) return -EINVAL;
  if (iova + length - 1n > U64_MAX) return -EOVERFLOW;
  const r = ioas.iopt.unmap(iova, length);
  if (!r.ok) return -r.errno;
  u.set('length', r.value);
  return u.respond();
}
