// Typed wrapper over one open /dev/iommu of a System: each method packs the real
// uAPI struct with its exported layout, issues the ioctl through `sys.ioctl` and
// unpacks the answer. Failures are IommufdError (errno, name, command, message) and
// nothing else; the syscall surface itself never throws.
import * as N from '../ioctl-numbers.js';
import * as S from '../../iommu/abi/index.js';
import type { IommufdSystem } from '../system.js';
import { check, IommufdError } from './errors.js';
import { IoctlCaller } from './ioctl-call.js';
import type * as T from './types.js';

const RANGE_BYTES = S.IommuIovaRange.sizeof;
const DEFAULT_MAP_FLAGS = S.IOMMU_IOAS_MAP_READABLE | S.IOMMU_IOAS_MAP_WRITEABLE;
/** Larger bitmaps than this are not staged in user memory: the kernel is left to refuse. */
const MAX_BITMAP_BYTES = 16 * 1024 * 1024;

export class Iommufd {
  /** Used by the self-test helpers (typed/selftest.ts), which issue IOMMU_TEST_CMD. */
  readonly caller: IoctlCaller;

  constructor(
    readonly sys: IommufdSystem,
    readonly fd: number,
  ) {
    this.caller = new IoctlCaller(sys, fd);
  }

  /** open("/dev/iommu"). */
  static open(sys: IommufdSystem): Iommufd {
    return new Iommufd(sys, check('open(/dev/iommu)', sys.open('/dev/iommu')));
  }

  close(): void {
    check('close', this.sys.close(this.fd));
    this.caller.release();
  }

  destroy(id: number): void {
    this.caller.call('IOMMU_DESTROY', N.IOMMU_DESTROY, S.IommuDestroy, { id });
  }

  ioasAlloc(): number {
    return this.caller.call('IOMMU_IOAS_ALLOC', N.IOMMU_IOAS_ALLOC, S.IommuIoasAlloc, {}).out.out_ioas_id;
  }

  /** Returns the IOVA and the process address that was mapped. */
  ioasMap(args: T.IoasMapArgs): { iova: bigint; userAddress: number } {
    const userAddress = args.userAddress ?? this.placeBytes(args.bytes);
    const length = args.length ?? BigInt(args.bytes?.length ?? 0);
    const out = this.caller.call('IOMMU_IOAS_MAP', N.IOMMU_IOAS_MAP, S.IommuIoasMap, {
      ioas_id: args.ioasId,
      flags: withFixed(args.flags ?? DEFAULT_MAP_FLAGS, args.iova),
      user_va: BigInt(userAddress),
      length,
      iova: args.iova ?? 0n,
    }).out;
    return { iova: out.iova, userAddress };
  }

  ioasMapFile(args: T.IoasMapFileArgs): bigint {
    return this.caller.call('IOMMU_IOAS_MAP_FILE', N.IOMMU_IOAS_MAP_FILE, S.IommuIoasMapFile, {
      ioas_id: args.ioasId,
      flags: withFixed(args.flags ?? DEFAULT_MAP_FLAGS, args.iova),
      fd: args.fd,
      start: args.start,
      length: args.length,
      iova: args.iova ?? 0n,
    }).out.iova;
  }

  /** Returns the bytes unmapped. */
  ioasUnmap(args: { ioasId: number; iova: bigint; length: bigint }): bigint {
    return this.caller.call('IOMMU_IOAS_UNMAP', N.IOMMU_IOAS_UNMAP, S.IommuIoasUnmap, {
      ioas_id: args.ioasId,
      iova: args.iova,
      length: args.length,
    }).out.length;
  }

  /** UNMAP of everything (iova 0, length U64_MAX). */
  ioasUnmapAll(ioasId: number): bigint {
    return this.ioasUnmap({ ioasId, iova: 0n, length: (1n << 64n) - 1n });
  }

  /** Returns the destination IOVA. */
  ioasCopy(args: T.IoasCopyArgs): bigint {
    return this.caller.call('IOMMU_IOAS_COPY', N.IOMMU_IOAS_COPY, S.IommuIoasCopy, {
      flags: withFixed(args.flags ?? DEFAULT_MAP_FLAGS, args.dstIova),
      dst_ioas_id: args.dstIoasId,
      src_ioas_id: args.srcIoasId,
      length: args.length,
      dst_iova: args.dstIova ?? 0n,
      src_iova: args.srcIova,
    }).out.dst_iova;
  }

  /** The usable IOVA ranges and alignment; the array is resized after an EMSGSIZE answer. */
  ioasIovaRanges(ioasId: number): { ranges: T.IovaRangeValue[]; alignment: bigint } {
    let capacity = 8;
    for (;;) {
      const { result, bytes } = this.caller.withOutBuffer(capacity * RANGE_BYTES, (at) =>
        this.tryIovaRanges(ioasId, capacity, at),
      );
      if (result.needed <= capacity) {
        const ranges = Array.from({ length: result.needed }, (_, i) => S.unpackStruct(S.IommuIovaRange, bytes.subarray(i * RANGE_BYTES)));
        return { ranges, alignment: result.alignment };
      }
      capacity = result.needed;
    }
  }

  ioasAllowIovas(ioasId: number, ranges: readonly T.IovaRangeValue[]): void {
    const bytes = new Uint8Array(ranges.length * RANGE_BYTES);
    ranges.forEach((r, i) => bytes.set(S.packStruct(S.IommuIovaRange, r), i * RANGE_BYTES));
    this.caller.withBuffer(bytes, (at) =>
      this.caller.call('IOMMU_IOAS_ALLOW_IOVAS', N.IOMMU_IOAS_ALLOW_IOVAS, S.IommuIoasAllowIovas, {
        ioas_id: ioasId,
        num_iovas: ranges.length,
        allowed_iovas: BigInt(at),
      }),
    );
  }

  /** IOMMU_OPTION: returns val64 (the value read by GET, or the one written by SET). */
  option(args: { optionId: number; op: number; objectId?: number; val64?: bigint }): bigint {
    return this.caller.call('IOMMU_OPTION', N.IOMMU_OPTION, S.IommuOption, {
      option_id: args.optionId,
      op: args.op,
      object_id: args.objectId ?? 0,
      val64: args.val64 ?? 0n,
    }).out.val64;
  }

  /** IOMMU_VFIO_IOAS: GET returns the compat IOAS, SET/CLEAR return the ID passed. */
  vfioIoas(op: number, ioasId = 0): number {
    return this.caller.call('IOMMU_VFIO_IOAS', N.IOMMU_VFIO_IOAS, S.IommuVfioIoas, { op, ioas_id: ioasId }).out.ioas_id;
  }

  ioasChangeProcess(): void {
    this.caller.call('IOMMU_IOAS_CHANGE_PROCESS', N.IOMMU_IOAS_CHANGE_PROCESS, S.IommuIoasChangeProcess, {});
  }

  hwptAlloc(args: T.HwptAllocArgs): number {
    const flags = args.flags ?? (args.faultId !== undefined ? S.IOMMU_HWPT_FAULT_ID_VALID : 0);
    return this.caller.withBuffer(args.data, (at) =>
      this.caller.call('IOMMU_HWPT_ALLOC', N.IOMMU_HWPT_ALLOC, S.IommuHwptAlloc, {
        flags,
        dev_id: args.devId,
        pt_id: args.ptId,
        data_type: args.dataType ?? S.IOMMU_HWPT_DATA_NONE,
        data_len: args.data?.length ?? 0,
        data_uptr: BigInt(at),
        fault_id: args.faultId ?? 0,
      }).out.out_hwpt_id,
    );
  }

  /**
   * Returns how many entries were handled. On failure the IommufdError carries
   * `details.entry_num`: the kernel reports the entries done before the failing one.
   */
  hwptInvalidate(args: T.HwptInvalidateArgs): number {
    const bytes = args.entries instanceof Uint8Array ? args.entries : concat(args.entries, args.entryLen);
    const entryNum = args.entryNum ?? (args.entries instanceof Uint8Array ? Math.floor(bytes.length / Math.max(1, args.entryLen)) : args.entries.length);
    return this.caller.withBuffer(bytes, (at) =>
      this.caller.call(
        'IOMMU_HWPT_INVALIDATE',
        N.IOMMU_HWPT_INVALIDATE,
        S.IommuHwptInvalidate,
        { hwpt_id: args.hwptId, data_uptr: BigInt(at), data_type: args.dataType, entry_len: args.entryLen, entry_num: entryNum },
        ['entry_num'],
      ).out.entry_num,
    );
  }

  /** `dataLen` bytes of the driver's info struct are asked for (default 64). */
  getHwInfo(args: { devId: number; dataType?: number; dataLen?: number }): T.HwInfo {
    const dataLen = args.dataLen ?? 64;
    const { result: out, bytes } = this.caller.withOutBuffer(dataLen, (at) =>
      this.caller.call('IOMMU_GET_HW_INFO', N.IOMMU_GET_HW_INFO, S.IommuHwInfo, {
        flags: args.dataType === undefined ? 0 : S.IOMMU_HW_INFO_FLAG_INPUT_TYPE,
        dev_id: args.devId,
        data_len: dataLen,
        data_uptr: BigInt(at),
        data_type: args.dataType ?? 0,
      }).out,
    );
    return {
      dataType: out.data_type,
      data: bytes.slice(0, Math.min(dataLen, out.data_len)),
      dataLen: out.data_len,
      maxPasidLog2: out.out_max_pasid_log2,
      capabilities: out.out_capabilities,
    };
  }

  setDirtyTracking(hwptId: number, enable: boolean): void {
    this.caller.call('IOMMU_HWPT_SET_DIRTY_TRACKING', N.IOMMU_HWPT_SET_DIRTY_TRACKING, S.IommuHwptSetDirtyTracking, {
      hwpt_id: hwptId,
      flags: enable ? S.IOMMU_HWPT_DIRTY_TRACKING_ENABLE : 0,
    });
  }

  /** One bit per `pageSize` of [iova, iova+length), little-endian u64 words as the kernel writes them. */
  getDirtyBitmap(args: T.GetDirtyBitmapArgs): Uint8Array {
    const bits = args.pageSize > 0n ? (args.length + args.pageSize - 1n) / args.pageSize : 1n;
    const wanted = Number(((bits + 63n) / 64n) * 8n);
    const size = wanted > 0 && wanted <= MAX_BITMAP_BYTES ? wanted : 8;
    return this.caller.withOutBuffer(size, (at) =>
      this.caller.call('IOMMU_HWPT_GET_DIRTY_BITMAP', N.IOMMU_HWPT_GET_DIRTY_BITMAP, S.IommuHwptGetDirtyBitmap, {
        hwpt_id: args.hwptId,
        flags: args.noClear ? S.IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR : 0,
        iova: args.iova,
        length: args.length,
        page_size: args.pageSize,
        data: BigInt(at),
      }),
    ).bytes;
  }

  faultQueueAlloc(): T.FdObject {
    const out = this.caller.call('IOMMU_FAULT_QUEUE_ALLOC', N.IOMMU_FAULT_QUEUE_ALLOC, S.IommuFaultAlloc, {}).out;
    return { id: out.out_fault_id, fd: out.out_fault_fd };
  }

  /** Returns the vIOMMU and, with a payload, the payload as the driver wrote it back. */
  viommuAlloc(args: T.ViommuAllocArgs): { id: number; data: Uint8Array } {
    const data = args.data ?? new Uint8Array(0);
    let id = 0;
    const staged = this.caller.withOutBuffer(data.length, (at) => {
      if (at) this.sys.mem.write(at, data);
      id = this.caller.call('IOMMU_VIOMMU_ALLOC', N.IOMMU_VIOMMU_ALLOC, S.IommuViommuAlloc, {
        flags: args.flags ?? 0,
        type: args.type,
        dev_id: args.devId,
        hwpt_id: args.hwptId,
        data_len: data.length,
        data_uptr: BigInt(at),
      }).out.out_viommu_id;
    });
    return { id, data: staged.bytes };
  }

  vdeviceAlloc(args: { viommuId: number; devId: number; virtId: bigint }): number {
    return this.caller.call('IOMMU_VDEVICE_ALLOC', N.IOMMU_VDEVICE_ALLOC, S.IommuVdeviceAlloc, {
      viommu_id: args.viommuId,
      dev_id: args.devId,
      virt_id: args.virtId,
    }).out.out_vdevice_id;
  }

  veventqAlloc(args: T.VeventqAllocArgs): T.FdObject {
    const out = this.caller.call('IOMMU_VEVENTQ_ALLOC', N.IOMMU_VEVENTQ_ALLOC, S.IommuVeventqAlloc, {
      viommu_id: args.viommuId,
      type: args.type,
      veventq_depth: args.depth,
    }).out;
    return { id: out.out_veventq_id, fd: out.out_veventq_fd };
  }

  hwQueueAlloc(args: T.HwQueueAllocArgs): number {
    return this.caller.call('IOMMU_HW_QUEUE_ALLOC', N.IOMMU_HW_QUEUE_ALLOC, S.IommuHwQueueAlloc, {
      viommu_id: args.viommuId,
      type: args.type,
      index: args.index,
      nesting_parent_iova: args.nestingParentIova,
      length: args.length,
    }).out.out_hw_queue_id;
  }

  /** read(2) on an fd the iommufd handed out (fault queue, vEVENTQ): the bytes read. */
  readFd(fd: number, count: number): Uint8Array {
    return this.caller.withOutBuffer(Math.max(count, 0), (at) => check('read', this.sys.read(fd, at, count))).bytes.slice(0, Math.max(count, 0));
  }

  /** write(2) on such an fd: the count written. */
  writeFd(fd: number, bytes: Uint8Array): number {
    return this.caller.withBuffer(bytes, (at) => check('write', this.sys.write(fd, at, bytes.length)));
  }

  private tryIovaRanges(ioasId: number, capacity: number, at: number): { needed: number; alignment: bigint } {
    const value = { ioas_id: ioasId, num_iovas: capacity, allowed_iovas: BigInt(at) };
    try {
      const out = this.caller.call('IOMMU_IOAS_IOVA_RANGES', N.IOMMU_IOAS_IOVA_RANGES, S.IommuIoasIovaRanges, value, ['num_iovas']).out;
      return { needed: out.num_iovas, alignment: out.out_iova_alignment };
    } catch (e) {
      // EMSGSIZE is the kernel asking for a bigger array (num_iovas says how big).
      if (e instanceof IommufdError && e.code === 'EMSGSIZE') return { needed: Number(e.details.num_iovas), alignment: 0n };
      throw e;
    }
  }

  private placeBytes(bytes: Uint8Array | undefined): number {
    if (!bytes || bytes.length === 0) return 0;
    const at = this.sys.mem.alloc(bytes.length);
    this.sys.mem.write(at, bytes);
    return at;
  }
}

function withFixed(flags: number, iova: bigint | undefined): number {
  return iova === undefined ? flags : flags | S.IOMMU_IOAS_MAP_FIXED_IOVA;
}

function concat(entries: readonly Uint8Array[], entryLen: number): Uint8Array {
  const out = new Uint8Array(entries.length * entryLen);
  entries.forEach((e, i) => out.set(e.subarray(0, entryLen), i * entryLen));
  return out;
}
