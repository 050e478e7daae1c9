// Port of the kernel self-test fixture `iommufd_ioas`, variant no_domain (spec §5.4):
// an IOAS with no device attached, base_iova 0. The mock_domain, two_mock_domain and
// mock_domain_limit variants need the mock device (AWAITING-MOCK; see
// docs/conformance.md), as do the access_* cases.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as U from '../../src/uapi/index.js';
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

const P = PAGE_N;
const A = U.MOCK_APERTURE_START;
const M = U.MOCK_PAGE_SIZE;

describe('fixture iommufd_ioas (no_domain)', () => {
  let h: Harness;
  let ioas: number;
  let buffer: number;
  const base = 0n;

  beforeEach(async () => {
    h = await Harness.open();
    // The self-test's global buffer: BUFFER_SIZE, huge-page aligned.
    buffer = h.sys.mem.alloc(BUFFER_SIZE, HUGEPAGE);
    ioas = h.ioasAlloc();
    expectOk(setMemoryLimit(h, 65536));
  });
  afterEach(() => {
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
    expectOk(h.destroy(ioas));
  });

  it('alloc_hwpt_nested (no-device branch)', () => {
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

  it('hwpt_attach (no-device branch)', () => {
    expectErrno(U.ENOENT, testCmd(h, U.IOMMU_TEST_OP.MOCK_DOMAIN, 0));
  });

  it('ioas_area_destroy', () => {
    expectOk(h.map(ioas, buffer, P, base).rc);
    expectOk(h.destroy(ioas));
  });

  it('ioas_area_auto_destroy', () => {
    for (let i = 0n; i < 10n; i++) expectOk(h.map(ioas, buffer, P, base + i * P).rc);
  });

  it('get_hw_info (no-device branch)', () => {
    const info = (data_len: number) =>
      h.call(U.IOMMU_GET_HW_INFO, U.IommuHwInfo, { dev_id: 0, data_len, data_uptr: BigInt(buffer) }).rc;
    expectErrno(U.ENOENT, info(8));
    expectErrno(U.ENOENT, info(16));
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
    sweep(1n << 31n);

    const reservedStart = 4n * P;
    const reservedLength = 100n * P;
    expectOk(h.addReserved(ioas, reservedStart, reservedLength));
    sweep(buffer, (iova) => {
      expect(iova > reservedStart && iova < reservedStart + reservedLength).toBe(false);
    });

    expectErrno(U.EADDRINUSE, allowIovas([[P, 600n * P]]));
    const allowed: [bigint, bigint] = [200n * P, 600n * P - 1n];
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
    expect(ranges()[0]).toEqual([0n, U64_MAX]);
    expect(r.out.out_iova_alignment).toBe(1n);

    h.sys.mem.write(array, new Uint8Array(64));
    r = iovaRanges(0, BigInt(array));
    expectErrno(U.EMSGSIZE, r.rc);
    expect(r.out.num_iovas).toBe(1);
    expect(ranges()[0]).toEqual([0n, 0n]);

    expectOk(h.addReserved(ioas, P, P));
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
      expectOk(r.rc);
      expectOk(h.unmap(ioas, r.iova, length).rc);
    }
  });

  it('ioas_align_change', () => {
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
    const last = A + BigInt(BUFFER_SIZE) - 2n;
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
