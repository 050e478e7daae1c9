// Device DMA through the engine: the bytes a process wrote are what a device reads
// through its mock domain, device writes land in the process's pages, rights and
// unmaps are enforced (the domain invalidates what it unmaps), device writes set the
// dirty bits GET_DIRTY_BITMAP reports, and faults on IOPF-capable HWPTs are queued.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FaultReason } from '../../src/engine/types.js';
import * as U from '../../src/index.js';
import * as MK from '../../src/iommu/abi/selftest.js';
import { expectOk, Harness, MAP_FIXED_RW, PAGE } from './helpers.js';
import { checkSystem } from './invariants.js';
import * as MH from './mock-helpers.js';

const A = MK.MOCK_APERTURE_START;

describe('device DMA through the engine', () => {
  let h: Harness;
  let ioas: number;
  let dom: MH.MockDomain;
  let buffer: number;

  beforeEach(async () => {
    h = await Harness.open();
    ioas = h.ioasAlloc();
    dom = MH.mockDomainOk(h, ioas);
    buffer = h.sys.mem.alloc(4 * PAGE);
  });
  afterEach(() => checkSystem(h.sys));

  const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 13 + seed) & 0xff);
  const dataOf = (r: U.DmaResult) => {
    if (!('data' in r)) throw new Error(`fault ${JSON.stringify(r.fault, (_k, v) => (typeof v === 'bigint' ? v.toString(16) : v))}`);
    return r.data;
  };

  it('reads what the process wrote and writes what the process then reads, across pages and 2 KiB units', () => {
    const pattern = bytes(3 * PAGE, 5);
    h.sys.mem.write(buffer, pattern);
    expectOk(h.map(ioas, buffer, 3 * PAGE, A, MAP_FIXED_RW).rc);
    expect(Buffer.from(dataOf(h.sys.dma(dom.idev, { iova: A + 100n, length: 2 * PAGE + 7 }))).equals(Buffer.from(pattern.subarray(100, 100 + 2 * PAGE + 7)))).toBe(true);
    const written = bytes(5000, 99);
    dataOf(h.sys.dma(dom.idev, { iova: A + 3000n, write: true, data: written }));
    const back = h.sys.mem.read(buffer + 3000, 5000);
    expect(back.ok && Buffer.from(back.value).equals(Buffer.from(written))).toBe(true);
  });

  it('a 2 KiB-aligned IOVA over the upper half of a page translates to that half', () => {
    const pattern = bytes(PAGE, 1);
    h.sys.mem.write(buffer, pattern);
    // IOVA A+2048 maps the page's first half: the unit's memory starts at byte 0 of its frame.
    expectOk(h.map(ioas, buffer, 2048, A + 2048n, MAP_FIXED_RW).rc);
    expect(Buffer.from(dataOf(h.sys.dma(dom.idev, { iova: A + 2048n, length: 2048 }))).equals(Buffer.from(pattern.subarray(0, 2048)))).toBe(true);
    const miss = h.sys.dma(dom.idev, { iova: A, length: 4 });
    expect('fault' in miss && miss.fault.reason).toBe(FaultReason.TRANSLATION);
  });

  it('read-only mappings refuse writes; unmapped IOVA faults at once (no stale IOTLB entry)', () => {
    expectOk(h.map(ioas, buffer, PAGE, A, U.IOMMU_IOAS_MAP_READABLE | U.IOMMU_IOAS_MAP_FIXED_IOVA).rc);
    dataOf(h.sys.dma(dom.idev, { iova: A, length: 8 }));
    const w = h.sys.dma(dom.idev, { iova: A, write: true, data: new Uint8Array(8) });
    expect('fault' in w && w.fault.reason).toBe(FaultReason.PERMISSION);
    expectOk(h.unmap(ioas, A, BigInt(PAGE)).rc);
    const r = h.sys.dma(dom.idev, { iova: A, length: 8 });
    expect('fault' in r && r.fault.reason).toBe(FaultReason.TRANSLATION);
  });

  /** Four pages mapped at A, the device moved to a new dirty-tracking HWPT with tracking on. */
  const trackingHwpt = () => {
    expectOk(h.map(ioas, buffer, 4 * PAGE, A, MAP_FIXED_RW).rc);
    const hwpt = MH.hwptAlloc(h, dom.idev, ioas, { flags: U.IOMMU_HWPT_ALLOC_DIRTY_TRACKING });
    expectOk(hwpt.rc);
    expectOk(MH.replace(h, dom.stdev, hwpt.id).rc);
    expectOk(h.call(U.IOMMU_HWPT_SET_DIRTY_TRACKING, U.IommuHwptSetDirtyTracking, { hwpt_id: hwpt.id, flags: 1 }).rc);
    return hwpt;
  };

  it('device writes set the dirty bits GET_DIRTY_BITMAP reports, then clears', () => {
    const hwpt = trackingHwpt();
    dataOf(h.sys.dma(dom.idev, { iova: A + 2048n * 3n + 5n, write: true, data: new Uint8Array(10) }));
    dataOf(h.sys.dma(dom.idev, { iova: A + 2048n * 6n, length: 100 }));
    const bitmap = h.sys.mem.alloc(PAGE);
    const get = () => {
      h.sys.mem.write(bitmap, new Uint8Array(8));
      expectOk(h.call(U.IOMMU_HWPT_GET_DIRTY_BITMAP, U.IommuHwptGetDirtyBitmap, { hwpt_id: hwpt.id, iova: A, length: BigInt(4 * PAGE), page_size: 2048n, data: BigInt(bitmap) }).rc);
      return (h.sys.mem.readU64(bitmap) as { ok: true; value: bigint }).value;
    };
    expect(get()).toBe(1n << 3n);
    expect(get()).toBe(0n);
    // After the clear the cached translation no longer carries W: the next write walks and sets D again.
    dataOf(h.sys.dma(dom.idev, { iova: A + 2048n * 3n, write: true, data: new Uint8Array(1) }));
    expect(get()).toBe(1n << 3n);
  });

  it('GET_DIRTY_BITMAP over half the 64-bit IOVA space, one bit: only the mapped areas are read', () => {
    const hwpt = trackingHwpt();
    dataOf(h.sys.dma(dom.idev, { iova: A + 2048n * 5n, write: true, data: new Uint8Array(3) }));
    const bitmap = h.sys.mem.alloc(PAGE);
    const get = (flags: number) => {
      h.sys.mem.write(bitmap, new Uint8Array(8));
      expectOk(h.call(U.IOMMU_HWPT_GET_DIRTY_BITMAP, U.IommuHwptGetDirtyBitmap, { hwpt_id: hwpt.id, flags, iova: 0n, length: 1n << 63n, page_size: 1n << 63n, data: BigInt(bitmap) }).rc);
      return (h.sys.mem.readU64(bitmap) as { ok: true; value: bigint }).value;
    };
    expect(get(U.IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR)).toBe(1n);
    expect(get(0)).toBe(1n);
    expect(get(0)).toBe(0n);
  });

  it('a fault on an IOPF-capable HWPT is queued as a page request', () => {
    const parent = MH.hwptAlloc(h, dom.idev, ioas, { flags: U.IOMMU_HWPT_ALLOC_NEST_PARENT });
    const fault = MH.faultAlloc(h);
    const iopf = MH.hwptAllocNested(h, dom.idev, parent.id, U.IOMMU_HWPT_FAULT_ID_VALID, fault.id);
    expectOk(iopf.rc);
    expectOk(MH.replace(h, dom.stdev, iopf.id).rc);
    const r = h.sys.dma(dom.idev, { iova: A + 0x5123n, length: 4 });
    expect('fault' in r && r.fault.iopf).toBe(true);
    const at = h.sys.mem.alloc(PAGE);
    expect(h.sys.read(fault.fd, at, 40)).toBe(40);
    const rec = U.unpackStruct(U.IommuHwptPgfault, (h.sys.mem.read(at, 40) as { ok: true; value: Uint8Array }).value);
    expect(rec.addr).toBe(A + 0x5000n);
    expect(rec.dev_id).toBe(dom.idev);
    expect(rec.perm).toBe(U.IOMMU_PGFAULT_PERM_READ);
    expectOk(MH.replace(h, dom.stdev, ioas).rc);
  });

  it('a device with nothing attached is blocked', () => {
    const other = h.ioasAlloc();
    const d = MH.mockDomainOk(h, other, MK.MOCK_FLAGS_DEVICE_PASID);
    const r = h.sys.dma(d.idev, { pasid: 7, iova: A, length: 4 });
    expect('fault' in r && r.fault.blocked).toBe(true);
  });
});
