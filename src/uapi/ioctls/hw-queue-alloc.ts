// IOMMU_HW_QUEUE_ALLOC (spec §2.23): the queue's guest memory is pinned through the
// vIOMMU's parent IOAS the way an in-kernel access pins, area by area (not readable:
// EPERM; dma-buf memory: EINVAL; then not mapped: ENOENT), must be physically
// contiguous (EFAULT) and stays locked against UNMAP while the queue lives.
import { EFAULT, EINVAL, ENOENT, EOPNOTSUPP, EOVERFLOW, ERANGE } from '../../iommu/errno.js';
import { PAGE_SIZE, U64_MAX } from '../limits.js';
import { IOMMU_HW_QUEUE_TYPE_DEFAULT, type IommuHwQueueAlloc } from '../../iommu/abi/index.js';
import type { Ucmd } from '../ucmd.js';
import { HwQueueObject } from '../viommu/hw-queue.js';
import type { PagesSlice } from '../ioas/area.js';
import { lookupViommu } from './lookup.js';

export function hwQueueAlloc(u: Ucmd<typeof IommuHwQueueAlloc.fields>): number {
  const type = u.get('type');
  if (u.get('flags') !== 0 || type === IOMMU_HW_QUEUE_TYPE_DEFAULT) return -EOPNOTSUPP;
  const length = u.get('length');
  if (length === 0n) return -EINVAL;
  const base = u.get('nesting_parent_iova');
  if (base + length - 1n > U64_MAX) return -EOVERFLOW;
  const viommu = lookupViommu(u.ctx, u.get('viommu_id'));
  if (!viommu) return -ENOENT;
  const support = viommu.driverViommu.hwQueue;
  if (!support || !support.types.includes(type)) return -EOPNOTSUPP;
  // The pin covers whole pages from the base's page to the end of the queue.
  const pinStart = base - (base % PAGE_SIZE);
  const pinLength = ((base % PAGE_SIZE) + length + PAGE_SIZE - 1n) / PAGE_SIZE * PAGE_SIZE;
  if (pinStart + pinLength - 1n > U64_MAX) return -ERANGE;
  const ioas = viommu.parent.ioas;
  const index = u.get('index');
  const queue = new HwQueueObject(viommu, type, index, ioas, { start: base, last: base + length - 1n });
  const locked = ioas.iopt.lockRange(queue.range, queue);
  if (!locked.ok) return -locked.errno;
  if (!physicallyContiguous(locked.value)) {
    ioas.iopt.unlockRange(queue);
    return -EFAULT;
  }
  const checked = support.check(type, index, new Set(viommu.hwQueues.keys()));
  if (!checked.ok) {
    ioas.iopt.unlockRange(queue);
    return -checked.errno;
  }
  const added = u.ctx.objects.add(queue);
  if (!added.ok) {
    ioas.iopt.unlockRange(queue);
    return -added.errno;
  }
  u.ctx.objects.hold(queue, viommu);
  const dependency = support.dependsOn(index);
  const before = dependency === undefined ? undefined : viommu.hwQueues.get(dependency);
  if (before) u.ctx.objects.hold(queue, before);
  viommu.hwQueues.set(index, queue);
  u.set('out_hw_queue_id', added.value);
  const rc = u.respond();
  if (rc !== 0) u.ctx.objects.destroy(added.value);
  return rc;
}

/**
 * The queue's bytes must sit at consecutive physical addresses. Pages are pinned only
 * while a domain is attached; unpinned memory has no physical address to compare yet.
 */
function physicallyContiguous(slices: readonly PagesSlice[]): boolean {
  let expected: bigint | undefined;
  for (const s of slices) {
    const firstPage = s.pages.addressOf(s.offset) / PAGE_SIZE;
    const lastPage = s.pages.addressOf(s.offset + s.length - 1n) / PAGE_SIZE;
    for (let page = firstPage; page <= lastPage; page++) {
      const offset = page * PAGE_SIZE - s.pages.start;
      const at = offset < s.offset ? s.offset : offset;
      if (s.pages.usersOf(page) === 0) return true;
      const pa = s.pages.physOf(at);
      if (expected !== undefined && pa !== expected) return false;
      expected = pa - (pa % PAGE_SIZE) + PAGE_SIZE;
    }
  }
  return true;
}
