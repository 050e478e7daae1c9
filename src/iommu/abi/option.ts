// struct iommu_option (spec §2.11).
import { defineStruct, u16, u32, u64 } from './layout.js';

export const IOMMU_OPTION_RLIMIT_MODE = 0;
export const IOMMU_OPTION_HUGE_PAGES = 1;
export const IOMMU_OPTION_OP_SET = 0;
export const IOMMU_OPTION_OP_GET = 1;

export const IommuOption = defineStruct(
  'iommu_option',
  24,
  { size: u32(0), option_id: u32(4), op: u16(8), __reserved: u16(10), object_id: u32(12), val64: u64(16) },
  'val64',
);
