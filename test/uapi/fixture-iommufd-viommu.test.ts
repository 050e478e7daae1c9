// Port of the kernel self-test fixture `iommufd_viommu` (spec §5.4), variants
// no_viommu (no device: every vIOMMU/vDEVICE allocation misses its lookup) and
// mock_viommu (a mock device, a nest-parent HWPT, a mock vIOMMU and a nested HWPT on it).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as U from '../../src/index.js';
import * as MK from '../../src/iommu/abi/selftest.js';
import { expectErrno, expectOk, Harness, MAP_FIXED_RW, PAGE, PAGE_N } from './helpers.js';
import { checkSystem } from './invariants.js';
import * as MH from './mock-helpers.js';

const IOMMU_VIOMMU_TYPE_SELFTEST = MK.IOMMU_VIOMMU_TYPE_SELFTEST;

describe('fixture iommufd_viommu (no_viommu)', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await Harness.open();
    h.ioasAlloc();
  });
  afterEach(() => checkSystem(h.sys));

  it('viommu_auto_destroy', () => {});

  it('viommu_negative_tests', () => {
    const r = h.call(U.IOMMU_VIOMMU_ALLOC, U.IommuViommuAlloc, { dev_id: 0, hwpt_id: 0, type: IOMMU_VIOMMU_TYPE_SELFTEST });
    expectErrno(U.ENOENT, r.rc);
  });

  it('vdevice_alloc', () => {
    const r = h.call(U.IOMMU_VDEVICE_ALLOC, U.IommuVdeviceAlloc, { viommu_id: 0, dev_id: 0, virt_id: 0x99n });
    expectErrno(U.ENOENT, r.rc);
  });
});

describe('fixture iommufd_viommu (mock_viommu)', () => {
  let h: Harness;
  let ioas: number;
  let dom: MH.MockDomain;
  let parent: number;
  let viommu: number;
  let nested: number;

  beforeEach(async () => {
    h = await Harness.open();
    ioas = h.ioasAlloc();
    dom = MH.mockDomainOk(h, ioas);
    const p = MH.hwptAlloc(h, dom.idev, ioas, { flags: U.IOMMU_HWPT_ALLOC_NEST_PARENT });
    expectOk(p.rc);
    parent = p.id;
    const v = MH.viommuAlloc(h, dom.idev, parent);
    expectOk(v.rc);
    viommu = v.id;
    const n = MH.hwptAllocNested(h, dom.idev, viommu);
    expectOk(n.rc);
    nested = n.id;
  });
  afterEach(() => {
    checkSystem(h.sys);
    expectOk(h.sys.close(h.fd));
    for (const fd of h.sys.openFds()) h.sys.close(fd);
    expect(h.sys.liveContexts()).toEqual([]);
    expect(h.sys.pool.totalPins).toBe(0);
  });

  const veventqAlloc = (type = MK.IOMMU_VEVENTQ_TYPE_SELFTEST) =>
    h.call(U.IOMMU_VEVENTQ_ALLOC, U.IommuVeventqAlloc, { viommu_id: viommu, type, veventq_depth: 2 });
  const triggerVevent = () => MH.testCmd(h, U.IOMMU_TEST_OP.TRIGGER_VEVENT, 0, U.TestTriggerVevent, { dev_id: dom.idev }).rc;

  /** _test_cmd_read_vevents: n records of header + {virt_id}; loss or a sequence gap is EOVERFLOW. */
  const readVevents = (fd: number, n: number, virtId: bigint, seq: { prev: number }): number => {
    const at = h.sys.mem.alloc(PAGE);
    const got = h.sys.read(fd, at, n * 12);
    if (got < 0) return got;
    const bytes = (h.sys.mem.read(at, n * 12) as { ok: true; value: Uint8Array }).value;
    const v = new DataView(bytes.buffer);
    for (let i = 0; i < n; i++) {
      const flags = v.getUint32(i * 12, true);
      const sequence = v.getUint32(i * 12 + 4, true);
      const gap = sequence - seq.prev;
      seq.prev = sequence;
      if (flags & U.IOMMU_VEVENTQ_FLAG_LOST_EVENTS || gap > 1) return -U.EOVERFLOW;
      if (BigInt(v.getUint32(12 * 0 + 8, true)) !== virtId) return -U.EINVAL;
    }
    return 0;
  };

  it('viommu_auto_destroy', () => {});

  it('viommu_negative_tests', () => {
    expectErrno(U.ENOENT, MH.viommuAlloc(h, dom.idev, 0).rc);
    const notParent = MH.hwptAlloc(h, dom.idev, ioas);
    expectOk(notParent.rc);
    expectErrno(U.EINVAL, MH.viommuAlloc(h, dom.idev, notParent.id).rc);
    expectErrno(U.EOPNOTSUPP, MH.viommuAlloc(h, dom.idev, parent, MK.IOMMU_HWPT_DATA_SELFTEST).rc);
    expectErrno(U.EBUSY, h.destroy(parent));
    expectErrno(U.EBUSY, h.destroy(viommu));
  });

  it('viommu_alloc_nested_iopf', () => {
    const fault = MH.faultAlloc(h);
    expectErrno(U.ENOENT, MH.hwptAllocNested(h, dom.idev, viommu, U.IOMMU_HWPT_FAULT_ID_VALID, 0xffff_ffff).rc);
    expectErrno(U.EOPNOTSUPP, MH.hwptAllocNested(h, dom.idev, viommu, (U.IOMMU_HWPT_FAULT_ID_VALID | (1 << 31)) >>> 0, fault.id).rc);
    const iopf = MH.hwptAllocNested(h, dom.idev, viommu, U.IOMMU_HWPT_FAULT_ID_VALID, fault.id);
    expectOk(iopf.rc);
    expectErrno(U.ENOENT, MH.replace(h, dom.stdev, iopf.id).rc);
    expectOk(MH.vdeviceAlloc(h, viommu, dom.idev, 0x99n).rc);
    expectOk(MH.replace(h, dom.stdev, iopf.id).rc);
    expectErrno(U.EBUSY, h.destroy(iopf.id));
    MH.triggerIopf(h, dom.idev, fault.fd);
    expectOk(MH.replace(h, dom.stdev, ioas).rc);
    expectOk(h.destroy(iopf.id));
    expectOk(h.sys.close(fault.fd));
    expectOk(h.destroy(fault.id));
  });

  it('viommu_alloc_with_data', () => {
    const data = h.sys.mem.alloc(PAGE);
    h.sys.mem.writeU32(data, 0xbeef);
    const r = h.call(U.IOMMU_VIOMMU_ALLOC, U.IommuViommuAlloc, {
      dev_id: dom.idev,
      hwpt_id: parent,
      type: IOMMU_VIOMMU_TYPE_SELFTEST,
      data_len: 24,
      data_uptr: BigInt(data),
    });
    expectOk(r.rc);
    const withData = r.out.out_viommu_id;
    const out = (h.sys.mem.read(data, 24) as { ok: true; value: Uint8Array }).value;
    const v = new DataView(out.buffer);
    expect(v.getUint32(4, true)).toBe(0xbeef);
    const offset = v.getBigUint64(8, true);
    const length = Number(v.getBigUint64(16, true));
    expect(length).toBe(2 * PAGE);
    const mmap = (len: number, off: bigint) => h.sys.mmap(len, U.PROT_READ | U.PROT_WRITE, U.MAP_SHARED, h.fd, off);

    // Neither the offset nor the length can differ from what the driver reported.
    expectErrno(U.ENXIO, mmap(length, offset + PAGE_N));
    expectErrno(U.ENXIO, mmap(length, offset + 2n * PAGE_N));
    expectErrno(U.ENXIO, mmap(length / 2, offset));
    expectErrno(U.ENXIO, mmap(length * 2, offset));

    // The loopback: in_data is the first word of the mapped pages.
    const test = mmap(length, offset);
    expect(test).toBeGreaterThan(0);
    expect(h.sys.mem.readU32(test)).toEqual({ ok: true, value: 0xbeef });
    // The owner of the mapped region is busy until it is unmapped.
    expectErrno(U.EBUSY, h.destroy(withData));
    expectOk(h.sys.munmap(test, length));
    expectOk(h.destroy(withData));
  });

  it('vdevice_alloc', () => {
    expectErrno(U.ENOENT, MH.replace(h, dom.stdev, nested).rc);
    const q = veventqAlloc();
    expectOk(q.rc);
    expectErrno(U.EEXIST, veventqAlloc().rc);
    const vdev = MH.vdeviceAlloc(h, viommu, dom.idev, 0x99n);
    expectOk(vdev.rc);
    expectOk(MH.replace(h, dom.stdev, nested).rc);
    const seq = { prev: -1 };
    expectOk(triggerVevent());
    expectOk(readVevents(q.out.out_veventq_fd, 1, 0x99n, seq));
    expectErrno(U.EEXIST, MH.vdeviceAlloc(h, viommu, dom.idev, 0x99n).rc);
    expectOk(MH.replace(h, dom.stdev, ioas).rc);
    expectOk(h.destroy(vdev.id));

    const vdev2 = MH.vdeviceAlloc(h, viommu, dom.idev, 0x88n);
    expectOk(vdev2.rc);
    expectOk(MH.replace(h, dom.stdev, nested).rc);
    for (let i = 0; i < 3; i++) expectOk(triggerVevent());
    expectErrno(U.EOVERFLOW, readVevents(q.out.out_veventq_fd, 3, 0x88n, seq));
    expectOk(triggerVevent());
    expectOk(readVevents(q.out.out_veventq_fd, 1, 0x88n, seq));
    expectOk(h.sys.close(q.out.out_veventq_fd));
    expectOk(MH.replace(h, dom.stdev, ioas).rc);
    expectOk(h.destroy(vdev2.id));
    expectOk(h.destroy(q.out.out_veventq_id));
  });

  it('vdevice_cache', () => {
    const D = MK.IOMMU_TEST_DEV_CACHE_DEFAULT;
    const T = MK.IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST;
    const vdev = MH.vdeviceAlloc(h, viommu, dom.idev, 0x99n);
    expectOk(vdev.rc);
    const reqs = h.sys.mem.alloc(PAGE);
    const setReq = (i: number, flags: number, vdevId: number, cacheId: number) => {
      h.sys.mem.writeU32(reqs + i * 12, flags);
      h.sys.mem.writeU32(reqs + i * 12 + 4, vdevId);
      h.sys.mem.writeU32(reqs + i * 12 + 8, cacheId);
    };
    const inv = (n: number, type = T, len = 12, at: number = reqs) => MH.invalidate(h, viommu, at, type, len, n);
    const expectInv = (errno: number, r: { rc: number; n: number }, n: number) => {
      if (errno) expectErrno(errno, r.rc);
      else expectOk(r.rc);
      expect(r.n).toBe(n);
    };
    const caches = (values: number[]) => values.forEach((v, i) => expectOk(MH.checkDevCache(h, dom.idev, i, v)));
    caches([D, D, D, D]);
    expectInv(0, inv(0), 0);
    expectInv(U.EINVAL, inv(1, MK.IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID), 0);
    expectInv(U.EINVAL, inv(1, T, 13), 0);
    expectInv(U.EINVAL, inv(1, T, 1), 0);
    setReq(0, 0xffff_ffff, 0x99, 0);
    expectInv(U.EOPNOTSUPP, inv(1), 0);
    setReq(0, 0, 0x99, 0);
    expectInv(U.EINVAL, inv(1, T, 12, 0), 0);
    expectInv(U.EINVAL, inv(1, T, 0), 0);
    setReq(0, 0, 0x99, 4);
    expectInv(U.EINVAL, inv(1), 0);
    setReq(0, 0, 0x9, 0);
    expectInv(U.EINVAL, inv(1), 0);
    caches([D, D, D, D]);
    setReq(0, 0, 0x99, 0);
    setReq(1, 0xffff_ffff, 0x99, 1);
    expectInv(U.EOPNOTSUPP, inv(2), 1);
    caches([0, D, D, D]);
    setReq(1, 0, 0x99, 4);
    expectInv(U.EINVAL, inv(2), 1);
    caches([0, D, D, D]);
    setReq(0, 0, 0x99, 1);
    expectInv(0, inv(1), 1);
    caches([0, 0, D, D]);
    setReq(0, 0, 0x99, 2);
    setReq(1, 0, 0x99, 3);
    expectInv(0, inv(2), 2);
    caches([0, 0, 0, 0]);
    setReq(0, MK.IOMMU_TEST_INVALIDATE_FLAG_ALL, 0x99, 0);
    expectInv(0, inv(1), 1);
    caches([0, 0, 0, 0]);
    expectOk(h.destroy(vdev.id));
  });

  it('hw_queue', () => {
    const T = MK.IOMMU_HW_QUEUE_TYPE_SELFTEST;
    const alloc = (type: number, index: number, base: bigint, length: bigint) =>
      h.call(U.IOMMU_HW_QUEUE_ALLOC, U.IommuHwQueueAlloc, { viommu_id: viommu, type, index, nesting_parent_iova: base, length });
    const A = MK.MOCK_APERTURE_START;
    expectErrno(U.EOPNOTSUPP, alloc(0, 0, A, PAGE_N).rc);
    expectErrno(U.EINVAL, alloc(T, 0, A, 0n).rc);
    expectErrno(U.EOVERFLOW, alloc(T, 0, U.U64_MAX, PAGE_N).rc);
    expectErrno(U.ENOENT, alloc(T, 0, A, PAGE_N).rc);
    const buffer = h.sys.mem.alloc(2 * PAGE);
    const iova = A;
    const iova2 = A + PAGE_N;
    expectOk(h.map(ioas, buffer, PAGE, iova, MAP_FIXED_RW).rc);
    expectOk(h.map(ioas, buffer + PAGE, PAGE, iova2, MAP_FIXED_RW).rc);
    expectErrno(U.EIO, alloc(T, 1, iova, PAGE_N).rc);
    expectErrno(U.EINVAL, alloc(T, 2, iova, PAGE_N).rc);
    const q0 = alloc(T, 0, iova, PAGE_N);
    expectOk(q0.rc);
    expectErrno(U.EEXIST, alloc(T, 0, iova, PAGE_N).rc);
    expectErrno(U.EBUSY, h.unmap(ioas, iova, PAGE_N).rc);
    expectOk(h.unmap(ioas, iova2, PAGE_N).rc);
    const q1 = alloc(T, 1, iova + PAGE_N / 2n, PAGE_N / 2n);
    expectOk(q1.rc);
    expectErrno(U.EBUSY, h.destroy(q0.out.out_hw_queue_id));
    expectOk(h.destroy(q1.out.out_hw_queue_id));
    expectOk(h.destroy(q0.out.out_hw_queue_id));
    expectOk(h.unmap(ioas, iova, PAGE_N).rc);
  });

  it('vdevice_tombstone', () => {
    const vdev = MH.vdeviceAlloc(h, viommu, dom.idev, 0x99n);
    expectOk(vdev.rc);
    expectOk(h.destroy(dom.stdev));
    expectErrno(U.ENOENT, h.destroy(vdev.id));
  });
});
