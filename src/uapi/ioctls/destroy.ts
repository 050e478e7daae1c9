// IOMMU_DESTROY (spec §2.1): any object by ID; ENOENT when absent, EBUSY while held.
import type { IommuDestroy } from '../../iommu/abi/destroy.js';
import type { Ucmd } from '../ucmd.js';

export function destroy(u: Ucmd<typeof IommuDestroy.fields>): number {
  return u.ctx.objects.destroy(u.get('id'));
}
