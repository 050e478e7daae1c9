// A VMM's side of the iommufd calls the VT-d nested flow needs: each call packs its
// struct into the process's memory, issues the ioctl on the System and decodes the
// struct the kernel wrote back — exactly what a C program does with linux/iommufd.h.
// Used by the README example and by the VT-d uAPI tests.
import {
  IOMMU_FAULT_QUEUE_ALLOC,
  IOMMU_GET_HW_INFO,
  IOMMU_HWPT_ALLOC,
  IOMMU_HWPT_DATA_VTD_S1,
  IOMMU_HWPT_INVALIDATE,
  IOMMU_HWPT_INVALIDATE_DATA_VTD_S1,
  IOMMU_IOAS_ALLOC,
  IOMMU_IOAS_MAP,
  IOMMU_IOAS_MAP_FIXED_IOVA,
  IOMMU_IOAS_MAP_READABLE,
  IOMMU_IOAS_MAP_WRITEABLE,
  IommuFaultAlloc,
  IommuHwInfo,
  IommuHwptAlloc,
  IommuHwptInvalidate,
  IommuHwptVtdS1,
  IommuHwptVtdS1Invalidate,
  IommuIoasAlloc,
  IommuIoasMap,
  encodeStruct,
  packStruct,
  unpackStruct,
  type Fields,
  type StructLayout,
  type StructValue,
} from '../../uapi/index.js';
import type { IommufdSystem } from '../../uapi/system.js';

const ARG_BYTES = 4096;

export interface VtdS1Data {
  flags?: bigint;
  pgtblAddr: bigint;
  addrWidth: number;
  reserved?: number;
}

export interface VtdS1InvalidateEntry {
  addr: bigint;
  npages: bigint;
  flags?: number;
  reserved?: number;
}

export class VmmClient {
  /** Argument struct and driver-data buffers in the process's memory. */
  readonly arg: number;
  readonly data: number;

  constructor(readonly sys: IommufdSystem, readonly fd: number) {
    this.arg = sys.mem.alloc(ARG_BYTES);
    this.data = sys.mem.alloc(ARG_BYTES);
  }

  call<F extends Fields>(request: number, layout: StructLayout<F>, value: Partial<StructValue<F>>): { rc: number; out: StructValue<F> } {
    const bytes = packStruct(layout, value);
    if ('size' in layout.fields) new DataView(bytes.buffer).setUint32(0, layout.sizeof, true);
    this.mustWrite(this.arg, bytes);
    const rc = this.sys.ioctl(this.fd, request, this.arg);
    const back = this.sys.mem.read(this.arg, layout.sizeof);
    if (!back.ok) throw new Error('argument buffer vanished');
    return { rc, out: unpackStruct(layout, back.value) };
  }

  ioasAlloc(): { rc: number; id: number } {
    const r = this.call(IOMMU_IOAS_ALLOC, IommuIoasAlloc, {});
    return { rc: r.rc, id: r.out.out_ioas_id };
  }

  /** Maps user memory at a fixed IOVA, read-write. */
  mapFixed(ioas: number, userVa: number, length: number, iova: bigint): number {
    const flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;
    return this.call(IOMMU_IOAS_MAP, IommuIoasMap, { ioas_id: ioas, user_va: BigInt(userVa), length: BigInt(length), iova, flags }).rc;
  }

  hwInfo(devId: number, dataLen = 24): { rc: number; out: StructValue<typeof IommuHwInfo.fields>; data: Uint8Array } {
    const r = this.call(IOMMU_GET_HW_INFO, IommuHwInfo, { dev_id: devId, data_len: dataLen, data_uptr: BigInt(this.data) });
    const data = this.sys.mem.read(this.data, dataLen);
    return { ...r, data: data.ok ? data.value : new Uint8Array(0) };
  }

  faultQueueAlloc(): { rc: number; id: number; fd: number } {
    const r = this.call(IOMMU_FAULT_QUEUE_ALLOC, IommuFaultAlloc, {});
    return { rc: r.rc, id: r.out.out_fault_id, fd: r.out.out_fault_fd };
  }

  hwptAlloc(value: Partial<StructValue<typeof IommuHwptAlloc.fields>>): { rc: number; id: number } {
    const r = this.call(IOMMU_HWPT_ALLOC, IommuHwptAlloc, value);
    return { rc: r.rc, id: r.out.out_hwpt_id };
  }

  /** HWPT_ALLOC with struct iommu_hwpt_vtd_s1 (length `len`, default its 24 bytes). */
  hwptAllocVtdS1(devId: number, parent: number, flags: number, s1: VtdS1Data, extra: { len?: number; dataType?: number; faultId?: number } = {}) {
    const bytes = new Uint8Array(ARG_BYTES);
    const value = { flags: s1.flags ?? 0n, pgtbl_addr: s1.pgtblAddr, addr_width: s1.addrWidth, __reserved: s1.reserved ?? 0 };
    encodeStruct(IommuHwptVtdS1, value, new DataView(bytes.buffer));
    this.mustWrite(this.data, bytes);
    return this.hwptAlloc({
      flags, dev_id: devId, pt_id: parent, data_type: extra.dataType ?? IOMMU_HWPT_DATA_VTD_S1,
      data_len: extra.len ?? IommuHwptVtdS1.sizeof, data_uptr: BigInt(this.data), fault_id: extra.faultId ?? 0,
    });
  }

  /** HWPT_INVALIDATE with struct iommu_hwpt_vtd_s1_invalidate entries laid out `entryLen` apart. */
  invalidateVtdS1(hwpt: number, entries: readonly VtdS1InvalidateEntry[], extra: { entryLen?: number; dataType?: number; entryNum?: number } = {}) {
    const entryLen = extra.entryLen ?? IommuHwptVtdS1Invalidate.sizeof;
    const bytes = new Uint8Array(ARG_BYTES);
    const dv = new DataView(bytes.buffer);
    entries.forEach((e, i) => {
      // In order, whole structs: with a short entry_len the next entry overwrites this one's tail.
      const value = { addr: e.addr, npages: e.npages, flags: e.flags ?? 0, __reserved: e.reserved ?? 0 };
      encodeStruct(IommuHwptVtdS1Invalidate, value, dv, i * entryLen);
    });
    this.mustWrite(this.data, bytes);
    const r = this.call(IOMMU_HWPT_INVALIDATE, IommuHwptInvalidate, {
      hwpt_id: hwpt, data_uptr: BigInt(this.data), data_type: extra.dataType ?? IOMMU_HWPT_INVALIDATE_DATA_VTD_S1,
      entry_len: entryLen, entry_num: extra.entryNum ?? entries.length,
    });
    return { rc: r.rc, entryNum: r.out.entry_num };
  }

  private mustWrite(at: number, bytes: Uint8Array): void {
    if (!this.sys.mem.write(at, bytes).ok) throw new Error('user buffer not writable');
  }
}
