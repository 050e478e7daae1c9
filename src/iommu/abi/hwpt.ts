// The HWPT command family (spec §2.13, §2.15–§2.17): allocation, dirty tracking and
// cache invalidation, and the drivers' HWPT data and invalidation entries (§3.2, §3.3).
import { defineStruct, u32, u64 } from './layout.js';

export const IOMMU_HWPT_ALLOC_NEST_PARENT = 1 << 0;
export const IOMMU_HWPT_ALLOC_DIRTY_TRACKING = 1 << 1;
export const IOMMU_HWPT_FAULT_ID_VALID = 1 << 2;
export const IOMMU_HWPT_ALLOC_PASID = 1 << 3;

export const IOMMU_HWPT_DATA_NONE = 0;
export const IOMMU_HWPT_DATA_VTD_S1 = 1;
export const IOMMU_HWPT_DATA_ARM_SMMUV3 = 2;

export const IOMMU_VTD_S1_SRE = 1n << 0n;
export const IOMMU_VTD_S1_EAFE = 1n << 1n;
export const IOMMU_VTD_S1_WPE = 1n << 2n;

/** struct iommu_hwpt_vtd_s1 (IOMMU_HWPT_DATA_VTD_S1): the guest's stage-1 table and its format. */
export const IommuHwptVtdS1 = defineStruct(
  'iommu_hwpt_vtd_s1',
  24,
  { flags: u64(0), pgtbl_addr: u64(8), addr_width: u32(16), __reserved: u32(20) },
  '__reserved',
);

export const IommuHwptAlloc = defineStruct(
  'iommu_hwpt_alloc',
  48,
  {
    size: u32(0),
    flags: u32(4),
    dev_id: u32(8),
    pt_id: u32(12),
    out_hwpt_id: u32(16),
    __reserved: u32(20),
    data_type: u32(24),
    data_len: u32(28),
    data_uptr: u64(32),
    fault_id: u32(40),
    __reserved2: u32(44),
  },
  '__reserved',
);

export const IOMMU_HWPT_DIRTY_TRACKING_ENABLE = 1 << 0;

export const IommuHwptSetDirtyTracking = defineStruct(
  'iommu_hwpt_set_dirty_tracking',
  16,
  { size: u32(0), flags: u32(4), hwpt_id: u32(8), __reserved: u32(12) },
  '__reserved',
);

export const IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR = 1 << 0;

export const IommuHwptGetDirtyBitmap = defineStruct(
  'iommu_hwpt_get_dirty_bitmap',
  48,
  {
    size: u32(0),
    hwpt_id: u32(4),
    flags: u32(8),
    __reserved: u32(12),
    iova: u64(16),
    length: u64(24),
    page_size: u64(32),
    data: u64(40),
  },
  'data',
);

export const IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 = 0;
export const IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3 = 1;

export const IOMMU_VTD_INV_FLAGS_LEAF = 1 << 0;

/** struct iommu_hwpt_vtd_s1_invalidate (IOMMU_HWPT_INVALIDATE_DATA_VTD_S1): one entry of the array. */
export const IommuHwptVtdS1Invalidate = defineStruct(
  'iommu_hwpt_vtd_s1_invalidate',
  24,
  { addr: u64(0), npages: u64(8), flags: u32(16), __reserved: u32(20) },
  '__reserved',
);

export const IommuHwptInvalidate = defineStruct(
  'iommu_hwpt_invalidate',
  32,
  {
    size: u32(0),
    hwpt_id: u32(4),
    data_uptr: u64(8),
    data_type: u32(16),
    entry_len: u32(20),
    entry_num: u32(24),
    __reserved: u32(28),
  },
  '__reserved',
);
