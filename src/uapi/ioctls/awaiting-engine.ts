// Commands that need a device, a vendor model or the engine. Until those exist, each
// runs the checks the kernel performs before it would need one, in the kernel's order,
// and so returns exactly what the kernel returns on a file with no devices: the first
// failing check, or the "no such device/vIOMMU" lookup. Every success path past those
// lookups is unreachable today (no DEVICE, HWPT or VIOMMU object can be created) and
// is marked AWAITING-ENGINE where it will be filled in.
import { EINVAL, ENOENT, EOPNOTSUPP, EOVERFLOW } from '../errno.js';
import { U64_MAX } from '../limits.js';
import { ObjectType } from '../objects.js';
import {
  IOMMU_HW_INFO_FLAG_INPUT_TYPE,
  IOMMU_HWPT_DATA_NONE,
  IOMMU_HWPT_DIRTY_TRACKING_ENABLE,
  IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR,
  IOMMU_HW_QUEUE_TYPE_DEFAULT,
  IOMMU_VEVENTQ_TYPE_DEFAULT,
  IOMMU_VIOMMU_TYPE_DEFAULT,
  type IommuHwInfo,
  type IommuHwptAlloc,
  type IommuHwptGetDirtyBitmap,
  type IommuHwptInvalidate,
  type IommuHwptSetDirtyTracking,
  type IommuHwQueueAlloc,
  type IommuVdeviceAlloc,
  type IommuVeventqAlloc,
  type IommuViommuAlloc,
} from '../structs/index.js';
import type { Ucmd } from '../ucmd.js';

/** Returned once a lookup succeeded but the model behind it does not exist yet. */
const AWAITING_ENGINE = -EOPNOTSUPP;

export function hwptAlloc(u: Ucmd<typeof IommuHwptAlloc.fields>): number {
  if (u.get('__reserved') !== 0) return -EOPNOTSUPP;
  const hasType = u.get('data_type') !== IOMMU_HWPT_DATA_NONE;
  const hasData = u.get('data_len') !== 0;
  if (hasType !== hasData) return -EINVAL;
  if (!u.ctx.objects.get(u.get('dev_id'), ObjectType.DEVICE)) return -ENOENT;
  return AWAITING_ENGINE; // AWAITING-ENGINE: pt_id dispatch (IOAS / paging parent / vIOMMU)
}

export function getHwInfo(u: Ucmd<typeof IommuHwInfo.fields>): number {
  if ((u.get('flags') & ~IOMMU_HW_INFO_FLAG_INPUT_TYPE) !== 0) return -EOPNOTSUPP;
  if (u.get('__reserved').some((b) => b !== 0)) return -EOPNOTSUPP;
  if (!u.ctx.objects.get(u.get('dev_id'), ObjectType.DEVICE)) return -ENOENT;
  return AWAITING_ENGINE; // AWAITING-ENGINE: the vendor's hw_info
}

export function hwptSetDirtyTracking(u: Ucmd<typeof IommuHwptSetDirtyTracking.fields>): number {
  // __reserved is documented must-be-zero but the kernel does not check it (spec §1.4).
  if ((u.get('flags') & ~IOMMU_HWPT_DIRTY_TRACKING_ENABLE) !== 0) return -EOPNOTSUPP;
  if (!u.ctx.objects.get(u.get('hwpt_id'), ObjectType.HWPT_PAGING)) return -ENOENT;
  return AWAITING_ENGINE; // AWAITING-ENGINE: domain dirty tracking
}

export function hwptGetDirtyBitmap(u: Ucmd<typeof IommuHwptGetDirtyBitmap.fields>): number {
  if ((u.get('flags') & ~IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR) !== 0 || u.get('__reserved') !== 0) {
    return -EOPNOTSUPP;
  }
  if (!u.ctx.objects.get(u.get('hwpt_id'), ObjectType.HWPT_PAGING)) return -ENOENT;
  return AWAITING_ENGINE; // AWAITING-ENGINE: read-and-clear of dirty bits
}

/** entry_num goes back to the user on every path, as the number of entries handled. */
export function hwptInvalidate(u: Ucmd<typeof IommuHwptInvalidate.fields>): number {
  const rc = invalidateChecks(u);
  u.set('entry_num', 0);
  const written = u.respond();
  return written !== 0 ? written : rc;
}

function invalidateChecks(u: Ucmd<typeof IommuHwptInvalidate.fields>): number {
  if (u.get('__reserved') !== 0) return -EOPNOTSUPP;
  if (u.get('entry_num') !== 0 && (u.get('data_uptr') === 0n || u.get('entry_len') === 0)) return -EINVAL;
  const target = u.ctx.objects.getAny(u.get('hwpt_id'));
  if (!target) return -ENOENT;
  if (target.type === ObjectType.HWPT_NESTED || target.type === ObjectType.VIOMMU) {
    return AWAITING_ENGINE; // AWAITING-ENGINE: the vendor's cache invalidation
  }
  return -EINVAL;
}

export function viommuAlloc(u: Ucmd<typeof IommuViommuAlloc.fields>): number {
  if (u.get('flags') !== 0 || u.get('type') === IOMMU_VIOMMU_TYPE_DEFAULT) return -EOPNOTSUPP;
  if (!u.ctx.objects.get(u.get('dev_id'), ObjectType.DEVICE)) return -ENOENT;
  return AWAITING_ENGINE; // AWAITING-ENGINE: vendor vIOMMU
}

export function vdeviceAlloc(u: Ucmd<typeof IommuVdeviceAlloc.fields>): number {
  // virt_id > ULONG_MAX (EINVAL) cannot happen with a 64-bit unsigned long.
  if (!u.ctx.objects.get(u.get('viommu_id'), ObjectType.VIOMMU)) return -ENOENT;
  return AWAITING_ENGINE; // AWAITING-ENGINE: vDEVICE on a vendor vIOMMU
}

export function veventqAlloc(u: Ucmd<typeof IommuVeventqAlloc.fields>): number {
  // The relative order of the three argument checks is UNVERIFIED (spec §2.22).
  if (u.get('flags') !== 0 || u.get('__reserved') !== 0) return -EOPNOTSUPP;
  if (u.get('type') === IOMMU_VEVENTQ_TYPE_DEFAULT) return -EOPNOTSUPP;
  if (u.get('veventq_depth') === 0) return -EINVAL;
  if (!u.ctx.objects.get(u.get('viommu_id'), ObjectType.VIOMMU)) return -ENOENT;
  return AWAITING_ENGINE; // AWAITING-ENGINE: vEVENTQ object and fd
}

export function hwQueueAlloc(u: Ucmd<typeof IommuHwQueueAlloc.fields>): number {
  if (u.get('flags') !== 0 || u.get('type') === IOMMU_HW_QUEUE_TYPE_DEFAULT) return -EOPNOTSUPP;
  const length = u.get('length');
  if (length === 0n) return -EINVAL;
  if (u.get('nesting_parent_iova') + length - 1n > U64_MAX) return -EOVERFLOW;
  if (!u.ctx.objects.get(u.get('viommu_id'), ObjectType.VIOMMU)) return -ENOENT;
  return AWAITING_ENGINE; // AWAITING-ENGINE: vendor HW queue
}
