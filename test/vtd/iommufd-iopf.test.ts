// IOPF on VT-d through iommufd: a fault on a HWPT allocated with a fault queue is a
// page request the unit queues; the host takes it off the page request queue and it
// reaches user space as a 40-byte iommu_hwpt_pgfault; the response written to the
// fault fd becomes a page group response descriptor, and the device receives it.
// Also: dirty tracking of a second-stage domain from device writes.
import { describe, expect, it } from 'vitest';
import {
  IOMMU_HWPT_ALLOC_DIRTY_TRACKING, IOMMU_HWPT_ALLOC_PASID, IOMMU_HWPT_DIRTY_TRACKING_ENABLE, IOMMU_HWPT_FAULT_ID_VALID,
  IOMMU_HWPT_GET_DIRTY_BITMAP, IOMMU_HWPT_SET_DIRTY_TRACKING, IOMMU_PGFAULT_FLAGS_LAST_PAGE, IOMMU_PGFAULT_FLAGS_PASID_VALID,
  IOMMU_PGFAULT_PERM_WRITE, IommuHwptGetDirtyBitmap, IommuHwptPgfault, IommuHwptSetDirtyTracking, unpackStruct,
} from '../../src/index.js';
import { IOVA, PAGE_A, PASID, PML4, VtdRig } from './iommufd-rig.js';

describe('I/O page faults of a VT-d device', () => {
  it('a write fault becomes a page request, a pgfault record, and a SUCCESS response the device receives', async () => {
    const rig = await VtdRig.create();
    const parent = rig.nestParent();
    rig.mapFirstStage(IOVA, PAGE_A);
    const fault = rig.vmm.faultQueueAlloc();
    expect(fault.rc).toBe(0);
    const nested = rig.vmm.hwptAllocVtdS1(rig.devId, parent, IOMMU_HWPT_ALLOC_PASID | IOMMU_HWPT_FAULT_ID_VALID,
      { pgtblAddr: PML4, addrWidth: 48 }, { faultId: fault.id });
    expect(nested.rc).toBe(0);
    rig.sys.attachDevice(rig.fd, rig.devId, nested.id, { pasid: PASID });

    const miss = 0x5000_0000n;
    const r = rig.sys.dma(rig.devId, { pasid: PASID, iova: miss + 0x40n, write: true, data: new Uint8Array(4) });
    expect('fault' in r && r.fault.iopf).toBe(true);
    // The unit queued it instead of recording a fault; the host already took it off the queue.
    expect(rig.iommu.unit.faults.pending()).toHaveLength(0);
    expect(rig.iommu.unit.pageRequests.outstandingGroups()).toBe(1);

    const buf = rig.sys.mem.alloc(4096);
    expect(rig.sys.read(fault.fd, buf, 80)).toBe(40);
    const bytes = rig.sys.mem.read(buf, 40);
    if (!bytes.ok) throw new Error('unreadable');
    const record = unpackStruct(IommuHwptPgfault, bytes.value);
    expect(record).toMatchObject({
      flags: IOMMU_PGFAULT_FLAGS_PASID_VALID | IOMMU_PGFAULT_FLAGS_LAST_PAGE, dev_id: rig.devId, pasid: PASID,
      grpid: 0, perm: IOMMU_PGFAULT_PERM_WRITE, addr: miss, cookie: 1,
    });

    const response = new Uint8Array(8);
    new DataView(response.buffer).setUint32(0, record.cookie, true); // code 0: SUCCESS
    rig.sys.mem.write(buf, response);
    expect(rig.sys.write(fault.fd, buf, 8)).toBe(8);
    expect(rig.iommu.deviceResponses).toEqual([{ rid: rig.device.sourceId, pasid: PASID, groupIndex: 0, code: 0, matched: true, byHardware: false }]);
    expect(rig.iommu.unit.pageRequests.outstandingGroups()).toBe(0);

    // The next request uses the next group index.
    rig.sys.dma(rig.devId, { pasid: PASID, iova: miss, length: 4 });
    expect(rig.sys.read(fault.fd, buf, 40)).toBe(40);
    const second = rig.sys.mem.read(buf, 40);
    expect(second.ok && unpackStruct(IommuHwptPgfault, second.value).grpid).toBe(1);
  });

  it('without a fault queue the same fault is recorded in the unit\'s fault recording registers', async () => {
    const rig = await VtdRig.create();
    const parent = rig.nestParent();
    const nested = rig.vmm.hwptAllocVtdS1(rig.devId, parent, IOMMU_HWPT_ALLOC_PASID, { pgtblAddr: PML4, addrWidth: 48 });
    rig.sys.attachDevice(rig.fd, rig.devId, nested.id, { pasid: PASID });
    const r = rig.sys.dma(rig.devId, { pasid: PASID, iova: 0x5000_0000n, length: 4 });
    expect('fault' in r && r.fault.iopf).toBe(false);
    expect(rig.iommu.unit.faults.pending()).toMatchObject([{ sid: rig.device.sourceId, pasid: PASID, addr: 0x5000_0000n, reason: 0x71 }]);
  });
});

describe('dirty tracking of a VT-d second stage', () => {
  it('device writes through the RID set D bits that GET_DIRTY_BITMAP reports and clears', async () => {
    const rig = await VtdRig.create();
    const hwpt = rig.vmm.hwptAlloc({ flags: IOMMU_HWPT_ALLOC_DIRTY_TRACKING, dev_id: rig.devId, pt_id: rig.ioas });
    expect(hwpt.rc).toBe(0);
    expect(rig.sys.attachDevice(rig.fd, rig.devId, hwpt.id)).toBe(hwpt.id);
    expect(rig.vmm.call(IOMMU_HWPT_SET_DIRTY_TRACKING, IommuHwptSetDirtyTracking, { flags: IOMMU_HWPT_DIRTY_TRACKING_ENABLE, hwpt_id: hwpt.id }).rc).toBe(0);
    rig.sys.dma(rig.devId, { iova: 0x3000n, write: true, data: new Uint8Array([1, 2, 3]) });
    rig.sys.dma(rig.devId, { iova: 0x9000n, length: 8 });
    const bitmap = rig.sys.mem.alloc(4096);
    const get = () => {
      rig.sys.mem.write(bitmap, new Uint8Array(8));
      const rc = rig.vmm.call(IOMMU_HWPT_GET_DIRTY_BITMAP, IommuHwptGetDirtyBitmap,
        { hwpt_id: hwpt.id, iova: 0n, length: 64n * 4096n, page_size: 4096n, data: BigInt(bitmap) }).rc;
      const b = rig.sys.mem.read(bitmap, 8);
      return { rc, bits: b.ok ? new DataView(b.value.buffer, b.value.byteOffset).getBigUint64(0, true) : -1n };
    };
    expect(get()).toEqual({ rc: 0, bits: 1n << 3n });
    expect(get()).toEqual({ rc: 0, bits: 0n });
    rig.sys.dma(rig.devId, { iova: 0x3000n, write: true, data: new Uint8Array([4]) });
    expect(get()).toEqual({ rc: 0, bits: 1n << 3n });
    // The whole 48-bit aperture in two bits: one read of the mapped areas, cleared, then clean.
    const getWide = () => {
      rig.sys.mem.write(bitmap, new Uint8Array(8));
      const rc = rig.vmm.call(IOMMU_HWPT_GET_DIRTY_BITMAP, IommuHwptGetDirtyBitmap,
        { hwpt_id: hwpt.id, iova: 0n, length: 1n << 48n, page_size: 1n << 47n, data: BigInt(bitmap) }).rc;
      const b = rig.sys.mem.read(bitmap, 1);
      return { rc, bits: b.ok ? b.value[0] : -1 };
    };
    rig.sys.dma(rig.devId, { iova: 0x3000n, write: true, data: new Uint8Array([5]) });
    expect(getWide()).toEqual({ rc: 0, bits: 1 });
    expect(getWide()).toEqual({ rc: 0, bits: 0 });
  });
});
