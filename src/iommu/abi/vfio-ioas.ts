// struct iommu_vfio_ioas (spec §2.12).
import { defineStruct, u16, u32 } from './layout.js';

export const IOMMU_VFIO_IOAS_GET = 0;
export const IOMMU_VFIO_IOAS_SET = 1;
export const IOMMU_VFIO_IOAS_CLEAR = 2;

export const IommuVfioIoas = defineStruct(
  'iommu_vfio_ioas',
  12,
  { size: u32(0), ioas_id: u32(4), op: u16(8), __reserved: u16(10) },
  '__reserved',
);
