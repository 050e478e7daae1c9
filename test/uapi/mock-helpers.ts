// The self-test's mock-device helpers (iommufd_utils.h, spec §5.3) over the harness:
// test_cmd_mock_domain, test_cmd_hwpt_alloc*, test_cmd_hwpt_invalidate, ...
import { expect } from 'vitest';
import * as U from '../../src/index.js';
import * as M from '../../src/iommu/abi/selftest.js';
import { expectOk, type Harness } from './helpers.js';

export interface MockDomain {
  stdev: number;
  hwpt: number;
  idev: number;
}

/** IOMMU_TEST_CMD with union fields of `layout` set from `value`; returns rc and the struct back. */
export function testCmd<F extends U.Fields>(h: Harness, op: number, id: number, layout: U.StructLayout<F>, value: Partial<U.StructValue<F>>, argAddress?: number) {
  const buf = U.packStruct(U.IommuTestCmd, { op, id });
  U.encodeStruct(layout, value, new DataView(buf.buffer));
  expect(h.sys.mem.write(h.arg, buf).ok).toBe(true);
  const rc = h.sys.ioctl(h.fd, U.IOMMU_TEST_CMD, argAddress ?? h.arg);
  const back = h.sys.mem.read(h.arg, 72);
  if (!back.ok) throw new Error('argument buffer vanished');
  return { rc, out: U.unpackStruct(layout, back.value) };
}

export function mockDomain(h: Harness, pt: number, devFlags?: number): { rc: number } & MockDomain {
  const r =
    devFlags === undefined
      ? testCmd(h, U.IOMMU_TEST_OP.MOCK_DOMAIN, pt, U.TestMockDomain, {})
      : testCmd(h, U.IOMMU_TEST_OP.MOCK_DOMAIN_FLAGS, pt, U.TestMockDomainFlags, { dev_flags: devFlags });
  return { rc: r.rc, stdev: r.out.out_stdev_id, hwpt: r.out.out_hwpt_id, idev: r.out.out_idev_id };
}

export function mockDomainOk(h: Harness, pt: number, devFlags?: number): MockDomain {
  const r = mockDomain(h, pt, devFlags);
  expectOk(r.rc);
  return r;
}

export function replace(h: Harness, stdev: number, pt: number): { rc: number; pt: number } {
  const r = testCmd(h, U.IOMMU_TEST_OP.MOCK_DOMAIN_REPLACE, stdev, U.TestMockDomainReplace, { pt_id: pt });
  return { rc: r.rc, pt: r.out.pt_id };
}

export interface HwptAllocArgs {
  flags?: number;
  dataType?: number;
  data?: Uint8Array | null;
  dataLen?: number;
  faultId?: number;
}

export function hwptAlloc(h: Harness, dev: number, pt: number, args: HwptAllocArgs = {}): { rc: number; id: number } {
  let uptr = 0n;
  if (args.data) {
    // The second page of the harness's argument buffer: already backed, so writing it
    // allocates nothing (fail_nth counts only the ioctl's own allocations).
    const at = h.arg + 4096;
    h.sys.mem.write(at, args.data);
    uptr = BigInt(at);
  }
  const r = h.call(U.IOMMU_HWPT_ALLOC, U.IommuHwptAlloc, {
    flags: args.flags ?? 0,
    dev_id: dev,
    pt_id: pt,
    data_type: args.dataType ?? U.IOMMU_HWPT_DATA_NONE,
    data_len: args.dataLen ?? args.data?.length ?? 0,
    data_uptr: uptr,
    fault_id: args.faultId ?? 0,
  });
  return { rc: r.rc, id: r.out.out_hwpt_id };
}

/** struct iommu_hwpt_selftest {iotlb, pagetable_type}. */
export function selftestData(iotlb = M.IOMMU_TEST_IOTLB_DEFAULT, pagetableType = M.MOCK_IOMMUPT_DEFAULT): Uint8Array {
  const b = new Uint8Array(8);
  const v = new DataView(b.buffer);
  v.setUint32(0, iotlb, true);
  v.setUint32(4, pagetableType, true);
  return b;
}

export function hwptAllocNested(h: Harness, dev: number, pt: number, flags = 0, faultId = 0): { rc: number; id: number } {
  return hwptAlloc(h, dev, pt, { flags, dataType: M.IOMMU_HWPT_DATA_SELFTEST, data: selftestData(), faultId });
}

/** _test_cmd_hwpt_invalidate: entry_num is copied back whatever the result. */
export function invalidate(h: Harness, id: number, reqs: number | bigint, type: number, entryLen: number, n: number): { rc: number; n: number } {
  const r = h.call(U.IOMMU_HWPT_INVALIDATE, U.IommuHwptInvalidate, {
    hwpt_id: id,
    data_uptr: BigInt(reqs),
    data_type: type,
    entry_len: entryLen,
    entry_num: n,
  });
  return { rc: r.rc, n: r.out.entry_num };
}

export function checkIotlb(h: Harness, nested: number, slot: number, value: number): number {
  return testCmd(h, U.IOMMU_TEST_OP.MD_CHECK_IOTLB, nested, U.TestCheckIotlb, { id: slot, iotlb: value }).rc;
}

export function checkIotlbs(h: Harness, nested: number, values: number[]): void {
  values.forEach((v, i) => expectOk(checkIotlb(h, nested, i, v)));
}

export function checkDevCache(h: Harness, idev: number, slot: number, value: number): number {
  return testCmd(h, U.IOMMU_TEST_OP.DEV_CHECK_CACHE, idev, U.TestCheckDevCache, { id: slot, cache: value }).rc;
}

export function checkMap(h: Harness, hwpt: number, iova: bigint, length: number | bigint, uptr: number): number {
  return testCmd(h, U.IOMMU_TEST_OP.MD_CHECK_MAP, hwpt, U.TestCheckMap, { iova, length: BigInt(length), uptr: BigInt(uptr) }).rc;
}

export function checkRefs(h: Harness, uptr: number, length: number, refs: number): number {
  return testCmd(h, U.IOMMU_TEST_OP.MD_CHECK_REFS, 0, U.TestCheckRefs, { uptr: BigInt(uptr), length: BigInt(length), refs }).rc;
}

export function faultAlloc(h: Harness): { id: number; fd: number } {
  const r = h.call(U.IOMMU_FAULT_QUEUE_ALLOC, U.IommuFaultAlloc, {});
  expectOk(r.rc);
  return { id: r.out.out_fault_id, fd: r.out.out_fault_fd };
}

/** _test_cmd_trigger_iopf: trigger, read one record, answer SUCCESS. */
export function triggerIopf(h: Harness, idev: number, faultFd: number, pasid = 1): void {
  expectOk(testCmd(h, U.IOMMU_TEST_OP.TRIGGER_IOPF, 0, U.TestTriggerIopf, { dev_id: idev, pasid, grpid: 2, perm: 3, addr: 0xdeadbeafn }).rc);
  const buf = h.sys.mem.alloc(4096);
  expect(h.sys.read(faultFd, buf, U.IommuHwptPgfault.sizeof)).toBe(U.IommuHwptPgfault.sizeof);
  const rec = U.unpackStruct(U.IommuHwptPgfault, h.sys.mem.read(buf, 40).ok ? (h.sys.mem.read(buf, 40) as { value: Uint8Array }).value : new Uint8Array(40));
  expect(rec.dev_id).toBe(idev);
  expect(rec.pasid).toBe(pasid);
  expect(rec.grpid).toBe(2);
  expect(rec.addr).toBe(0xdeadbeafn);
  h.sys.mem.write(buf, U.packStruct(U.IommuHwptPageResponse, { cookie: rec.cookie, code: U.IOMMUFD_PAGE_RESP_SUCCESS }));
  expect(h.sys.write(faultFd, buf, 8)).toBe(8);
}

export function viommuAlloc(h: Harness, dev: number, hwpt: number, type = M.IOMMU_VIOMMU_TYPE_SELFTEST): { rc: number; id: number } {
  const r = h.call(U.IOMMU_VIOMMU_ALLOC, U.IommuViommuAlloc, { dev_id: dev, hwpt_id: hwpt, type });
  return { rc: r.rc, id: r.out.out_viommu_id };
}

export function vdeviceAlloc(h: Harness, viommu: number, dev: number, virtId: bigint): { rc: number; id: number } {
  const r = h.call(U.IOMMU_VDEVICE_ALLOC, U.IommuVdeviceAlloc, { viommu_id: viommu, dev_id: dev, virt_id: virtId });
  return { rc: r.rc, id: r.out.out_vdevice_id };
}

export function pasidOp(h: Harness, op: number, stdev: number, pasid: number, pt = 0): number {
  return testCmd(h, op, stdev, U.TestPasid, { pasid, pt_id: pt }).rc;
}

export function getHwInfo(h: Harness, dev: number, dataLen: number, dataType?: number) {
  const at = dataLen > 0 ? h.sys.mem.alloc(dataLen + 64) : 0;
  if (at) h.sys.mem.write(at, new Uint8Array(dataLen + 64).fill(0xaa));
  const r = h.call(U.IOMMU_GET_HW_INFO, U.IommuHwInfo, {
    dev_id: dev,
    data_len: dataLen,
    data_uptr: BigInt(at),
    flags: dataType === undefined ? 0 : U.IOMMU_HW_INFO_FLAG_INPUT_TYPE,
    data_type: dataType ?? 0,
  });
  const bytes = at ? (h.sys.mem.read(at, dataLen + 64) as { ok: true; value: Uint8Array }).value : new Uint8Array(0);
  return { rc: r.rc, out: r.out, bytes };
}

/** O_CLOEXEC on Linux (x86-64 and arm64). */
export const O_CLOEXEC = 0o2000000;

/** _test_cmd_get_dmabuf (open_flags O_CLOEXEC): the new fd, or -errno. */
export function dmabufGet(h: Harness, length: number, openFlags = O_CLOEXEC): number {
  return testCmd(h, U.IOMMU_TEST_OP.DMABUF_GET, 0, U.TestDmabufGet, { length, open_flags: openFlags }).rc;
}

export function dmabufRevoke(h: Harness, fd: number, revoked: boolean): number {
  return testCmd(h, U.IOMMU_TEST_OP.DMABUF_REVOKE, 0, U.TestDmabufRevoke, { dmabuf_fd: fd, revoked: revoked ? 1 : 0 }).rc;
}

/** test_cmd_check_dmabuf (op 24): `hwpt` maps [iova, iova+length) to the buffer from `offset` on. */
export function checkDmabuf(h: Harness, hwpt: number, fd: number, iova: bigint, length: number | bigint, offset: number | bigint = 0): number {
  return testCmd(h, U.IOMMU_TEST_OP.MD_CHECK_DMABUF, hwpt, U.TestCheckDmabuf, {
    dmabuf_fd: fd,
    iova,
    length: BigInt(length),
    offset: BigInt(offset),
  }).rc;
}
