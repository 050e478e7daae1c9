// IOMMU_IOAS_COPY (spec §2.9): any source range fully covered by contiguous areas is
// mapped again in the destination, sharing the source's pinned pages.
import { EINVAL, EOPNOTSUPP, EOVERFLOW } from '../../iommu/errno.js';
import { U64_MAX, ULONG_MAX } from '../limits.js';
import { IOMMU_IOAS_MAP_FIXED_IOVA, IOMMU_IOAS_MAP_WRITEABLE, type IommuIoasCopy } from '../../iommu/abi/ioas.js';
import type { Ucmd } from '../ucmd.js';
import { hasAccessFlag, hasUnknownMapFlags, lookupIoas, NO_SUCH_OBJECT, protOf } from './common.js';

export function ioasCopy(u: Ucmd<typeof IommuIoasCopy.fields>): number {
  const flags = u.get('flags');
  if (hasUnknownMapFlags(flags)) return -EOPNOTSUPP;
  const length = u.get('length');
  const srcIova = u.get('src_iova');
  const dstIova = u.get('dst_iova');
  if (length >= ULONG_MAX || srcIova >= ULONG_MAX || dstIova >= ULONG_MAX) return -EOVERFLOW;
  if (!hasAccessFlag(flags)) return -EINVAL;

  const src = lookupIoas(u.ctx, u.get('src_ioas_id'));
  if (!src) return NO_SUCH_OBJECT;
  if (length === 0n) return -EINVAL;
  if (srcIova + length - 1n > U64_MAX) return -EOVERFLOW;
  const slices = src.iopt.slicesOf(srcIova, length);
  if (!slices.ok) return -slices.errno;

  const dst = lookupIoas(u.ctx, u.get('dst_ioas_id'));
  if (!dst) return NO_SUCH_OBJECT;
  const fixed = (flags & IOMMU_IOAS_MAP_FIXED_IOVA) !== 0 ? dstIova : undefined;
  const needWrite = (flags & IOMMU_IOAS_MAP_WRITEABLE) !== 0;
  const r = dst.iopt.map(slices.value, protOf(flags), fixed, needWrite);
  if (!r.ok) return -r.errno;
  u.set('dst_iova', r.value);
  return u.respond();
}
