// IOMMU_IOAS_MAP and IOMMU_IOAS_MAP_FILE (spec §2.7, §2.8): checks in the kernel's
// order, then the IOAS places the memory (fixed or allocated IOVA). MAP_FILE takes a
// memfd or a dma-buf.
import type { ProcessServices } from '../context.js';
import { EBADF, EINVAL, EOPNOTSUPP, EOVERFLOW } from '../../iommu/errno.js';
import { PinnedPages } from '../ioas/pinned-pages.js';
import { FilePinSource } from '../memfd.js';
import { fail, ok, type Result } from '../../iommu/result.js';
import { PAGE_SIZE, SIZE_MAX, U64_MAX, ULONG_MAX } from '../limits.js';
import {
  IOMMU_IOAS_MAP_FIXED_IOVA,
  IOMMU_IOAS_MAP_WRITEABLE,
  type IommuIoasMap,
  type IommuIoasMapFile,
} from '../../iommu/abi/ioas.js';
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

  // The byte range is checked before the fd is even looked at.
  const start = u.get('start');
  if (length === 0n) return -EINVAL;
  if (start + length - 1n > U64_MAX) return -EOVERFLOW;
  const taken = filePages(u.ctx.process, u.get('fd'), start, length, (flags & IOMMU_IOAS_MAP_WRITEABLE) !== 0);
  if (!taken.ok) return -taken.errno;
  const pages = taken.value;

  const fixed = (flags & IOMMU_IOAS_MAP_FIXED_IOVA) !== 0 ? iova : undefined;
  const r = ioas.iopt.map([{ pages, offset: 0n, length }], protOf(flags), fixed, false);
  if (!r.ok) {
    // A dma-buf import or file reference no area took is let go again.
    pages.releaseUnused();
    return -r.errno;
  }
  u.set('iova', r.value);
  return u.respond();
}

/**
 * The memory behind `fd` for MAP_FILE. A dma-buf (the newest kernels' path): past the
 * buffer → EINVAL, revoked → ENODEV. Any other open file is taken as it is, its kind
 * and size unchecked: like the kernel, the model learns that a file cannot be pinned
 * (not a memfd, or pages past its end: EINVAL) only when a domain or an access pins it.
 */
function filePages(process: ProcessServices, fd: number, start: bigint, length: bigint, writable: boolean): Result<PinnedPages> {
  const buf = process.dmaBufOf(fd);
  if (buf === null) return fail(EBADF);
  if (buf) {
    if (start + length - 1n >= BigInt(buf.size)) return fail(EINVAL);
    const imported = buf.attach();
    if (!imported.ok) return imported;
    return ok(new PinnedPages(imported.value, start, length, writable, 'dmabuf'));
  }
  if (length > SIZE_MAX - PAGE_SIZE) return fail(EINVAL);
  const memfd = process.memfdOf(fd) ?? undefined;
  return ok(new PinnedPages(new FilePinSource(memfd?.pool ?? process.pool, memfd), start, length, writable, 'file'));
}
