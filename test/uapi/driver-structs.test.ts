// The drivers' structs (spec §3.2, §3.3, §3.6 and the self-test header, §5.1): sizeof,
// mandatory part and every field's place, as the driver decodes them.
import { describe, expect, it } from 'vitest';
import * as U from '../../src/index.js';

type Row = [U.StructLayout, number, number, Record<string, [number, number]>];

const TABLE: Row[] = [
  [U.IommuHwInfoVtd, 24, 24, { flags: [0, 4], __reserved: [4, 4], cap_reg: [8, 8], ecap_reg: [16, 8] }],
  [U.IommuHwptVtdS1, 24, 24, { flags: [0, 8], pgtbl_addr: [8, 8], addr_width: [16, 4], __reserved: [20, 4] }],
  [U.IommuHwptVtdS1Invalidate, 24, 24, { addr: [0, 8], npages: [8, 8], flags: [16, 4], __reserved: [20, 4] }],
  [U.IommuTestHwInfo, 8, 8, { flags: [0, 4], test_reg: [4, 4] }],
  [U.IommuHwptSelftest, 8, 4, { iotlb: [0, 4], pagetable_type: [4, 4] }],
  [U.IommuHwptInvalidateSelftest, 8, 8, { flags: [0, 4], iotlb_id: [4, 4] }],
  [U.IommuViommuSelftest, 24, 8, { in_data: [0, 4], out_data: [4, 4], out_mmap_offset: [8, 8], out_mmap_length: [16, 8] }],
  [U.IommuViommuInvalidateSelftest, 12, 12, { flags: [0, 4], vdev_id: [4, 4], cache_id: [8, 4] }],
  [U.IommuViommuEventSelftest, 4, 4, { virt_id: [0, 4] }],
];

describe('driver struct layouts', () => {
  it.each(TABLE.map((row) => [row[0].name, ...row] as const))('%s: sizeof, minimum size, fields', (_name, layout, sizeof, min, fields) => {
    expect(layout.sizeof).toBe(sizeof);
    expect(layout.minSize).toBe(min);
    expect(Object.fromEntries(Object.entries(layout.fields).map(([n, f]) => [n, [f.offset, f.width]]))).toEqual(fields);
  });

  it('VT-d flag bits (spec §3.1)', () => {
    expect([U.IOMMU_VTD_S1_SRE, U.IOMMU_VTD_S1_EAFE, U.IOMMU_VTD_S1_WPE]).toEqual([1n, 2n, 4n]);
    expect([U.IOMMU_VTD_INV_FLAGS_LEAF, U.IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17]).toEqual([1, 1]);
  });
});
