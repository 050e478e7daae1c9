// The single iommufd dispatch table and the checks every command goes through before
// its handler, in the kernel's order (spec §1.2):
//   nr outside the table -> VFIO compat (ENOTTY for unknown numbers)
//   read the user's size -> EFAULT
//   empty slot or a request number that is not exactly _IO(';', nr) -> ENOTTY
//   size < minimum -> EINVAL
//   copy_struct_from_user -> E2BIG / EFAULT
//   handler (which writes back min(size, sizeof) bytes when it responds)
import type { IommufdContext } from './context.js';
import { EFAULT, EINVAL, ENOTTY } from '../iommu/errno.js';
import { IOMMUFD_CMD, IOMMUFD_CMD_BASE, IOMMUFD_TYPE, ioctlIO, ioctlNr } from './ioctl-numbers.js';
import { ioasAllowIovas } from './ioctls/allow-iovas.js';
import { hwptGetDirtyBitmap, hwptSetDirtyTracking } from './ioctls/dirty.js';
import { getHwInfo } from './ioctls/hw-info.js';
import { hwQueueAlloc } from './ioctls/hw-queue-alloc.js';
import { hwptAlloc } from './ioctls/hwpt-alloc.js';
import { hwptInvalidate } from './ioctls/hwpt-invalidate.js';
import { vdeviceAlloc } from './ioctls/vdevice-alloc.js';
import { veventqAlloc } from './ioctls/veventq-alloc.js';
import { viommuAlloc } from './ioctls/viommu-alloc.js';
import { ioasChangeProcess } from './ioctls/change-process.js';
import { ioasCopy } from './ioctls/copy.js';
import { destroy } from './ioctls/destroy.js';
import { faultQueueAlloc } from './ioctls/fault-queue.js';
import { ioasAlloc } from './ioctls/ioas-alloc.js';
import { ioasIovaRanges } from './ioctls/iova-ranges.js';
import { ioasMap, ioasMapFile } from './ioctls/map.js';
import { option } from './ioctls/option.js';
import { ioasUnmap } from './ioctls/unmap.js';
import { vfioCompatIoctl } from './ioctls/vfio-compat.js';
import { vfioIoas } from './ioctls/vfio-ioas.js';
import * as S from '../iommu/abi/index.js';
import type { Fields, StructLayout } from '../iommu/abi/layout.js';
import { Ucmd } from './ucmd.js';
import { copyStructFromUser } from '../iommu/user-copy.js';

export interface IoctlOp {
  readonly name: string;
  /** The exact request number accepted: _IO(';', nr). */
  readonly request: number;
  readonly layout: StructLayout;
  readonly handler: (u: Ucmd) => number;
}

/** An iommufd command: request `_IO(';', nr)` with struct `layout`, served by `handler`. */
export function defineIoctl<F extends Fields>(name: string, nr: number, layout: StructLayout<F>, handler: (u: Ucmd<F>) => number): IoctlOp {
  return { name, request: ioctlIO(IOMMUFD_TYPE, nr), layout, handler: handler as (u: Ucmd) => number };
}

const C = IOMMUFD_CMD;

/** Every iommufd command of the core, in nr order. A host may add more (the self-test's IOMMU_TEST_CMD). */
export const IOCTL_OPS: readonly IoctlOp[] = Object.freeze([
  defineIoctl('IOMMU_DESTROY', C.DESTROY, S.IommuDestroy, destroy),
  defineIoctl('IOMMU_IOAS_ALLOC', C.IOAS_ALLOC, S.IommuIoasAlloc, ioasAlloc),
  defineIoctl('IOMMU_IOAS_ALLOW_IOVAS', C.IOAS_ALLOW_IOVAS, S.IommuIoasAllowIovas, ioasAllowIovas),
  defineIoctl('IOMMU_IOAS_COPY', C.IOAS_COPY, S.IommuIoasCopy, ioasCopy),
  defineIoctl('IOMMU_IOAS_IOVA_RANGES', C.IOAS_IOVA_RANGES, S.IommuIoasIovaRanges, ioasIovaRanges),
  defineIoctl('IOMMU_IOAS_MAP', C.IOAS_MAP, S.IommuIoasMap, ioasMap),
  defineIoctl('IOMMU_IOAS_UNMAP', C.IOAS_UNMAP, S.IommuIoasUnmap, ioasUnmap),
  defineIoctl('IOMMU_OPTION', C.OPTION, S.IommuOption, option),
  defineIoctl('IOMMU_VFIO_IOAS', C.VFIO_IOAS, S.IommuVfioIoas, vfioIoas),
  defineIoctl('IOMMU_HWPT_ALLOC', C.HWPT_ALLOC, S.IommuHwptAlloc, hwptAlloc),
  defineIoctl('IOMMU_GET_HW_INFO', C.GET_HW_INFO, S.IommuHwInfo, getHwInfo),
  defineIoctl('IOMMU_HWPT_SET_DIRTY_TRACKING', C.HWPT_SET_DIRTY_TRACKING, S.IommuHwptSetDirtyTracking, hwptSetDirtyTracking),
  defineIoctl('IOMMU_HWPT_GET_DIRTY_BITMAP', C.HWPT_GET_DIRTY_BITMAP, S.IommuHwptGetDirtyBitmap, hwptGetDirtyBitmap),
  defineIoctl('IOMMU_HWPT_INVALIDATE', C.HWPT_INVALIDATE, S.IommuHwptInvalidate, hwptInvalidate),
  defineIoctl('IOMMU_FAULT_QUEUE_ALLOC', C.FAULT_QUEUE_ALLOC, S.IommuFaultAlloc, faultQueueAlloc),
  defineIoctl('IOMMU_IOAS_MAP_FILE', C.IOAS_MAP_FILE, S.IommuIoasMapFile, ioasMapFile),
  defineIoctl('IOMMU_VIOMMU_ALLOC', C.VIOMMU_ALLOC, S.IommuViommuAlloc, viommuAlloc),
  defineIoctl('IOMMU_VDEVICE_ALLOC', C.VDEVICE_ALLOC, S.IommuVdeviceAlloc, vdeviceAlloc),
  defineIoctl('IOMMU_IOAS_CHANGE_PROCESS', C.IOAS_CHANGE_PROCESS, S.IommuIoasChangeProcess, ioasChangeProcess),
  defineIoctl('IOMMU_VEVENTQ_ALLOC', C.VEVENTQ_ALLOC, S.IommuVeventqAlloc, veventqAlloc),
  defineIoctl('IOMMU_HW_QUEUE_ALLOC', C.HW_QUEUE_ALLOC, S.IommuHwQueueAlloc, hwQueueAlloc),
]);

/**
 * Slot i holds nr 0x80 + i; holes are undefined. Its length bounds the nr range.
 * `extra` commands (a test module's) take their own slots; a clash is a build error.
 */
export function buildDispatchTable(extra: readonly IoctlOp[] = []): readonly (IoctlOp | undefined)[] {
  const ops = [...IOCTL_OPS, ...extra];
  const length = Math.max(...ops.map((o) => ioctlNr(o.request))) - IOMMUFD_CMD_BASE + 1;
  const table: (IoctlOp | undefined)[] = new Array(length).fill(undefined);
  for (const o of ops) {
    const slot = ioctlNr(o.request) - IOMMUFD_CMD_BASE;
    if (slot < 0 || table[slot]) throw new Error(`${o.name}: request ${o.request.toString(16)} is outside the iommufd range or taken`);
    table[slot] = o;
  }
  return Object.freeze(table);
}

export function dispatchIoctl(
  ctx: IommufdContext,
  table: readonly (IoctlOp | undefined)[],
  request: number,
  arg: number,
): number {
  const cmd = request >>> 0;
  const nr = ioctlNr(cmd);
  if (nr < IOMMUFD_CMD_BASE || nr - IOMMUFD_CMD_BASE >= table.length) return vfioCompatIoctl(ctx, cmd, arg);

  const mem = ctx.process.mem;
  const size = mem.readU32(arg);
  if (!size.ok) return -EFAULT;
  const entry = table[nr - IOMMUFD_CMD_BASE];
  if (!entry || entry.request !== cmd) return -ENOTTY;
  if (size.value < entry.layout.minSize) return -EINVAL;
  const copied = copyStructFromUser(mem, arg, size.value, entry.layout.sizeof);
  if (!copied.ok) return -copied.errno;
  return entry.handler(new Ucmd(ctx, entry.layout, arg, size.value, copied.value));
}
