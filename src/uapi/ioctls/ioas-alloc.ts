// IOMMU_IOAS_ALLOC (spec §2.2).
import { EOPNOTSUPP } from '../../iommu/errno.js';
import { IoasObject } from '../ioas/ioas-object.js';
import type { IommuIoasAlloc } from '../../iommu/abi/ioas.js';
import type { Ucmd } from '../ucmd.js';

export function ioasAlloc(u: Ucmd<typeof IommuIoasAlloc.fields>): number {
  if (u.get('flags') !== 0) return -EOPNOTSUPP;
  const ioas = new IoasObject();
  const added = u.ctx.objects.add(ioas);
  if (!added.ok) return -added.errno;
  u.set('out_ioas_id', added.value);
  const rc = u.respond();
  // An ID the caller never learned would leak until close; the kernel aborts it too.
  if (rc !== 0) u.ctx.objects.destroy(added.value);
  return rc;
}
