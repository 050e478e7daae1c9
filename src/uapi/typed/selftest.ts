// Typed helpers for the mock driver's IOMMU_TEST_CMD ops that a user of the typed API
// needs to get devices at all: create a mock device attached to an IOAS or HWPT,
// replace its attachment, attach/replace/detach a PASID, reserve IOVA; and the test
// dma-buf to map with ioasMapFile. Only with a
// System built with selfTest (the default), as the kernel's CONFIG_IOMMUFD_TEST.
import { IOMMU_TEST_CMD } from '../ioctl-numbers.js';
import * as S from '../../iommu/abi/index.js';
import { encodeStruct, type Fields, type StructLayout, type StructValue } from '../../iommu/abi/layout.js';
import type { Iommufd } from './iommufd.js';

export interface MockDevice {
  /** The selftest object: destroying it unplugs the device. */
  stdevId: number;
  /** The HWPT the device was attached to (an automatic one for an IOAS). */
  hwptId: number;
  /** The DEVICE object, for HWPT_ALLOC, GET_HW_INFO, VIOMMU_ALLOC, ... */
  devId: number;
}

const OP_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(S.IOMMU_TEST_OP).map(([name, op]) => [op, `IOMMU_TEST_OP_${name}`]),
);

export class MockSelftest {
  constructor(readonly iommufd: Iommufd) {}

  /** MOCK_DOMAIN (or MOCK_DOMAIN_FLAGS with MOCK_FLAGS_DEVICE_*): a new device attached to `ptId`. */
  addDevice(ptId: number, devFlags?: number): MockDevice {
    const out =
      devFlags === undefined
        ? this.cmd(S.IOMMU_TEST_OP.MOCK_DOMAIN, ptId, S.TestMockDomain, {})
        : this.cmd(S.IOMMU_TEST_OP.MOCK_DOMAIN_FLAGS, ptId, S.TestMockDomainFlags, { dev_flags: devFlags });
    return { stdevId: out.out_stdev_id, hwptId: out.out_hwpt_id, devId: out.out_idev_id };
  }

  /** MOCK_DOMAIN_REPLACE: returns the HWPT now attached (automatic for an IOAS). */
  replace(stdevId: number, ptId: number): number {
    return this.cmd(S.IOMMU_TEST_OP.MOCK_DOMAIN_REPLACE, stdevId, S.TestMockDomainReplace, { pt_id: ptId }).pt_id;
  }

  /** Destroys the selftest object: detaches and unplugs the device. */
  removeDevice(device: MockDevice): void {
    this.iommufd.destroy(device.stdevId);
  }

  pasidAttach(stdevId: number, pasid: number, ptId: number): void {
    this.cmd(S.IOMMU_TEST_OP.PASID_ATTACH, stdevId, S.TestPasid, { pasid, pt_id: ptId });
  }

  pasidReplace(stdevId: number, pasid: number, ptId: number): void {
    this.cmd(S.IOMMU_TEST_OP.PASID_REPLACE, stdevId, S.TestPasid, { pasid, pt_id: ptId });
  }

  pasidDetach(stdevId: number, pasid: number): void {
    this.cmd(S.IOMMU_TEST_OP.PASID_DETACH, stdevId, S.TestPasid, { pasid });
  }

  /** ADD_RESERVED: [start, start+length) can never be mapped. */
  addReserved(ioasId: number, start: bigint, length: bigint): void {
    this.cmd(S.IOMMU_TEST_OP.ADD_RESERVED, ioasId, S.TestAddReserved, { start, length });
  }

  /** DMABUF_GET: a test dma-buf of `length` bytes (rounded up to pages) as a new fd, for ioasMapFile. */
  dmabufGet(length: number, openFlags = 0): number {
    return this.call(S.IOMMU_TEST_OP.DMABUF_GET, 0, S.TestDmabufGet, { length, open_flags: openFlags }).rc;
  }

  /** DMABUF_REVOKE: revoking stops every DMA to existing mappings of the buffer for good. */
  dmabufRevoke(fd: number, revoked: boolean): void {
    this.cmd(S.IOMMU_TEST_OP.DMABUF_REVOKE, 0, S.TestDmabufRevoke, { dmabuf_fd: fd, revoked: revoked ? 1 : 0 });
  }

  private cmd<F extends Fields>(op: number, id: number, layout: StructLayout<F>, value: Partial<StructValue<F>>): StructValue<F> {
    return this.call(op, id, layout, value).out;
  }

  private call<F extends Fields>(op: number, id: number, layout: StructLayout<F>, value: Partial<StructValue<F>>): { rc: number; out: StructValue<F> } {
    // The union member's layout shares the command's 72 bytes, so it is encoded over the header.
    const header = S.packStruct(S.IommuTestCmd, { op, id });
    encodeStruct(layout, value, new DataView(header.buffer));
    const name = OP_NAMES[op] ?? `IOMMU_TEST_OP ${op}`;
    const { rc, out } = this.iommufd.caller.callRaw(name, IOMMU_TEST_CMD, header);
    return { rc, out: S.unpackStruct(layout, out) };
  }
}
