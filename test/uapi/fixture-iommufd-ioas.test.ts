// Port of the kernel self-test fixture `iommufd_ioas` (spec §5.4), all four variants:
// no_domain (base_iova 0, no device), mock_domain (one mock device, plus a PASID-capable
// one), two_mock_domain and mock_domain_limit (temp memory limit 16). With a device the
// base IOVA is MOCK_APERTURE_START. The access_* cases are in
// fixture-iommufd-ioas-access.test.ts.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as U from '../../src/index.js';
import {
  BUFFER_SIZE,
  expectErrno,
  expectOk,
  Harness,
  HUGEPAGE,
  MAP_FIXED_RW,
  PAGE,
  PAGE_N,
  U64_MAX,
} from './helpers.js';
import { checkSystem } from './invariants.js';
import * as MH from './mock-helpers.js';
import * as MK from '../../src/iommu/abi/selftest.js';

const P = PAGE_N;
const A = U.MOCK_APERTURE_START;
const M = U.MOCK_PAGE_SIZE;

const VARIANTS = [
  { name: 'no_domain', mockDomains: 0, memoryLimit: 65536, pasidCapable: false },
  { name: 'mock_domain', mockDomains: 1, memoryLimit: 65536, pasidCapable: true },
  { name: 'two_mock_domain', mockDomains: 2, memoryLimit: 65536, pasidCapable: false },
  { name: 'mock_domain_limit', mockDomains: 1, memoryLimit: 16, pasidCapable: false },
];

describe.each(VARIANTS)('fixture iommufd_ioas ($name)', (variant) => {
  let h: Harness;
  let ioas: number;
  let buffer: number;
  let base: bigint;
  let stdev = 0;
  let hwptId = 0;
  let deviceId = 0;
  let pasidDevice = 0;
  const hasDomain = variant.mockDomains > 0;

  beforeEach(async () => {
    h = await Harness.open();
    // The self-test's global buffer: BUFFER_SIZE, huge-page aligned.
    buffer = h.sys.mem.alloc(BUFFER_SIZE, HUGEPAGE);
    ioas = h.ioasAlloc();
    expectOk(setMemoryLimit(h, variant.memoryLimit));
    for (let i = 0; i < variant.mockDomains; i++) {
      const d = MH.mockDomainOk(h, ioas);
      ({ stdev, hwpt: hwptId, idev: deviceId } = d);
      for (let slot = 0; slot < 4; slot++) expectOk(MH.checkDevCache(h, d.idev, slot, MK.IOMMU_TEST_DEV_CACHE_DEFAULT));
    }
    if (variant.pasidCapable) pasidDevice = MH.mockDomainOk(h, ioas, MK.MOCK_FLAGS_DEVICE_PASID).idev;
    base = hasDomain ? A : 0n;
  });
  afterEach(() => {
    if (!variant.pasidCapable) expect(pasidDevice).toBe(0);
    checkSystem(h.sys);
    // teardown_iommufd: after close nothing of the buffer is pinned.
    expectOk(h.sys.close(h.fd));
    expect(h.sys.pool.totalPins).toBe(0);
  });

  const iovaRanges = (capacity: number, array: bigint) =>
    h.call(U.IOMMU_IOAS_IOVA_RANGES, U.IommuIoasIovaRanges, { ioas_id: ioas, num_iovas: capacity, allowed_iovas: array });

  const allowIovas = (ranges: [bigint, bigint][], id = ioas) => {
    const at = h.sys.mem.alloc(Math.max(1, ranges.length) * 16);
    ranges.forEach(([start, last], i) => {
      h.sys.mem.writeU64(at + i * 16, start);
      h.sys.mem.writeU64(at + i * 16 + 8, last);
    });
    return h.call(U.IOMMU_IOAS_ALLOW_IOVAS, U.IommuIoasAllowIovas, {
      ioas_id: id,
      num_iovas: ranges.length,
      allowed_iovas: BigInt(at),
    }).rc;
  };

  const copy = (flags: number, dst: number, src: number, length: bigint, dstIova: bigint, srcIova: bigint) =>
    h.call(U.IOMMU_IOAS_COPY, U.IommuIoasCopy, {
      flags,
      dst_ioas_id: dst,
      src_ioas_id: src,
      length,
      dst_iova: dstIova,
      src_iova: srcIova,
    });

  const hugePages = (op: number, val64: bigint) =>
    h.call(U.IOMMU_OPTION, U.IommuOption, { option_id: U.IOMMU_OPTION_HUGE_PAGES, op, object_id: ioas, val64 });

  it('ioas_auto_destroy', () => {});

  it('ioas_destroy', () => {
    if (hasDomain) expectErrno(U.EBUSY, h.destroy(ioas));
    else expectOk(h.destroy(ioas));
  });

  it.runIf(hasDomain)('alloc_hwpt_nested', () => allocHwptNested(h, ioas, stdev, deviceId));

  it.runIf(!hasDomain)('alloc_hwpt_nested (no-device branch)', () => {
    const hwpt = (dev_id: number, pt_id: number, flags = 0, data?: { type: number; len: number }) =>
      h.call(U.IOMMU_HWPT_ALLOC, U.IommuHwptAlloc, {
        dev_id,
        pt_id,
        flags,
        data_type: data?.type ?? 0,
        data_len: data?.len ?? 0,
        data_uptr: data ? BigInt(buffer) : 0n,
      }).rc;
    expectErrno(U.ENOENT, hwpt(0, ioas));
    expectErrno(U.ENOENT, hwpt(0, ioas, 0, { type: 0xdead, len: 8 }));
    expectErrno(U.ENOENT, hwpt(0, ioas, 0, { type: 0xdead, len: 8 }));
    const replace = () => testCmd(h, U.IOMMU_TEST_OP.MOCK_DOMAIN_REPLACE, 0, (v) => v.setUint32(16, ioas, true));
    expectErrno(U.ENOENT, replace());
    expectErrno(U.ENOENT, replace());
  });

  it('hwpt_attach', () => {
    if (hasDomain) MH.mockDomainOk(h, hwptId);
    else expectErrno(U.ENOENT, testCmd(h, U.IOMMU_TEST_OP.MOCK_DOMAIN, 0));
  });

  it('ioas_area_destroy', () => {
    expectOk(h.map(ioas, buffer, P, base).rc);
    if (hasDomain) expectErrno(U.EBUSY, h.destroy(ioas));
    else expectOk(h.destroy(ioas));
  });

  it('ioas_area_auto_destroy', () => {
    for (let i = 0n; i < 10n; i++) expectOk(h.map(ioas, buffer, P, base + i * P).rc);
  });

  it('get_hw_info', () => {
    if (!hasDomain) {
      const info = (data_len: number) =>
        h.call(U.IOMMU_GET_HW_INFO, U.IommuHwInfo, { dev_id: 0, data_len, data_uptr: BigInt(buffer) }).rc;
      expectErrno(U.ENOENT, info(8));
      expectErrno(U.ENOENT, info(16));
      return;
    }
    // test_cmd_get_hw_info: type 0xfeedbeef, 8 bytes, user bytes beyond 8 zeroed.
    const check = (dataLen: number, type?: number) => {
      const r = MH.getHwInfo(h, deviceId, dataLen, type);
      expectOk(r.rc);
      expect(r.out.data_type).toBe(MK.IOMMU_HW_INFO_TYPE_SELFTEST);
      expect(r.out.data_len).toBe(8);
      const v = new DataView(r.bytes.buffer);
      if (dataLen >= 4) expect(v.getUint32(0, true)).toBe(0);
      if (dataLen >= 8) expect(v.getUint32(4, true)).toBe(MK.IOMMU_HW_INFO_SELFTEST_REGVAL);
      for (let i = 8; i < dataLen; i++) expect(r.bytes[i]).toBe(0);
      if (dataLen > 0) expect(r.bytes[dataLen]).toBe(0xaa);
      return r;
    };
    check(0);
    check(8);
    expectErrno(U.EOPNOTSUPP, MH.getHwInfo(h, deviceId, 8, MK.IOMMU_HW_INFO_TYPE_SELFTEST + 1).rc);
    check(8, MK.IOMMU_HW_INFO_TYPE_SELFTEST);
    check(16);
    const short = check(4);
    expect(short.bytes[4]).toBe(0xaa);
    expect(check(8).out.out_max_pasid_log2).toBe(0);
    if (variant.pasidCapable) expect(MH.getHwInfo(h, pasidDevice, 8).out.out_max_pasid_log2).toBe(MK.MOCK_PASID_WIDTH);
  });

  it('area', () => {
    for (let i = 0n; i < 10n; i++) expectErrno(U.ENOENT, h.unmap(ioas, base + i * P, P).rc);
    for (let i = 0n; i < 10n; i++) expectOk(h.map(ioas, buffer, P, base + i * P).rc);
    for (let i = 0n; i < 10n; i++) expectOk(h.unmap(ioas, base + i * P, P).rc);

    expectOk(h.map(ioas, buffer, 2n * P, base + 16n * P).rc);
    expectErrno(U.ENOENT, h.unmap(ioas, base + 16n * P, P).rc);
    expectErrno(U.ENOENT, h.unmap(ioas, base + 17n * P, P).rc);

    expectErrno(U.EEXIST, h.map(ioas, buffer, 2n * P, base + 16n * P).rc);
    expectErrno(U.EEXIST, h.map(ioas, buffer, P, base + 16n * P).rc);
    expectErrno(U.EEXIST, h.map(ioas, buffer, P, base + 17n * P).rc);
    expectErrno(U.EEXIST, h.map(ioas, buffer, 2n * P, base + 15n * P).rc);
    expectErrno(U.EEXIST, h.map(ioas, buffer, 3n * P, base + 15n * P).rc);

    expectOk(h.unmap(ioas, 0n, U64_MAX).rc);
    expectOk(h.unmap(ioas, 0n, U64_MAX).rc);
  });

  it('unmap_fully_contained_areas', () => {
    const b = base + 4n * P;
    for (let i = 0n; i < 4n; i++) expectOk(h.map(ioas, buffer, 8n * P, b + i * 16n * P).rc);
    expectErrno(U.ENOENT, h.unmap(ioas, b - 4n * P, 8n * P).rc);
    expectErrno(U.ENOENT, h.unmap(ioas, b + 3n * 16n * P + 8n * P - 4n * P, 8n * P).rc);
    const r = h.unmap(ioas, b - 4n * P, 3n * 16n * P + 8n * P + 4n * P + 4n * P);
    expectOk(r.rc);
    expect(r.length).toBe(32n * P);
  });

  it('area_auto_iova', () => {
    const iovas: bigint[] = [];
    for (let i = 0; i < 10; i++) {
      const r = h.map(ioas, buffer, P);
      expectOk(r.rc);
      iovas.push(r.iova);
    }
    for (const iova of iovas) expectOk(h.unmap(ioas, iova, P).rc);

    const checkAligned = (iova: bigint, length: bigint) => expect(iova % (length & -length)).toBe(0n);
    const sweep = (va: number | bigint, check?: (iova: bigint, length: bigint) => void) => {
      const got: [bigint, bigint][] = [];
      for (let i = 0n; i < 10n; i++) {
        const length = P * (i + 1n);
        const r = h.map(ioas, va, length);
        expectOk(r.rc);
        checkAligned(r.iova, length);
        check?.(r.iova, length);
        got.push([r.iova, length]);
      }
      for (const [iova, length] of got) expectOk(h.unmap(ioas, iova, length).rc);
    };
    // No domain: nothing is pinned, so any user VA will do (the test uses 1 << 31).
    sweep(hasDomain ? buffer : 1n << 31n);

    const reservedStart = 4n * P;
    const reservedLength = 100n * P;
    expectOk(h.addReserved(ioas, reservedStart, reservedLength));
    sweep(buffer, (iova) => {
      expect(iova > reservedStart && iova < reservedStart + reservedLength).toBe(false);
    });

    expectErrno(U.EADDRINUSE, allowIovas([[P, 600n * P]]));
    const allowed: [bigint, bigint] = hasDomain ? [A + P, A + 600n * P - 1n] : [200n * P, 600n * P - 1n];
    expectOk(allowIovas([allowed]));
    sweep(buffer, (iova, length) => {
      expect(iova >= allowed[0] && iova + length - 1n <= allowed[1]).toBe(true);
    });
  });

  it('reserved_overflow', () => {
    expectOk(h.addReserved(ioas, 6n, 0xffff_ffff_ffff_8001n));
    expectErrno(U.ENOSPC, h.map(ioas, buffer, 0x5000n).rc);
  });

  it('area_allowed', () => {
    expectOk(allowIovas([[base, base + 600n * P]]));
    expectErrno(U.EADDRINUSE, h.addReserved(ioas, base + P, P));
    expectOk(allowIovas([]));
    expectOk(h.addReserved(ioas, base + P, P));
    expectErrno(U.EADDRINUSE, allowIovas([[base, base + 600n * P]]));
  });

  it('copy_area', () => {
    const flags = U.IOMMU_IOAS_MAP_FIXED_IOVA | U.IOMMU_IOAS_MAP_WRITEABLE;
    expectOk(h.map(ioas, buffer, P, base).rc);
    expectOk(copy(flags, ioas, ioas, P, base + P, base).rc);
    const dst = h.ioasAlloc();
    expectOk(copy(flags, dst, ioas, P, 0n, base).rc);
  });

  it('iova_ranges', () => {
    const array = h.sys.mem.alloc(PAGE);
    const ranges = () => {
      const r = h.sys.mem.read(array, 64);
      if (!r.ok) throw new Error('array');
      const v = new DataView(r.value.buffer);
      return [0, 1].map((i) => [v.getBigUint64(i * 16, true), v.getBigUint64(i * 16 + 8, true)]);
    };

    let r = iovaRanges(8, BigInt(array));
    expectOk(r.rc);
    expect(r.out.num_iovas).toBe(1);
    expect(ranges()[0]).toEqual(hasDomain ? [A, U.MOCK_APERTURE_LAST] : [0n, U64_MAX]);
    expect(r.out.out_iova_alignment).toBe(hasDomain ? M : 1n);

    h.sys.mem.write(array, new Uint8Array(64));
    r = iovaRanges(0, BigInt(array));
    expectErrno(U.EMSGSIZE, r.rc);
    expect(r.out.num_iovas).toBe(1);
    expect(ranges()[0]).toEqual([0n, 0n]);

    expectOk(h.addReserved(ioas, P, P));
    if (hasDomain) {
      h.sys.mem.write(array, new Uint8Array(64));
      r = iovaRanges(8, BigInt(array));
      expectOk(r.rc);
      expect(r.out.num_iovas).toBe(1);
      r = iovaRanges(1, BigInt(array));
      expectOk(r.rc);
      expect(ranges()).toEqual([
        [A, U.MOCK_APERTURE_LAST],
        [0n, 0n],
      ]);
      return;
    }
    r = iovaRanges(8, BigInt(array));
    expectOk(r.rc);
    expect(r.out.num_iovas).toBe(2);
    expect(ranges()).toEqual([
      [0n, P - 1n],
      [2n * P, U64_MAX],
    ]);

    h.sys.mem.write(array, new Uint8Array(64));
    r = iovaRanges(1, BigInt(array));
    expectErrno(U.EMSGSIZE, r.rc);
    expect(r.out.num_iovas).toBe(2);
    expect(ranges()).toEqual([
      [0n, P - 1n],
      [0n, 0n],
    ]);
  });

  it('ioas_option_huge_pages', () => {
    let r = hugePages(U.IOMMU_OPTION_OP_GET, 3n);
    expectOk(r.rc);
    expect(r.out.val64).toBe(1n);
    expectOk(hugePages(U.IOMMU_OPTION_OP_SET, 0n).rc);
    r = hugePages(U.IOMMU_OPTION_OP_GET, 3n);
    expectOk(r.rc);
    expect(r.out.val64).toBe(0n);
    expectErrno(U.EINVAL, hugePages(U.IOMMU_OPTION_OP_SET, 2n).rc);
    expectOk(hugePages(U.IOMMU_OPTION_OP_SET, 1n).rc);
  });

  it('ioas_iova_alloc', () => {
    for (let length = 1n; length < 2n * P; length++) {
      const r = h.map(ioas, buffer, length);
      if (hasDomain && length % M !== 0n) {
        expectErrno(U.EINVAL, r.rc);
        continue;
      }
      expectOk(r.rc);
      expectOk(h.unmap(ioas, r.iova, length).rc);
    }
  });

  it.runIf(!hasDomain)('ioas_align_change', () => {
    expectOk(h.map(ioas, buffer, P, A).rc);
    expectOk(hugePages(U.IOMMU_OPTION_OP_SET, 0n).rc);
    expectErrno(U.EINVAL, h.map(ioas, buffer + Number(M), P, A + P).rc);
    expectOk(hugePages(U.IOMMU_OPTION_OP_SET, 0n).rc);
    expectOk(hugePages(U.IOMMU_OPTION_OP_SET, 1n).rc);
    expectOk(h.map(ioas, buffer + Number(M), P, A + P).rc);
    expectErrno(U.EADDRINUSE, hugePages(U.IOMMU_OPTION_OP_SET, 0n).rc);
    expectOk(h.unmap(ioas, A, P).rc);
    expectOk(h.unmap(ioas, A + P, P).rc);
  });

  it('copy_sweep', () => {
    const flags = U.IOMMU_IOAS_MAP_FIXED_IOVA | U.IOMMU_IOAS_MAP_WRITEABLE;
    const dst = h.ioasAlloc();
    const last = A + BigInt(BUFFER_SIZE) - (hasDomain ? 1n : 2n);
    expectOk(h.map(ioas, buffer, last - A + 1n, A, MAP_FIXED_RW).rc);
    let okCount = 0;
    for (let src = A - P; src <= last; src += 511n) {
      const rc = copy(flags, dst, ioas, M, A, src).rc;
      if (src < A || src + M - 1n > last) {
        expectErrno(U.ENOENT, rc);
      } else {
        expectOk(rc);
        okCount++;
        expectOk(h.unmap(dst, A, M).rc);
      }
    }
    expect(okCount).toBeGreaterThan(100);
  });

  it('dmabuf_simple', () => {
    const bufSize = 4 * PAGE;
    const dfd = MH.dmabufGet(h, bufSize);
    expect(dfd).toBeGreaterThanOrEqual(3);
    expectErrno(U.EINVAL, h.mapFile(ioas, dfd, 0, 0).rc);
    expectErrno(U.EINVAL, h.mapFile(ioas, dfd, bufSize, bufSize).rc);
    expectErrno(U.EINVAL, h.mapFile(ioas, dfd, 0, bufSize + 1).rc);
    const r = h.mapFile(ioas, dfd, 0, bufSize);
    expectOk(r.rc);
    // The development header's MD_CHECK_DMABUF (op 24) adds this check.
    if (hasDomain) expectOk(MH.checkDmabuf(h, hwptId, dfd, r.iova, bufSize, 0));
    expectOk(h.sys.close(dfd));
  });

  it('dmabuf_revoke', () => {
    const bufSize = 4 * PAGE;
    const dfd = MH.dmabufGet(h, bufSize);
    expect(dfd).toBeGreaterThanOrEqual(3);
    const first = h.mapFile(ioas, dfd, 0, bufSize);
    expectOk(first.rc);
    expectOk(MH.dmabufRevoke(h, dfd, true));
    if (hasDomain) expectOk(MH.hwptAlloc(h, deviceId, ioas).rc);
    expectErrno(U.ENODEV, h.mapFile(ioas, dfd, 0, bufSize).rc);
    expectOk(MH.dmabufRevoke(h, dfd, false));
    expectOk(h.mapFile(ioas, dfd, 0, bufSize).rc);
    // Restore the IOVA of the first mapping.
    expectOk(h.unmap(ioas, first.iova, BigInt(bufSize)).rc);
    expectOk(h.mapFile(ioas, dfd, 0, bufSize, first.iova).rc);
    expectOk(h.sys.close(dfd));
  });
});

function setMemoryLimit(h: Harness, limit: number): number {
  return testCmd(h, U.IOMMU_TEST_OP.SET_TEMP_MEMORY_LIMIT, 0, (v) => v.setUint32(16, limit, true));
}

function testCmd(h: Harness, op: number, id: number, fill?: (v: DataView) => void): number {
  const buf = U.packStruct(U.IommuTestCmd, { op, id });
  fill?.(new DataView(buf.buffer));
  expect(h.sys.mem.write(h.arg, buf).ok).toBe(true);
  return h.sys.ioctl(h.fd, U.IOMMU_TEST_CMD, h.arg);
}

/** alloc_hwpt_nested with a device: steps 1-36 of spec §5.4. */
function allocHwptNested(h: Harness, ioas: number, stdev: number, deviceId: number): void {
  const D = MK.IOMMU_TEST_IOTLB_DEFAULT;
  const T = MK.IOMMU_HWPT_INVALIDATE_DATA_SELFTEST;
  const nestParent = U.IOMMU_HWPT_ALLOC_NEST_PARENT;
  expectErrno(U.ENOENT, MH.hwptAlloc(h, ioas, deviceId).rc);
  expectErrno(U.EINVAL, MH.hwptAlloc(h, deviceId, deviceId).rc);
  expectErrno(U.EOPNOTSUPP, MH.hwptAlloc(h, deviceId, ioas, { flags: nestParent | U.IOMMU_HWPT_FAULT_ID_VALID }).rc);
  const parent = MH.hwptAlloc(h, deviceId, ioas, { flags: nestParent });
  expectOk(parent.rc);
  const parentNotWork = MH.hwptAlloc(h, deviceId, ioas);
  expectOk(parentNotWork.rc);

  const data = MH.selftestData();
  expectErrno(U.EINVAL, MH.hwptAlloc(h, deviceId, parent.id, { dataType: U.IOMMU_HWPT_DATA_NONE, data, dataLen: 8 }).rc);
  expectErrno(U.EOPNOTSUPP, MH.hwptAlloc(h, deviceId, parent.id, { dataType: MK.IOMMU_HWPT_DATA_SELFTEST + 1, data }).rc);
  expectErrno(U.EINVAL, MH.hwptAlloc(h, deviceId, parent.id, { dataType: MK.IOMMU_HWPT_DATA_SELFTEST, data, dataLen: 3 }).rc);
  expectErrno(U.EFAULT, MH.hwptAlloc(h, deviceId, parent.id, { dataType: MK.IOMMU_HWPT_DATA_SELFTEST, data: null, dataLen: 8 }).rc);
  expectErrno(U.EOPNOTSUPP, MH.hwptAllocNested(h, deviceId, parent.id, nestParent).rc);
  expectErrno(U.EINVAL, MH.hwptAllocNested(h, deviceId, parentNotWork.id).rc);

  const fault = MH.faultAlloc(h);
  expect(fault.id).not.toBe(0);
  expect(fault.fd).not.toBe(0);
  const nested = [MH.hwptAllocNested(h, deviceId, parent.id), MH.hwptAllocNested(h, deviceId, parent.id)];
  for (const n of nested) expectOk(n.rc);
  expectErrno(U.ENOENT, MH.hwptAllocNested(h, deviceId, parent.id, U.IOMMU_HWPT_FAULT_ID_VALID, 0xffff_ffff).rc);
  const iopf = MH.hwptAllocNested(h, deviceId, parent.id, U.IOMMU_HWPT_FAULT_ID_VALID, fault.id);
  expectOk(iopf.rc);
  for (const n of nested) MH.checkIotlbs(h, n.id, [D, D, D, D]);
  expectErrno(U.EINVAL, MH.hwptAllocNested(h, deviceId, nested[0].id).rc);
  expectErrno(U.EBUSY, h.destroy(parent.id));

  // Invalidation requests: iommu_hwpt_invalidate_selftest {flags, iotlb_id}.
  const reqs = h.sys.mem.alloc(PAGE);
  const setReq = (i: number, flags: number, id: number) => {
    h.sys.mem.writeU32(reqs + i * 8, flags);
    h.sys.mem.writeU32(reqs + i * 8 + 4, id);
  };
  const inv = (id: number, n: number, type = T, len = 8, at: number = reqs) => MH.invalidate(h, id, at, type, len, n);
  const expectInv = (errno: number, r: { rc: number; n: number }, n: number) => {
    if (errno) expectErrno(errno, r.rc);
    else expectOk(r.rc);
    expect(r.n).toBe(n);
  };
  setReq(0, 0, 0);
  expectInv(U.EINVAL, inv(parent.id, 1), 0);
  expectInv(0, inv(nested[0].id, 0), 0);
  expectInv(U.EINVAL, inv(nested[0].id, 1, MK.IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID), 0);
  expectInv(U.EINVAL, inv(nested[0].id, 1, T, 9), 0);
  expectInv(U.EINVAL, inv(nested[0].id, 1, T, 1), 0);
  setReq(0, 0xffff_ffff, 0);
  expectInv(U.EOPNOTSUPP, inv(nested[0].id, 1), 0);
  setReq(0, 0, 0);
  expectInv(U.EINVAL, inv(nested[0].id, 1, T, 8, 0), 0);
  expectInv(U.EINVAL, inv(nested[0].id, 1, T, 0), 0);
  setReq(0, 0, 4);
  expectInv(U.EINVAL, inv(nested[0].id, 1), 0);
  MH.checkIotlbs(h, nested[0].id, [D, D, D, D]);
  setReq(0, 0, 0);
  setReq(1, 0xffff_ffff, 1);
  expectInv(U.EOPNOTSUPP, inv(nested[0].id, 2), 1);
  MH.checkIotlbs(h, nested[0].id, [0, D, D, D]);
  setReq(1, 0, 4);
  expectInv(U.EINVAL, inv(nested[0].id, 2), 1);
  MH.checkIotlbs(h, nested[0].id, [0, D, D, D]);
  setReq(0, 0, 1);
  expectInv(0, inv(nested[0].id, 1), 1);
  MH.checkIotlbs(h, nested[0].id, [0, 0, D, D]);
  setReq(0, 0, 2);
  setReq(1, 0, 3);
  expectInv(0, inv(nested[0].id, 2), 2);
  MH.checkIotlbs(h, nested[0].id, [0, 0, 0, 0]);
  setReq(0, MK.IOMMU_TEST_INVALIDATE_FLAG_ALL, 2);
  expectInv(0, inv(nested[1].id, 1), 1);
  MH.checkIotlbs(h, nested[1].id, [0, 0, 0, 0]);

  expectOk(MH.replace(h, stdev, nested[0].id).rc);
  expectErrno(U.EBUSY, h.destroy(nested[0].id));
  expectOk(MH.replace(h, stdev, nested[1].id).rc);
  expectErrno(U.EBUSY, h.destroy(nested[1].id));
  expectOk(h.destroy(nested[0].id));
  expectOk(MH.replace(h, stdev, iopf.id).rc);
  expectErrno(U.EBUSY, h.destroy(iopf.id));
  MH.triggerIopf(h, deviceId, fault.fd);
  expectOk(MH.replace(h, stdev, parent.id).rc);
  expectOk(h.destroy(nested[1].id));
  expectOk(h.destroy(iopf.id));
  expectOk(MH.replace(h, stdev, ioas).rc);
  expectOk(h.destroy(parent.id));
  expectOk(h.destroy(parentNotWork.id));
  expectOk(h.sys.close(fault.fd));
  expectOk(h.destroy(fault.id));
}
