// mmap(2) and munmap(2) for the simulated process: anonymous memory, memfd files
// (MAP_SHARED sees the file, MAP_PRIVATE copies on write) and the iommufd, whose
// driver regions (./mmap-regions.ts) map as PFN pages. Checks follow the kernel's
// order: page-aligned offset, the fd, length, mapping type, then the file's own mmap.
import type { IommufdContext } from './context.js';
import { EBADF, EINVAL, ENODEV, ENOMEM, ENXIO, EOPNOTSUPP, EOVERFLOW, EPERM } from '../iommu/errno.js';
import { Mapping } from './mapped-pages.js';
import type { MemFile } from './memfd.js';
import { MAP_ANONYMOUS, MAP_FIXED, MAP_KNOWN_FLAGS, MAP_PRIVATE, MAP_SHARED, MAP_SHARED_VALIDATE, MAP_TYPE, PROT_EXEC } from './mman.js';
import type { OpenFile } from './open-file.js';
import type { UserMemory } from './user-memory.js';

const PAGE = 4096;
/** The offset is an unsigned long in the syscall. */
const MAX_OFFSET = (1n << 64n) - 1n;
/** A regular file (a memfd) maps no further than MAX_LFS_FILESIZE. */
const MAX_LFS_FILESIZE = (1n << 63n) - 1n;

export interface MmapArgs {
  readonly length: number;
  readonly prot: number;
  readonly flags: number;
  readonly offset: bigint;
}

/** Returns the address of the new mapping, or -errno. `file` is what `fd` refers to (undefined: not open). */
export function mmap(mem: UserMemory, file: OpenFile | undefined, args: MmapArgs): number {
  const { prot, flags, offset } = args;
  if (offset < 0n || offset > MAX_OFFSET || offset % BigInt(PAGE) !== 0n) return -EINVAL;
  const anonymous = (flags & MAP_ANONYMOUS) !== 0;
  if (!anonymous && !file) return -EBADF;
  if (!Number.isSafeInteger(args.length) || args.length <= 0) return -EINVAL;
  const length = Math.ceil(args.length / PAGE) * PAGE;
  if (file?.kind === 'memfd' && !anonymous && offset + BigInt(length) > MAX_LFS_FILESIZE) return -EOVERFLOW;
  const type = flags & MAP_TYPE;
  if (type !== MAP_SHARED && type !== MAP_PRIVATE && type !== MAP_SHARED_VALIDATE) return -EINVAL;
  if (type === MAP_SHARED_VALIDATE && (flags & ~MAP_KNOWN_FLAGS) !== 0) return -EOPNOTSUPP;
  // No address argument here, so a fixed placement cannot be asked for.
  if (flags & MAP_FIXED) return -EINVAL;
  const shared = type !== MAP_PRIVATE;

  if (anonymous || !file) return mem.map(length, prot) ?? -ENOMEM;
  switch (file.kind) {
    case 'memfd':
      return mapFile(mem, file.file, length, prot, shared, Number(offset / BigInt(PAGE))) ?? -ENOMEM;
    case 'iommufd':
      return mapDriverRegion(mem, file.ctx, length, prot, shared, offset);
    case 'dmabuf':
      // The test exporter has no mmap of its own.
      return -EINVAL;
    default:
      // Anonymous-inode files (fault queues, vEVENTQs, accesses) have no mmap.
      return -ENODEV;
  }
}

function mapFile(mem: UserMemory, file: MemFile, length: number, prot: number, shared: boolean, firstPage: number): number | undefined {
  const mapping = new Mapping(() => file.put());
  const addr = mem.map(length, prot, (i) => ({ kind: 'file', mapping, file, index: firstPage + i, shared }));
  if (addr !== undefined) file.get();
  return addr;
}

/**
 * The iommufd's mmap: shared only (EINVAL), never executable (EPERM), and exactly one
 * registered region by offset and length (ENXIO). The mapping holds the region's owner
 * busy and the iommufd open until its last page is unmapped.
 */
function mapDriverRegion(mem: UserMemory, ctx: IommufdContext, length: number, prot: number, shared: boolean, offset: bigint): number {
  if (!shared) return -EINVAL;
  if (prot & PROT_EXEC) return -EPERM;
  const region = ctx.mmaps.find(offset);
  if (!region || !region.owner || region.offset !== offset || region.length !== BigInt(length)) return -ENXIO;
  const owner = region.owner;
  const frames = region.frames;
  const pool = ctx.process.pool;
  const mapping = new Mapping(() => {
    for (const f of frames) pool.unref(f);
    ctx.objects.release(null, owner);
    ctx.put();
  });
  const addr = mem.map(length, prot, (i) => ({ kind: 'pfn', mapping, frame: frames[i] }));
  if (addr === undefined) return -ENOMEM;
  for (const f of frames) pool.ref(f);
  ctx.objects.hold(null, owner);
  ctx.get();
  return addr;
}

/** munmap: page-aligned address, a length that is not 0; holes in the range are fine. */
export function munmap(mem: UserMemory, addr: number, length: number): number {
  if (!Number.isSafeInteger(length) || length <= 0) return -EINVAL;
  return mem.free(addr, length);
}
