// IOMMU_IOAS_MAP and IOMMU_IOAS_MAP_FILE (spec §2.7, §2.8): checks in the kernel's
// order, then the IOAS places the memory (fixed or allocated IOVA).
import { EBADF, EINVAL, EOPNOTSUPP, EOVERFLOW } from '../errno.js';
import { PinnedPages } from '../ioas/pinned-pages.js';
import { PAGE_SIZE, SIZE_MAX, U64_MAX, ULONG_MAX } from '../limits.js';
import {
  IOMMU_IOAS_MAP_FIXED_IOVA,
  IOMMU_IOAS_MAP_WRITEABLE,
  type IommuIoasMap,
  type IommuIoasMapFile,
} from '../structs/ioas.js';
import type { Ucmd } from '../ucmd.js';
import { hasAccessFlag, hasUnknownMapFlags, lookupIoas, NO_SUCH_OBJECT, protOf } from './common.js';

export function ioasMap(u: Ucmd<typeof IommuIoasMap.fields>): number {
  const flags = u.get('flags');
  if (hasUnknownMapFlags(flags) || u.get('__reserved') !== 0) return -EOPNOTSUPP;
  const iova = u.get('iova');
  const length = u.get('length');
  if (iova >= ULONG_MAX || length >= ULONG_MAX) return -EOVERFLOW;
  if (!hasAccessFlag(flags)) return -EINVAL;
  const ioas = lookupIoas(u.ctx, u.get('ioas_id'));
  if (!ioas) return NO_SUCH_OBJECT;

  const userVa = u.get('user_va');
  if (userVa + length > U64_MAX) return -EOVERFLOW;
  if (length === 0n || length > SIZE_MAX - PAGE_SIZE) return -EINVAL;

  const writable = (flags & IOMMU_IOAS_MAP_WRITEABLE) !== 0;
  const pages = new PinnedPages(u.mem, userVa, length, writable, 'user');
  const fixed = (flags & IOMMU_IOAS_MAP_FIXED_IOVA) !== 0 ? iova : undefined;
  const r = ioas.iopt.map([{ pages, offset: 0n, length }], protOf(flags), fixed, false);
  if (!r.ok) return -r.errno;
  u.set('iova', r.value);
  return u.respond();
}

export function ioasMapFile(u: Ucmd<typeof IommuIoasMapFile.fields>): number {
  const flags = u.get('flags');
  if (hasUnknownMapFlags(flags)) return -EOPNOTSUPP;
  const iova = u.get('iova');
  const length = u.get('length');
  if (iova >= ULONG_MAX || length >= ULONG_MAX) return -EOVERFLOW;
  if (!hasAccessFlag(flags)) return -EINVAL;
  const ioas = lookupIoas(u.ctx, u.get('ioas_id'));
  if (!ioas) return NO_SUCH_OBJECT;

  const file = u.ctx.process.memfdOf(u.get('fd'));
  if (file === null) return -EBADF;
  // Only memfd-like files can be pinned; other open files are the wrong kind of file.
  if (file === undefined) return -EINVAL;
  const start = u.get('start');
  if (start + length > U64_MAX) return -EOVERFLOW;
  if (length === 0n || start + length > BigInt(file.size)) return -EINVAL;

  const writable = (flags & IOMMU_IOAS_MAP_WRITEABLE) !== 0;
  const pages = new PinnedPages(file, start, length, writable, 'file');
  const fixed = (flags & IOMMU_IOAS_MAP_FIXED_IOVA) !== 0 ? iova : undefined;
  const r = ioas.iopt.map([{ pages, offset: 0n, length }], protOf(flags), fixed, false);
  if (!r.ok) return -r.errno;
  u.set('iova', r.value);
  return u.respond();
}
