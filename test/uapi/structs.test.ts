// Struct sizes, minimum sizes and a few offsets against the spec's command table
// (§2.0) and field tables: these constants are public API and must never drift.
import { describe, expect, it } from 'vitest';
import * as U from '../../src/index.js';
import { TEST_OP } from '../../src/selftest/index.js';

const TABLE: [string, number, U.StructLayout, number, number][] = [
  ['IOMMU_DESTROY', U.IOMMU_DESTROY, U.IommuDestroy, 8, 8],
  ['IOMMU_IOAS_ALLOC', U.IOMMU_IOAS_ALLOC, U.IommuIoasAlloc, 12, 12],
  ['IOMMU_IOAS_ALLOW_IOVAS', U.IOMMU_IOAS_ALLOW_IOVAS, U.IommuIoasAllowIovas, 24, 24],
  ['IOMMU_IOAS_COPY', U.IOMMU_IOAS_COPY, U.IommuIoasCopy, 40, 40],
  ['IOMMU_IOAS_IOVA_RANGES', U.IOMMU_IOAS_IOVA_RANGES, U.IommuIoasIovaRanges, 32, 32],
  ['IOMMU_IOAS_MAP', U.IOMMU_IOAS_MAP, U.IommuIoasMap, 40, 40],
  ['IOMMU_IOAS_UNMAP', U.IOMMU_IOAS_UNMAP, U.IommuIoasUnmap, 24, 24],
  ['IOMMU_OPTION', U.IOMMU_OPTION, U.IommuOption, 24, 24],
  ['IOMMU_VFIO_IOAS', U.IOMMU_VFIO_IOAS, U.IommuVfioIoas, 12, 12],
  ['IOMMU_HWPT_ALLOC', U.IOMMU_HWPT_ALLOC, U.IommuHwptAlloc, 48, 24],
  ['IOMMU_GET_HW_INFO', U.IOMMU_GET_HW_INFO, U.IommuHwInfo, 40, 32],
  ['IOMMU_HWPT_SET_DIRTY_TRACKING', U.IOMMU_HWPT_SET_DIRTY_TRACKING, U.IommuHwptSetDirtyTracking, 16, 16],
  ['IOMMU_HWPT_GET_DIRTY_BITMAP', U.IOMMU_HWPT_GET_DIRTY_BITMAP, U.IommuHwptGetDirtyBitmap, 48, 48],
  ['IOMMU_HWPT_INVALIDATE', U.IOMMU_HWPT_INVALIDATE, U.IommuHwptInvalidate, 32, 32],
  ['IOMMU_FAULT_QUEUE_ALLOC', U.IOMMU_FAULT_QUEUE_ALLOC, U.IommuFaultAlloc, 16, 16],
  ['IOMMU_IOAS_MAP_FILE', U.IOMMU_IOAS_MAP_FILE, U.IommuIoasMapFile, 40, 40],
  ['IOMMU_VIOMMU_ALLOC', U.IOMMU_VIOMMU_ALLOC, U.IommuViommuAlloc, 40, 24],
  ['IOMMU_VDEVICE_ALLOC', U.IOMMU_VDEVICE_ALLOC, U.IommuVdeviceAlloc, 24, 24],
  ['IOMMU_IOAS_CHANGE_PROCESS', U.IOMMU_IOAS_CHANGE_PROCESS, U.IommuIoasChangeProcess, 8, 8],
  ['IOMMU_VEVENTQ_ALLOC', U.IOMMU_VEVENTQ_ALLOC, U.IommuVeventqAlloc, 32, 28],
  ['IOMMU_HW_QUEUE_ALLOC', U.IOMMU_HW_QUEUE_ALLOC, U.IommuHwQueueAlloc, 40, 40],
  ['IOMMU_TEST_CMD', U.IOMMU_TEST_CMD, U.IommuTestCmd, 72, 68],
];

describe('uAPI struct layouts (spec §2.0)', () => {
  it.each(TABLE)('%s: request, sizeof and minimum size', (name, request, layout, sizeof, min) => {
    expect(layout.sizeof).toBe(sizeof);
    expect(layout.minSize).toBe(min);
    const op = [...U.IOCTL_OPS, TEST_OP].find((o) => o.name === name)!;
    expect(op.request).toBe(request);
    expect(op.layout).toBe(layout);
  });

  it('request numbers are 0x3B00 | nr with no direction or size bits', () => {
    expect(U.IOMMU_DESTROY).toBe(0x3b80);
    expect(U.IOMMU_HW_QUEUE_ALLOC).toBe(0x3b94);
    expect(U.IOMMU_TEST_CMD).toBe(0x3ba0);
    for (const op of U.IOCTL_OPS) expect(op.request >> 8).toBe(0x3b);
  });

  it('every struct starts with a u32 size, fields never overlap', () => {
    for (const [, , layout] of TABLE) {
      expect(layout.fields.size).toEqual({ offset: 0, width: 4, kind: 'u32' });
      const spans = Object.values(layout.fields).sort((a, b) => a.offset - b.offset);
      for (let i = 1; i < spans.length; i++) expect(spans[i].offset).toBeGreaterThanOrEqual(spans[i - 1].offset + spans[i - 1].width);
    }
  });

  it('selected offsets from the field tables', () => {
    expect(U.IommuIoasMap.fields.iova.offset).toBe(32);
    expect(U.IommuIoasMapFile.fields.fd).toEqual({ offset: 12, width: 4, kind: 's32' });
    expect(U.IommuIoasCopy.fields.src_iova.offset).toBe(32);
    expect(U.IommuOption.fields.op).toEqual({ offset: 8, width: 2, kind: 'u16' });
    expect(U.IommuHwInfo.fields.out_max_pasid_log2.offset).toBe(28);
    expect(U.IommuHwInfo.fields.__reserved).toEqual({ offset: 29, width: 3, kind: 'bytes' });
    expect(U.IommuHwptAlloc.fields.fault_id.offset).toBe(40);
    expect(U.IommuHwptInvalidate.fields.entry_num.offset).toBe(24);
    expect(U.IommuIovaRange.sizeof).toBe(16);
    expect(U.IommuHwptPgfault.sizeof).toBe(40);
    expect(U.IommuHwptPgfault.fields.cookie.offset).toBe(36);
    expect(U.IommufdVeventHeader.sizeof).toBe(8);
    expect(U.TestAddReserved.fields.length.offset).toBe(24);
    expect(U.TestCheckRefs.fields.refs.offset).toBe(32);
    // dma-buf union members (union at 16): dmabuf_get, dmabuf_revoke, check_dmabuf (op 24).
    expect([U.TestDmabufGet.fields.length.offset, U.TestDmabufGet.fields.open_flags.offset]).toEqual([16, 20]);
    expect([U.TestDmabufRevoke.fields.dmabuf_fd.offset, U.TestDmabufRevoke.fields.revoked.offset]).toEqual([16, 20]);
    const check = U.TestCheckDmabuf.fields;
    expect([check.dmabuf_fd.offset, check.iova.offset, check.length.offset, check.offset.offset]).toEqual([16, 24, 32, 40]);
    expect([U.IOMMU_TEST_OP.DMABUF_GET, U.IOMMU_TEST_OP.DMABUF_REVOKE, U.IOMMU_TEST_OP.MD_CHECK_DMABUF]).toEqual([22, 23, 24]);
  });

  it('pack and unpack round-trip every field kind', () => {
    const packed = U.packStruct(U.IommuHwInfo, {
      flags: 1,
      dev_id: 0xffff_ffff,
      data_uptr: 0x1234_5678_9abc_def0n,
      out_max_pasid_log2: 20,
      __reserved: new Uint8Array([1, 2, 3]),
      out_capabilities: 7n,
    });
    expect(packed.length).toBe(40);
    const back = U.unpackStruct(U.IommuHwInfo, packed);
    expect(back.size).toBe(40);
    expect(back.dev_id).toBe(0xffff_ffff);
    expect(back.data_uptr).toBe(0x1234_5678_9abc_def0n);
    expect(back.out_max_pasid_log2).toBe(20);
    expect([...back.__reserved]).toEqual([1, 2, 3]);
    const fileMap = U.unpackStruct(U.IommuIoasMapFile, U.packStruct(U.IommuIoasMapFile, { fd: -1 }));
    expect(fileMap.fd).toBe(-1);
  });
});
