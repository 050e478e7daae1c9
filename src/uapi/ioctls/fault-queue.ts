// IOMMU_FAULT_QUEUE_ALLOC (spec §2.18): a FAULT object and its fd. The fd is only
// handed over once the reply reached the user, so a failed write-back leaves nothing.
import { EOPNOTSUPP } from '../../iommu/errno.js';
import { FaultFile, FaultQueue } from '../fault/fault-queue.js';
import type { IommuFaultAlloc } from '../../iommu/abi/fault.js';
import type { Ucmd } from '../ucmd.js';

export function faultQueueAlloc(u: Ucmd<typeof IommuFaultAlloc.fields>): number {
  if (u.get('flags') !== 0) return -EOPNOTSUPP;
  const queue = new FaultQueue();
  const added = u.ctx.objects.add(queue);
  if (!added.ok) return -added.errno;
  const fd = u.ctx.process.installFile(new FaultFile(u.ctx, queue));
  u.set('out_fault_id', added.value);
  u.set('out_fault_fd', fd);
  const rc = u.respond();
  if (rc !== 0) {
    u.ctx.process.uninstallFile(fd);
    u.ctx.objects.destroy(added.value);
  }
  return rc;
}
