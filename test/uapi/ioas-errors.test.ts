// Error order of the IOAS commands (spec §2.2–§2.10) and of the device-less answers
// of the commands awaiting the engine. Each case changes one thing from a valid call.
import { beforeEach, describe, expect, it } from 'vitest';
import * as U from '../../src/index.js';
import { expectErrno, expectOk, Harness, HUGEPAGE, MAP_FIXED_RW, MAP_RW, PAGE, PAGE_N, U64_MAX } from './helpers.js';
import { checkSystem } from './invariants.js';

describe('IOAS command error order', () => {
  let h: Harness;
  let ioas: number;
  let buffer: bigint;

  beforeEach(async () => {
    h = await Harness.open();
    ioas = h.ioasAlloc();
    buffer = BigInt(h.sys.mem.alloc(16 * PAGE, HUGEPAGE));
  });

  const map = (v: Partial<U.StructValue<typeof U.IommuIoasMap.fields>>) =>
    h.call(U.IOMMU_IOAS_MAP, U.IommuIoasMap, { ioas_id: ioas, user_va: buffer, length: PAGE_N, flags: MAP_RW, ...v }).rc;

  it('IOAS_ALLOC: flags must be zero', () => {
    expectErrno(U.EOPNOTSUPP, h.call(U.IOMMU_IOAS_ALLOC, U.IommuIoasAlloc, { flags: 1 }).rc);
    expect(h.ioasAlloc()).toBe(2);
  });

  it('MAP', () => {
    expectErrno(U.EOPNOTSUPP, map({ flags: MAP_RW | 8, length: U64_MAX }));
    expectErrno(U.EOPNOTSUPP, map({ __reserved: 1, length: U64_MAX }));
    expectErrno(U.EOVERFLOW, map({ flags: 0, length: U64_MAX }));
    expectErrno(U.EOVERFLOW, map({ flags: 0, iova: U64_MAX }));
    expectErrno(U.EINVAL, map({ flags: U.IOMMU_IOAS_MAP_FIXED_IOVA, ioas_id: 99 }));
    expectErrno(U.ENOENT, map({ ioas_id: 99, length: 0n }));
    expectErrno(U.EOVERFLOW, map({ user_va: U64_MAX - 10n, length: 0x100n }));
    expectErrno(U.EINVAL, map({ length: 0n }));
    expectErrno(U.EINVAL, map({ user_va: 0n, length: U64_MAX - PAGE_N + 1n }));
    expectErrno(U.EOVERFLOW, map({ length: U64_MAX / 2n }));
    expectErrno(U.EOVERFLOW, map({ flags: MAP_FIXED_RW, iova: U64_MAX - 1n, length: 3n }));
    expectOk(h.addReserved(ioas, 0x100000n, PAGE_N));
    expectErrno(U.EINVAL, map({ flags: MAP_FIXED_RW, iova: 0x100000n - 1n, length: 2n }));
    expectOk(map({ flags: MAP_FIXED_RW, iova: 0x200000n }));
    expectErrno(U.EEXIST, map({ flags: MAP_FIXED_RW, iova: 0x200000n + PAGE_N - 1n }));
    checkSystem(h.sys);
  });

  it('MAP: automatic IOVAs avoid page 0 and keep the memory offset in the page', () => {
    const got = h.call(U.IOMMU_IOAS_MAP, U.IommuIoasMap, {
      ioas_id: ioas,
      user_va: buffer + 0x123n,
      length: 10n,
      flags: MAP_RW,
    });
    expectOk(got.rc);
    expect(got.out.iova >= PAGE_N).toBe(true);
    expect(got.out.iova % PAGE_N).toBe(0x123n);
  });

  it('UNMAP', () => {
    const unmap = (ioas_id: number, iova: bigint, length: bigint) =>
      h.call(U.IOMMU_IOAS_UNMAP, U.IommuIoasUnmap, { ioas_id, iova, length });
    expectErrno(U.ENOENT, unmap(99, 0n, U64_MAX).rc);
    const all = unmap(ioas, 0n, U64_MAX);
    expectOk(all.rc);
    expect(all.out.length).toBe(0n);
    expectErrno(U.EOVERFLOW, unmap(ioas, U64_MAX, 1n).rc);
    expectErrno(U.EOVERFLOW, unmap(ioas, 1n, U64_MAX).rc);
    expectErrno(U.EINVAL, unmap(ioas, 0n, 0n).rc);
    expectErrno(U.EOVERFLOW, unmap(ioas, U64_MAX - 1n, 3n).rc);
    // Areas removed before an offending one stay removed; length is not written back.
    expectOk(map({ flags: MAP_FIXED_RW, iova: 0x10000n }));
    expectOk(map({ flags: MAP_FIXED_RW, iova: 0x10000n + PAGE_N, length: 2n * PAGE_N }));
    const partial = unmap(ioas, 0x10000n, 2n * PAGE_N);
    expectErrno(U.ENOENT, partial.rc);
    expect(partial.out.length).toBe(2n * PAGE_N);
    const rest = unmap(ioas, 0n, U64_MAX);
    expectOk(rest.rc);
    expect(rest.out.length).toBe(2n * PAGE_N);
    checkSystem(h.sys);
  });

  it('COPY', () => {
    const copy = (v: Partial<U.StructValue<typeof U.IommuIoasCopy.fields>>) =>
      h.call(U.IOMMU_IOAS_COPY, U.IommuIoasCopy, {
        flags: MAP_RW,
        src_ioas_id: ioas,
        dst_ioas_id: ioas,
        length: PAGE_N,
        src_iova: 0x10000n,
        ...v,
      }).rc;
    expectErrno(U.EOPNOTSUPP, copy({ flags: 1 << 3, length: U64_MAX }));
    expectErrno(U.EOVERFLOW, copy({ flags: 0, src_iova: U64_MAX }));
    expectErrno(U.EOVERFLOW, copy({ flags: 0, dst_iova: U64_MAX }));
    expectErrno(U.EINVAL, copy({ flags: 0, src_ioas_id: 99 }));
    expectErrno(U.ENOENT, copy({ src_ioas_id: 99, length: 0n }));
    expectErrno(U.EINVAL, copy({ length: 0n }));
    expectErrno(U.EOVERFLOW, copy({ src_iova: U64_MAX - 1n, length: 3n }));
    expectErrno(U.ENOENT, copy({ dst_ioas_id: 99 }));
    expectOk(map({ flags: MAP_FIXED_RW, iova: 0x10000n }));
    expectOk(map({ flags: MAP_FIXED_RW, iova: 0x11000n, user_va: buffer + 0x8000n }));
    expectErrno(U.ENOENT, copy({ dst_ioas_id: 99 }));
    // Two contiguous areas may be copied as one range, across the boundary.
    expectOk(copy({ src_iova: 0x10800n, length: PAGE_N }));
    expectErrno(U.EEXIST, copy({ flags: MAP_FIXED_RW, dst_iova: 0x10000n }));
    expectErrno(U.ENOENT, copy({ src_iova: 0x11800n, length: PAGE_N }));
    checkSystem(h.sys);
  });

  it('ALLOW_IOVAS', () => {
    const arr = h.sys.mem.alloc(PAGE);
    const allow = (ranges: [bigint, bigint][], v: Partial<U.StructValue<typeof U.IommuIoasAllowIovas.fields>> = {}) => {
      ranges.forEach(([s, l], i) => {
        h.sys.mem.writeU64(arr + 16 * i, s);
        h.sys.mem.writeU64(arr + 16 * i + 8, l);
      });
      return h.call(U.IOMMU_IOAS_ALLOW_IOVAS, U.IommuIoasAllowIovas, {
        ioas_id: ioas,
        num_iovas: ranges.length,
        allowed_iovas: BigInt(arr),
        ...v,
      }).rc;
    };
    expectErrno(U.EOPNOTSUPP, allow([], { __reserved: 1, ioas_id: 99 }));
    expectErrno(U.ENOENT, allow([], { ioas_id: 99 }));
    expectErrno(U.EFAULT, allow([], { num_iovas: 1, allowed_iovas: 0n }));
    expectErrno(U.EINVAL, allow([[5n, 5n]]));
    expectErrno(U.EINVAL, allow([[0x1000n, 0x2000n], [0x2000n, 0x3000n]]));
    expectOk(allow([[0x1000000n, 0x1ffffffn], [0x1000n, 0x2000n]]));
    const ioasObj = h.ctx.objects.get<U.IoasObject>(ioas, U.ObjectType.IOAS)!;
    expect(ioasObj.iopt.allowed.map((r) => r.start)).toEqual([0x1000n, 0x1000000n]);
    // A failed replacement keeps the old list.
    expectErrno(U.EINVAL, allow([[9n, 1n]]));
    expect(ioasObj.iopt.allowed.length).toBe(2);
    const m = h.call(U.IOMMU_IOAS_MAP, U.IommuIoasMap, { ioas_id: ioas, user_va: buffer, length: 3n * PAGE_N, flags: MAP_RW });
    expectOk(m.rc);
    expect(m.out.iova).toBe(0x1000000n);
    checkSystem(h.sys);
  });

  it('IOVA_RANGES: reserved, lookup, array fault', () => {
    const ranges = (v: Partial<U.StructValue<typeof U.IommuIoasIovaRanges.fields>>) =>
      h.call(U.IOMMU_IOAS_IOVA_RANGES, U.IommuIoasIovaRanges, { ioas_id: ioas, num_iovas: 1, ...v }).rc;
    expectErrno(U.EOPNOTSUPP, ranges({ __reserved: 1 }));
    expectErrno(U.ENOENT, ranges({ ioas_id: 99 }));
    expectErrno(U.EFAULT, ranges({ allowed_iovas: 0n }));
    expectErrno(U.EMSGSIZE, ranges({ num_iovas: 0, allowed_iovas: 0n }));
  });

  it('test op ADD_RESERVED', () => {
    expectErrno(U.ENOENT, h.addReserved(99, 0n, 1n));
    expectErrno(U.EINVAL, h.addReserved(ioas, 0n, 0n));
    expectErrno(U.EOVERFLOW, h.addReserved(ioas, 2n, U64_MAX));
    expectOk(map({ flags: MAP_FIXED_RW, iova: 0x10000n }));
    expectErrno(U.EADDRINUSE, h.addReserved(ioas, 0x10fffn, 1n));
    expectOk(h.addReserved(ioas, 0x11000n, 1n));
  });

  it('DESTROY of an IOAS with areas unpins nothing left behind and frees the ID', () => {
    expectOk(map({}));
    expectOk(h.destroy(ioas));
    expectErrno(U.ENOENT, h.destroy(ioas));
    expect(h.ioasAlloc()).toBe(ioas);
    checkSystem(h.sys);
  });
});

describe('commands awaiting the engine answer as a kernel without devices', () => {
  let h: Harness;
  let ioas: number;
  beforeEach(async () => {
    h = await Harness.open();
    ioas = h.ioasAlloc();
  });

  it('HWPT_ALLOC', () => {
    const a = (v: Partial<U.StructValue<typeof U.IommuHwptAlloc.fields>>) =>
      h.call(U.IOMMU_HWPT_ALLOC, U.IommuHwptAlloc, { pt_id: ioas, ...v }).rc;
    expectErrno(U.EOPNOTSUPP, a({ __reserved: 1 }));
    expectErrno(U.EINVAL, a({ data_type: 0, data_len: 8 }));
    expectErrno(U.EINVAL, a({ data_type: 0xdead, data_len: 0 }));
    expectErrno(U.ENOENT, a({ dev_id: ioas }));
    expectErrno(U.ENOENT, a({ __reserved2: 7 }));
  });

  it('GET_HW_INFO', () => {
    const a = (v: Partial<U.StructValue<typeof U.IommuHwInfo.fields>>) =>
      h.call(U.IOMMU_GET_HW_INFO, U.IommuHwInfo, v).rc;
    expectErrno(U.EOPNOTSUPP, a({ flags: 2 }));
    expectErrno(U.EOPNOTSUPP, a({ __reserved: new Uint8Array([0, 0, 1]) }));
    expectErrno(U.ENOENT, a({ flags: 1 }));
  });

  it('dirty tracking', () => {
    expectErrno(U.EOPNOTSUPP, h.call(U.IOMMU_HWPT_SET_DIRTY_TRACKING, U.IommuHwptSetDirtyTracking, { flags: 2 }).rc);
    expectErrno(U.ENOENT, h.call(U.IOMMU_HWPT_SET_DIRTY_TRACKING, U.IommuHwptSetDirtyTracking, { flags: 1, __reserved: 5 }).rc);
    expectErrno(U.ENOENT, h.call(U.IOMMU_HWPT_SET_DIRTY_TRACKING, U.IommuHwptSetDirtyTracking, { hwpt_id: ioas }).rc);
    expectErrno(U.EOPNOTSUPP, h.call(U.IOMMU_HWPT_GET_DIRTY_BITMAP, U.IommuHwptGetDirtyBitmap, { flags: 2 }).rc);
    expectErrno(U.EOPNOTSUPP, h.call(U.IOMMU_HWPT_GET_DIRTY_BITMAP, U.IommuHwptGetDirtyBitmap, { __reserved: 1 }).rc);
    expectErrno(U.ENOENT, h.call(U.IOMMU_HWPT_GET_DIRTY_BITMAP, U.IommuHwptGetDirtyBitmap, { flags: 1, hwpt_id: ioas }).rc);
  });

  it('HWPT_INVALIDATE writes entry_num = 0 back on every path', () => {
    const inv = (v: Partial<U.StructValue<typeof U.IommuHwptInvalidate.fields>>) =>
      h.call(U.IOMMU_HWPT_INVALIDATE, U.IommuHwptInvalidate, { entry_num: 5, entry_len: 8, data_uptr: 0x1000n, ...v });
    let r = inv({ __reserved: 1 });
    expectErrno(U.EOPNOTSUPP, r.rc);
    expect(r.out.entry_num).toBe(0);
    r = inv({ data_uptr: 0n });
    expectErrno(U.EINVAL, r.rc);
    expect(r.out.entry_num).toBe(0);
    expectErrno(U.EINVAL, inv({ entry_len: 0 }).rc);
    expectErrno(U.ENOENT, inv({ entry_num: 0, entry_len: 0, data_uptr: 0n, hwpt_id: 99 }).rc);
    // An IOAS is not something to invalidate.
    r = inv({ hwpt_id: ioas });
    expectErrno(U.EINVAL, r.rc);
    expect(r.out.entry_num).toBe(0);
  });

  it('vIOMMU family', () => {
    expectErrno(U.EOPNOTSUPP, h.call(U.IOMMU_VIOMMU_ALLOC, U.IommuViommuAlloc, { type: 1, flags: 1 }).rc);
    expectErrno(U.EOPNOTSUPP, h.call(U.IOMMU_VIOMMU_ALLOC, U.IommuViommuAlloc, { type: 0 }).rc);
    expectErrno(U.ENOENT, h.call(U.IOMMU_VIOMMU_ALLOC, U.IommuViommuAlloc, { type: 0xdeadbeef }).rc);
    expectErrno(U.ENOENT, h.call(U.IOMMU_VDEVICE_ALLOC, U.IommuVdeviceAlloc, { viommu_id: ioas }).rc);
    const vq = (v: Partial<U.StructValue<typeof U.IommuVeventqAlloc.fields>>) =>
      h.call(U.IOMMU_VEVENTQ_ALLOC, U.IommuVeventqAlloc, { type: 1, veventq_depth: 2, ...v }).rc;
    expectErrno(U.EOPNOTSUPP, vq({ flags: 1 }));
    expectErrno(U.EOPNOTSUPP, vq({ __reserved: 1 }));
    expectErrno(U.EOPNOTSUPP, vq({ type: 0 }));
    expectErrno(U.EINVAL, vq({ veventq_depth: 0 }));
    expectErrno(U.ENOENT, vq({}));
    const hq = (v: Partial<U.StructValue<typeof U.IommuHwQueueAlloc.fields>>) =>
      h.call(U.IOMMU_HW_QUEUE_ALLOC, U.IommuHwQueueAlloc, { type: 0xdeadbeef, length: PAGE_N, ...v }).rc;
    expectErrno(U.EOPNOTSUPP, hq({ type: 0 }));
    expectErrno(U.EOPNOTSUPP, hq({ flags: 1 }));
    expectErrno(U.EINVAL, hq({ length: 0n }));
    expectErrno(U.EOVERFLOW, hq({ nesting_parent_iova: U64_MAX }));
    expectErrno(U.ENOENT, hq({ nesting_parent_iova: U.MOCK_APERTURE_START }));
  });

});
