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
import { testCmd } from '../selftest/test-cmd.js';
import { ioasUnmap } from './ioctls/unmap.js';
import { vfioCompatIoctl } from './ioctls/vfio-compat.js';
import { vfioIoas } from './ioctls/vfio-ioas.js';
import * as S from '../iommu/abi/index.js';
import type { Fields, StructLayout } from '../iommu/abi/layout.js';
import { copyStructFromUser, Ucmd } from './ucmd.js';

export interface IoctlOp {
  readonly name: string;
  /** The exact request number accepted: _IO(';', nr). */
  readonly request: number;
  readonly layout: StructLayout;
  readonly handler: (u: Ucmd) => number;
}

function op<F extends Fields>(name: string, nr: number, layout: StructLayout<F>, handler: (u: Ucmd<F>) => number): IoctlOp {
  return { name, request: ioctlIO(IOMMUFD_TYPE, nr), layout, handler: handler as (u: Ucmd) => number };
}

const C = IOMMUFD_CMD;

/** Every iommufd command, in nr order; the self-test command is appended when enabled. */
export const IOCTL_OPS: readonly IoctlOp[] = Object.freeze([
  op('IOMMU_DESTROY', C.DESTROY, S.IommuDestroy, destroy),
  op('IOMMU_IOAS_ALLOC', C.IOAS_ALLOC, S.IommuIoasAlloc, ioasAlloc),
  op('IOMMU_IOAS_ALLOW_IOVAS', C.IOAS_ALLOW_IOVAS, S.IommuIoasAllowIovas, ioasAllowIovas),
  op('IOMMU_IOAS_COPY', C.IOAS_COPY, S.IommuIoasCopy, ioasCopy),
  op('IOMMU_IOAS_IOVA_RANGES', C.IOAS_IOVA_RANGES, S.IommuIoasIovaRanges, ioasIovaRanges),
  op('IOMMU_IOAS_MAP', C.IOAS_MAP, S.IommuIoasMap, ioasMap),
  op('IOMMU_IOAS_UNMAP', C.IOAS_UNMAP, S.IommuIoasUnmap, ioasUnmap),
  op('IOMMU_OPTION', C.OPTION, S.IommuOption, option),
  op('IOMMU_VFIO_IOAS', C.VFIO_IOAS, S.IommuVfioIoas, vfioIoas),
  op('IOMMU_HWPT_ALLOC', C.HWPT_ALLOC, S.IommuHwptAlloc, hwptAlloc),
  op('IOMMU_GET_HW_INFO', C.GET_HW_INFO, S.IommuHwInfo, getHwInfo),
  op('IOMMU_HWPT_SET_DIRTY_TRACKING', C.HWPT_SET_DIRTY_TRACKING, S.IommuHwptSetDirtyTracking, hwptSetDirtyTracking),
  op('IOMMU_HWPT_GET_DIRTY_BITMAP', C.HWPT_GET_DIRTY_BITMAP, S.IommuHwptGetDirtyBitmap, hwptGetDirtyBitmap),
  op('IOMMU_HWPT_INVALIDATE', C.HWPT_INVALIDATE, S.IommuHwptInvalidate, hwptInvalidate),
  op('IOMMU_FAULT_QUEUE_ALLOC', C.FAULT_QUEUE_ALLOC, S.IommuFaultAlloc, faultQueueAlloc),
  op('IOMMU_IOAS_MAP_FILE', C.IOAS_MAP_FILE, S.IommuIoasMapFile, ioasMapFile),
  op('IOMMU_VIOMMU_ALLOC', C.VIOMMU_ALLOC, S.IommuViommuAlloc, viommuAlloc),
  op('IOMMU_VDEVICE_ALLOC', C.VDEVICE_ALLOC, S.IommuVdeviceAlloc, vdeviceAlloc),
  op('IOMMU_IOAS_CHANGE_PROCESS', C.IOAS_CHANGE_PROCESS, S.IommuIoasChangeProcess, ioasChangeProcess),
  op('IOMMU_VEVENTQ_ALLOC', C.VEVENTQ_ALLOC, S.IommuVeventqAlloc, veventqAlloc),
  op('IOMMU_HW_QUEUE_ALLOC', C.HW_QUEUE_ALLOC, S.IommuHwQueueAlloc, hwQueueAlloc),
]);

export const TEST_OP: IoctlOp = op('IOMMU_TEST_CMD', C.TEST, S.IommuTestCmd, testCmd);

/** Slot i holds nr 0x80 + i; holes are undefined. Its length bounds the nr range. */
export function buildDispatchTable(withSelfTest: boolean): readonly (IoctlOp | undefined)[] {
  const ops = withSelfTest ? [...IOCTL_OPS, TEST_OP] : [...IOCTL_OPS];
  const length = Math.max(...ops.map((o) => ioctlNr(o.request))) - IOMMUFD_CMD_BASE + 1;
  const table: (IoctlOp | undefined)[] = new Array(length).fill(undefined);
  for (const o of ops) table[ioctlNr(o.request) - IOMMUFD_CMD_BASE] = o;
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
