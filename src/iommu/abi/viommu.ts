// The vIOMMU command family (spec §2.19, §2.20, §2.22, §2.23, §3.8): vIOMMU, vDEVICE,
// vEVENTQ and HW queue allocation, plus the vEVENTQ record header.
import { defineStruct, u32, u64 } from './layout.js';

export const IOMMU_VIOMMU_TYPE_DEFAULT = 0;
export const IOMMU_VIOMMU_TYPE_ARM_SMMUV3 = 1;
export const IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV = 2;

export const IommuViommuAlloc = defineStruct(
  'iommu_viommu_alloc',
  40,
  {
    size: u32(0),
    flags: u32(4),
    type: u32(8),
    dev_id: u32(12),
    hwpt_id: u32(16),
    out_viommu_id: u32(20),
    data_len: u32(24),
    __reserved: u32(28),
    data_uptr: u64(32),
  },
  'out_viommu_id',
);

export const IommuVdeviceAlloc = defineStruct(
  'iommu_vdevice_alloc',
  24,
  { size: u32(0), viommu_id: u32(4), dev_id: u32(8), out_vdevice_id: u32(12), virt_id: u64(16) },
  'virt_id',
);

export const IOMMU_VEVENTQ_TYPE_DEFAULT = 0;
export const IOMMU_VEVENTQ_TYPE_ARM_SMMUV3 = 1;
export const IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV = 2;
export const IOMMU_VEVENTQ_FLAG_LOST_EVENTS = 1 << 0;

export const IommuVeventqAlloc = defineStruct(
  'iommu_veventq_alloc',
  32,
  {
    size: u32(0),
    flags: u32(4),
    viommu_id: u32(8),
    type: u32(12),
    veventq_depth: u32(16),
    out_veventq_id: u32(20),
    out_veventq_fd: u32(24),
    __reserved: u32(28),
  },
  'out_veventq_fd',
);

export const IommufdVeventHeader = defineStruct(
  'iommufd_vevent_header',
  8,
  { flags: u32(0), sequence: u32(4) },
  'sequence',
);

export const IOMMU_HW_QUEUE_TYPE_DEFAULT = 0;
export const IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV = 1;

export const IommuHwQueueAlloc = defineStruct(
  'iommu_hw_queue_alloc',
  40,
  {
    size: u32(0),
    flags: u32(4),
    viommu_id: u32(8),
    type: u32(12),
    index: u32(16),
    out_hw_queue_id: u32(20),
    nesting_parent_iova: u64(24),
    length: u64(32),
  },
  'length',
);
