// IOMMU_IOAS_MAP and IOMMU_IOAS_MAP_FILE (spec §2.7, §2.8): checks in the kernel's
// order, then the IOAS places the memory (fixed or allocated IOVA). MAP_FILE takes a
// memfd or a dma-buf.
import { EBADF, EINVAL, EOPNOTSUPP, EOVERFLOW } from '../errno.js';
import type { DmaBuf, DmaBufImport } from '../dmabuf.js';
import { PinnedPages } from '../ioas/pinned-pages.js';
import { fail, type Result } from '../result.js';
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

  const fd = u.get('fd');
  const start = u.get('start');
  const writable = (flags & IOMMU_IOAS_MAP_WRITEABLE) !== 0;
  const buf = u.ctx.process.dmaBufOf(fd);
  let pages: PinnedPages;
  if (buf) {
    const imported = importDmaBuf(buf, start, length);
    if (!imported.ok) return -imported.errno;
    pages = new PinnedPages(imported.value, start, length, writable, 'dmabuf');
  } else {
    const file = u.ctx.process.memfdOf(fd);
    if (file === null) return -EBADF;
    // Only memfd-like files can be pinned; other open files are the wrong kind of file.
    if (file === undefined) return -EINVAL;
    if (start + length > U64_MAX) return -EOVERFLOW;
    if (length === 0n || start + length > BigInt(file.size)) return -EINVAL;
    pages = new PinnedPages(file, start, length, writable, 'file');
  }

  const fixed = (flags & IOMMU_IOAS_MAP_FIXED_IOVA) !== 0 ? iova : undefined;
  const r = ioas.iopt.map([{ pages, offset: 0n, length }], protOf(flags), fixed, false);
  if (!r.ok) {
    // A dma-buf import no area took is detached again.
    pages.releaseUnused();
    return -r.errno;
  }
  u.set('iova', r.value);
  return u.respond();
}

/**
 * The newest kernels' dma-buf path of MAP_FILE: length 0 → EINVAL, the last byte
 * wrapping → EOVERFLOW, past the buffer → EINVAL, a revoked buffer → ENODEV.
 */
function importDmaBuf(buf: DmaBuf, start: bigint, length: bigint): Result<DmaBufImport> {
  if (length === 0n) return fail(EINVAL);
  if (start + length - 1n > U64_MAX) return fail(EOVERFLOW);
  if (start + length - 1n >= BigInt(buf.size)) return fail(EINVAL);
  return buf.attach();
}
