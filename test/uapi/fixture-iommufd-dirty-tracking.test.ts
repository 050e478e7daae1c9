// Port of the kernel self-test fixture `iommufd_dirty_tracking` (spec §5.4). Dirty bits
// are the D bits of the engine's leaf entries: IOMMU_TEST_OP_DIRTY sets them as a device
// write would, GET_DIRTY_BITMAP reads (and clears) them.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as U from '../../src/index.js';
import * as MK from '../../src/iommu/abi/selftest.js';
import { expectErrno, expectOk, Harness, HUGEPAGE, MAP_FIXED_RW } from './helpers.js';
import { checkSystem } from './invariants.js';
import * as MH from './mock-helpers.js';

const M = MK.MOCK_PAGE_SIZE;
const A = MK.MOCK_APERTURE_START;
const KiB = 1024;
const MiB = 1024 * KiB;

const VARIANTS = [
  { name: 'domain_dirty8k', size: 8 * KiB, huge: false },
  { name: 'domain_dirty16k', size: 16 * KiB, huge: false },
  { name: 'domain_dirty64k', size: 64 * KiB, huge: false },
  { name: 'domain_dirty128k', size: 128 * KiB, huge: false },
  { name: 'domain_dirty320k', size: 320 * KiB, huge: false },
  { name: 'domain_dirty64M', size: 64 * MiB, huge: false },
  { name: 'domain_dirty64M_huge', size: 64 * MiB, huge: true },
  { name: 'domain_dirty128M', size: 128 * MiB, huge: false },
  { name: 'domain_dirty128M_huge', size: 128 * MiB, huge: true },
];

describe.each(VARIANTS)('fixture iommufd_dirty_tracking ($name)', (variant) => {
  let h: Harness;
  let ioas: number;
  let dom: MH.MockDomain;
  let buffer: number;
  const bitmapBits = BigInt(variant.size) / M;

  beforeEach(async () => {
    h = await Harness.open({ engineOptions: { physMemBytes: 512 * MiB } });
    ioas = h.ioasAlloc();
    buffer = h.sys.mem.alloc(variant.size, HUGEPAGE);
    if (!variant.huge) {
      const r = h.call(U.IOMMU_OPTION, U.IommuOption, { option_id: U.IOMMU_OPTION_HUGE_PAGES, op: U.IOMMU_OPTION_OP_SET, object_id: ioas, val64: 0n });
      expectOk(r.rc);
    }
    dom = MH.mockDomainOk(h, ioas);
  });
  afterEach(() => {
    checkSystem(h.sys);
    expectOk(h.sys.close(h.fd));
    expect(h.sys.pool.totalPins).toBe(0);
  });

  const setDirty = (hwpt: number, enable: boolean) =>
    h.call(U.IOMMU_HWPT_SET_DIRTY_TRACKING, U.IommuHwptSetDirtyTracking, { hwpt_id: hwpt, flags: enable ? U.IOMMU_HWPT_DIRTY_TRACKING_ENABLE : 0 }).rc;

  it('enforce_dirty', () => {
    const hwpt = MH.hwptAlloc(h, dom.idev, ioas, { flags: U.IOMMU_HWPT_ALLOC_DIRTY_TRACKING });
    expectOk(hwpt.rc);
    const d = MH.mockDomainOk(h, hwpt.id);
    expectErrno(U.EINVAL, MH.mockDomain(h, hwpt.id, MK.MOCK_FLAGS_DEVICE_NO_DIRTY).rc);
    expectOk(h.destroy(d.stdev));
    expectOk(h.destroy(hwpt.id));
    const other = h.ioasAlloc();
    const noDirty = MH.mockDomainOk(h, other, MK.MOCK_FLAGS_DEVICE_NO_DIRTY);
    expectErrno(U.EOPNOTSUPP, MH.hwptAlloc(h, noDirty.idev, other, { flags: U.IOMMU_HWPT_ALLOC_DIRTY_TRACKING }).rc);
  });

  it('set_dirty_tracking', () => {
    const hwpt = MH.hwptAlloc(h, dom.idev, ioas, { flags: U.IOMMU_HWPT_ALLOC_DIRTY_TRACKING });
    expectOk(hwpt.rc);
    MH.mockDomainOk(h, hwpt.id);
    expectOk(setDirty(hwpt.id, true));
    expectOk(setDirty(hwpt.id, false));
  });

  it('pasid_set_dirty_tracking', () => {
    const hwpt = MH.hwptAlloc(h, dom.idev, ioas, { flags: U.IOMMU_HWPT_ALLOC_PASID | U.IOMMU_HWPT_ALLOC_DIRTY_TRACKING });
    expectOk(hwpt.rc);
    const d = MH.mockDomainOk(h, hwpt.id, MK.MOCK_FLAGS_DEVICE_PASID);
    expectOk(MH.pasidOp(h, U.IOMMU_TEST_OP.PASID_ATTACH, d.stdev, 100, hwpt.id));
    expectOk(setDirty(hwpt.id, true));
    expectOk(setDirty(hwpt.id, false));
    expectOk(MH.pasidOp(h, U.IOMMU_TEST_OP.PASID_DETACH, d.stdev, 100));
    const other = h.ioasAlloc();
    const noDirty = MH.mockDomainOk(h, other, MK.MOCK_FLAGS_DEVICE_PASID | MK.MOCK_FLAGS_DEVICE_NO_DIRTY);
    expectErrno(U.EINVAL, MH.pasidOp(h, U.IOMMU_TEST_OP.PASID_ATTACH, noDirty.stdev, 100, hwpt.id));
  });

  it('device_dirty_capability', () => {
    const r = MH.getHwInfo(h, dom.idev, 0);
    expectOk(r.rc);
    expect(r.out.out_capabilities & U.IOMMU_HW_CAP_DIRTY_TRACKING).toBe(U.IOMMU_HW_CAP_DIRTY_TRACKING);
  });

  const dirtyBitmaps = (noClear: boolean) => {
    expectOk(h.map(ioas, buffer, variant.size, A, MAP_FIXED_RW).rc);
    const tableType = variant.huge ? MK.MOCK_IOMMUPT_HUGE : MK.MOCK_IOMMUPT_DEFAULT;
    const hwpt = MH.hwptAlloc(h, dom.idev, ioas, {
      flags: U.IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
      dataType: MK.IOMMU_HWPT_DATA_SELFTEST,
      data: MH.selftestData(MK.IOMMU_TEST_IOTLB_DEFAULT, tableType),
    });
    expectOk(hwpt.rc);
    expectOk(setDirty(hwpt.id, true));
    const bitmapBytes = Number((bitmapBits + 63n) / 64n) * 8;
    const area = h.sys.mem.alloc(bitmapBytes + 2 * 4096 + 0x1000);
    const pte = variant.huge ? MK.MOCK_HUGE_PAGE_SIZE : M;
    for (const offset of [0, Number(M), 0xff1]) {
      testMockDirtyBitmaps(h, hwpt.id, BigInt(variant.size), A, M, pte, area + offset, bitmapBits, noClear);
    }
  };

  it('get_dirty_bitmap', () => dirtyBitmaps(false));
  it('get_dirty_bitmap_no_clear', () => dirtyBitmaps(true));
});

/** test_mock_dirty_bitmaps (spec §5.3). */
function testMockDirtyBitmaps(h: Harness, hwpt: number, length: bigint, iova: bigint, pageSize: bigint, ptePageSize: bigint, bitmap: number, nbits: bigint, noClear: boolean): void {
  const npte = ptePageSize / pageSize;
  const pteset = 2n * npte;
  const bytes = Number((nbits + 63n) / 64n) * 8;
  const set = new Uint8Array(bytes);
  for (let i = 0n; i < nbits; i += pteset) set[Number(i / 8n)] |= 1 << Number(i % 8n);
  h.sys.mem.write(bitmap, set);
  const r = MH.testCmd(h, U.IOMMU_TEST_OP.DIRTY, hwpt, U.TestDirty, { iova, length, page_size: pageSize, uptr: BigInt(bitmap) });
  expectOk(r.rc);
  const expectedCount = nbits / pteset > 1n ? nbits / pteset : 1n;
  expect(r.out.out_nr_dirty).toBe(expectedCount);

  const get = () => {
    h.sys.mem.write(bitmap, new Uint8Array(bytes));
    const g = h.call(U.IOMMU_HWPT_GET_DIRTY_BITMAP, U.IommuHwptGetDirtyBitmap, {
      hwpt_id: hwpt,
      iova,
      length,
      page_size: pageSize,
      data: BigInt(bitmap),
      flags: noClear ? U.IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR : 0,
    });
    expectOk(g.rc);
    return (h.sys.mem.read(bitmap, bytes) as { ok: true; value: Uint8Array }).value;
  };
  const bitOf = (b: Uint8Array, i: bigint) => (b[Number(i / 8n)] >> Number(i % 8n)) & 1;
  const first = get();
  for (let i = 0n; i < nbits; i++) {
    if (bitOf(first, i) !== (i % pteset < npte ? 1 : 0)) throw new Error(`bit ${i}: got ${bitOf(first, i)}`);
  }
  const second = get();
  if (noClear) expect(Buffer.from(second).equals(Buffer.from(first))).toBe(true);
  else expect(second.every((b) => b === 0)).toBe(true);
}
