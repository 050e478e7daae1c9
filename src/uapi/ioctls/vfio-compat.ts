// The VFIO type1 container on an iommufd (requests whose nr lies below the iommufd
// table, spec §1.2): GET_API_VERSION, CHECK_EXTENSION, SET_IOMMU, IOMMU_GET_INFO,
// IOMMU_MAP_DMA and IOMMU_UNMAP_DMA, all acting on the compat IOAS chosen with
// IOMMU_VFIO_IOAS (ENODEV without one). Unknown numbers are ENOTTY.
//
// What the spec fixes is in the self-test expectations (fixture `iommufd` and
// `vfio_compat_mock_domain`); where it is silent this layer follows VFIO type1 as
// documented in linux/vfio.h, and says so below.
import type { IommufdContext } from '../context.js';
import { EFAULT, EINVAL, ENODEV, ENOTTY } from '../../iommu/errno.js';
import type { IoasObject } from '../ioas/ioas-object.js';
import { rangesIntersect } from '../ioas/iova-range.js';
import { PinnedPages } from '../ioas/pinned-pages.js';
import { PAGE_SIZE, U32_MAX } from '../limits.js';
import { Perm } from '../../engine/types.js';
import {
  decodeStruct,
  offsetOfEnd,
  packStruct,
  VFIO_API_VERSION,
  VFIO_CHECK_EXTENSION,
  VFIO_DMA_CC_IOMMU,
  VFIO_DMA_MAP_FLAG_READ,
  VFIO_DMA_MAP_FLAG_WRITE,
  VFIO_DMA_UNMAP_FLAG_ALL,
  VFIO_GET_API_VERSION,
  VFIO_IOMMU_GET_INFO,
  VFIO_IOMMU_INFO_CAPS,
  VFIO_IOMMU_INFO_PGSIZES,
  VFIO_IOMMU_MAP_DMA,
  VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE,
  VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL,
  VFIO_IOMMU_UNMAP_DMA,
  VFIO_SET_IOMMU,
  VFIO_TYPE1_IOMMU,
  VFIO_TYPE1v2_IOMMU,
  VFIO_UNMAP_ALL,
  VfioInfoCapHeader,
  VfioIommuType1DmaMap,
  VfioIommuType1DmaUnmap,
  VfioIommuType1Info,
  type Fields,
  type StructLayout,
  type StructValue,
} from '../../iommu/abi/index.js';

export function vfioCompatIoctl(ctx: IommufdContext, request: number, arg: number): number {
  switch (request) {
    case VFIO_GET_API_VERSION:
      return VFIO_API_VERSION;
    case VFIO_CHECK_EXTENSION:
      return checkExtension(ctx, arg);
    case VFIO_SET_IOMMU:
      return setIommu(ctx, arg);
    case VFIO_IOMMU_GET_INFO:
      return getInfo(ctx, arg);
    case VFIO_IOMMU_MAP_DMA:
      return mapDma(ctx, arg);
    case VFIO_IOMMU_UNMAP_DMA:
      return unmapDma(ctx, arg);
    default:
      return -ENOTTY;
  }
}

/** The argument is the extension number itself, not a pointer. */
function checkExtension(ctx: IommufdContext, extension: number): number {
  switch (extension) {
    case VFIO_TYPE1_IOMMU:
    case VFIO_TYPE1v2_IOMMU:
    case VFIO_UNMAP_ALL:
      return 1;
    case VFIO_DMA_CC_IOMMU:
      // Every domain of the mock is cache coherent; without a compat IOAS there is nothing to ask.
      return ctx.vfioIoas ? 1 : -ENODEV;
    default:
      return 0;
  }
}

/** TYPE1 (v1) maps at PAGE_SIZE granularity: large pages are turned off on the IOAS. */
function setIommu(ctx: IommufdContext, type: number): number {
  if (type !== VFIO_TYPE1_IOMMU && type !== VFIO_TYPE1v2_IOMMU) return -EINVAL;
  const ioas = ctx.vfioIoas;
  if (!ioas) return -ENODEV;
  const r = ioas.iopt.setHugePages(type !== VFIO_TYPE1_IOMMU);
  if (!r.ok) return -r.errno;
  // Only a call that succeeded switches the unmap semantics (the kernel's type-1 unmap
  // follows the IOAS's disable_large_pages, set only when disabling worked).
  ctx.vfioType1v1 = type === VFIO_TYPE1_IOMMU;
  return 0;
}

/** Reads a VFIO struct: argsz must cover the mandatory part; extra bytes are ignored. */
function readArg<F extends Fields>(ctx: IommufdContext, arg: number, layout: StructLayout<F>): { errno: number } | { value: StructValue<F> } {
  const head = ctx.process.mem.readU32(arg);
  if (!head.ok) return { errno: EFAULT };
  if (head.value < layout.minSize) return { errno: EINVAL };
  const r = ctx.process.mem.read(arg, layout.minSize);
  if (!r.ok) return { errno: EFAULT };
  const full = new Uint8Array(layout.sizeof);
  full.set(r.value);
  return { value: decodeStruct(layout, new DataView(full.buffer)) };
}

function mapDma(ctx: IommufdContext, arg: number): number {
  const a = readArg(ctx, arg, VfioIommuType1DmaMap);
  if ('errno' in a) return -a.errno;
  const { flags, vaddr, iova, size } = a.value;
  if ((flags & ~(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)) !== 0) return -EINVAL;
  const ioas = ctx.vfioIoas;
  if (!ioas) return -ENODEV;
  // A mapping the device can neither read nor write is refused (model choice).
  if ((flags & (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)) === 0 || size === 0n) return -EINVAL;
  const prot = (flags & VFIO_DMA_MAP_FLAG_READ ? Perm.R : 0) | (flags & VFIO_DMA_MAP_FLAG_WRITE ? Perm.W : 0);
  const pages = new PinnedPages(ctx.process.mem, vaddr, size, (flags & VFIO_DMA_MAP_FLAG_WRITE) !== 0, 'user');
  const r = ioas.iopt.map([{ pages, offset: 0n, length: size }], prot, iova, false);
  return r.ok ? 0 : -r.errno;
}

/**
 * Unmapping nothing is a success (0 bytes). TYPE1 v1 may unmap part of a mapping (the
 * area is cut first); TYPE1 v2, like iommufd, only whole mappings (ENOENT).
 */
function unmapDma(ctx: IommufdContext, arg: number): number {
  const a = readArg(ctx, arg, VfioIommuType1DmaUnmap);
  if ('errno' in a) return -a.errno;
  const { flags, iova, size } = a.value;
  if ((flags & ~VFIO_DMA_UNMAP_FLAG_ALL) !== 0) return -EINVAL;
  const ioas = ctx.vfioIoas;
  if (!ioas) return -ENODEV;
  let unmapped: bigint;
  if (flags & VFIO_DMA_UNMAP_FLAG_ALL) {
    if (iova !== 0n || size !== 0n) return -EINVAL;
    const all = ioas.iopt.unmapAll();
    if (!all.ok) return -all.errno;
    unmapped = all.value;
  } else {
    if (size === 0n) return -EINVAL;
    const range = { start: iova, last: iova + size - 1n };
    if (!ioas.iopt.areas.some((x) => rangesIntersect(x, range))) {
      unmapped = 0n;
    } else {
      const r = ctx.vfioType1v1 ? ioas.iopt.unmapCutting(iova, size) : ioas.iopt.unmap(iova, size);
      if (!r.ok) return -r.errno;
      unmapped = r.value;
    }
  }
  const sizeField = VfioIommuType1DmaUnmap.fields.size;
  return ctx.process.mem.writeU64(arg + sizeField.offset, unmapped).ok ? 0 : -EFAULT;
}

/**
 * GET_INFO with its capability chain (DMA_AVAIL, then IOVA_RANGE), laid out after the
 * 24-byte info struct at 8-byte aligned offsets. Caps are written only where they fit
 * in argsz; argsz comes back as the size needed for all of them, and cap_offset is set
 * only when everything fitted.
 */
function getInfo(ctx: IommufdContext, arg: number): number {
  const a = readArg(ctx, arg, VfioIommuType1Info);
  if ('errno' in a) return -a.errno;
  const ioas = ctx.vfioIoas;
  if (!ioas) return -ENODEV;
  const userSize = a.value.argsz;
  const mem = ctx.process.mem;
  const caps = [dmaAvailCap(), iovaRangeCap(ioas)];
  let offset = VfioIommuType1Info.sizeof;
  let lastHeader = -1;
  for (const cap of caps) {
    const aligned = Math.ceil(cap.length / 8) * 8;
    if (offset + cap.length <= userSize) {
      if (!mem.write(arg + offset, cap).ok) return -EFAULT;
      if (lastHeader >= 0 && !mem.writeU32(arg + lastHeader + VfioInfoCapHeader.fields.next.offset, offset).ok) return -EFAULT;
      lastHeader = offset;
    }
    offset += aligned;
  }
  const info = packStruct(VfioIommuType1Info, {
    argsz: offset,
    flags: VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS,
    iova_pgsizes: pageSizes(ioas),
    cap_offset: userSize >= offset ? VfioIommuType1Info.sizeof : 0,
  });
  return mem.write(arg, info.subarray(0, offsetOfEnd(VfioIommuType1Info.fields.cap_offset))).ok ? 0 : -EFAULT;
}

/** Every power of two from the IOAS alignment (at least PAGE_SIZE) up. */
function pageSizes(ioas: IoasObject): bigint {
  const alignment = ioas.iopt.iovaAlignment > PAGE_SIZE ? ioas.iopt.iovaAlignment : PAGE_SIZE;
  return BigInt.asUintN(64, ~(alignment - 1n));
}

function capHeader(view: DataView, id: number): void {
  view.setUint16(0, id, true);
  view.setUint16(2, 1, true);
  view.setUint32(4, 0, true);
}

function dmaAvailCap(): Uint8Array {
  const cap = new Uint8Array(12);
  const v = new DataView(cap.buffer);
  capHeader(v, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL);
  v.setUint32(8, U32_MAX, true);
  return cap;
}

function iovaRangeCap(ioas: IoasObject): Uint8Array {
  const ranges = ioas.iopt.iovaRanges();
  const cap = new Uint8Array(16 + 16 * ranges.length);
  const v = new DataView(cap.buffer);
  capHeader(v, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
  v.setUint32(8, ranges.length, true);
  ranges.forEach((r, i) => {
    v.setBigUint64(16 + 16 * i, r.start, true);
    v.setBigUint64(24 + 16 * i, r.last, true);
  });
  return cap;
}
