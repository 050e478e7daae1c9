// IOMMU_VEVENTQ_ALLOC (spec §2.22): one queue per (vIOMMU, type) and its read-only fd.
import { EEXIST, EINVAL, ENOENT, EOPNOTSUPP } from '../../iommu/errno.js';
import { IOMMU_VEVENTQ_TYPE_DEFAULT, type IommuVeventqAlloc } from '../../iommu/abi/index.js';
import type { Ucmd } from '../ucmd.js';
import { VeventqFile, VeventqObject } from '../viommu/veventq.js';
import { lookupViommu } from './lookup.js';

export function veventqAlloc(u: Ucmd<typeof IommuVeventqAlloc.fields>): number {
  // The relative order of the three argument checks is UNVERIFIED (spec §2.22).
  if (u.get('flags') !== 0 || u.get('__reserved') !== 0) return -EOPNOTSUPP;
  const type = u.get('type');
  if (type === IOMMU_VEVENTQ_TYPE_DEFAULT) return -EOPNOTSUPP;
  const depth = u.get('veventq_depth');
  if (depth === 0) return -EINVAL;
  const viommu = lookupViommu(u.ctx, u.get('viommu_id'));
  if (!viommu) return -ENOENT;
  if (viommu.veventqs.has(type)) return -EEXIST;
  if (!viommu.driverViommu.supportsVeventq(type)) return -EOPNOTSUPP;
  const queue = new VeventqObject(viommu, type, depth);
  const added = u.ctx.objects.add(queue);
  if (!added.ok) return -added.errno;
  u.ctx.objects.hold(queue, viommu);
  viommu.veventqs.set(type, queue);
  const fd = u.ctx.process.installFile(new VeventqFile(u.ctx, queue));
  u.set('out_veventq_id', added.value);
  u.set('out_veventq_fd', fd);
  const rc = u.respond();
  if (rc !== 0) {
    u.ctx.process.uninstallFile(fd);
    u.ctx.objects.destroy(added.value);
  }
  return rc;
}
