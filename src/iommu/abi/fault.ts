// Fault queue allocation and the records exchanged on its fd (spec §2.18, §3.7).
import { defineStruct, u32, u64 } from './layout.js';

export const IommuFaultAlloc = defineStruct(
  'iommu_fault_alloc',
  16,
  { size: u32(0), flags: u32(4), out_fault_id: u32(8), out_fault_fd: u32(12) },
  'out_fault_fd',
);

export const IOMMU_PGFAULT_FLAGS_PASID_VALID = 1 << 0;
export const IOMMU_PGFAULT_FLAGS_LAST_PAGE = 1 << 1;

export const IOMMU_PGFAULT_PERM_READ = 1 << 0;
export const IOMMU_PGFAULT_PERM_WRITE = 1 << 1;
export const IOMMU_PGFAULT_PERM_EXEC = 1 << 2;
export const IOMMU_PGFAULT_PERM_PRIV = 1 << 3;

export const IommuHwptPgfault = defineStruct(
  'iommu_hwpt_pgfault',
  40,
  {
    flags: u32(0),
    dev_id: u32(4),
    pasid: u32(8),
    grpid: u32(12),
    perm: u32(16),
    __reserved: u32(20),
    addr: u64(24),
    length: u32(32),
    cookie: u32(36),
  },
  'cookie',
);

export const IOMMUFD_PAGE_RESP_SUCCESS = 0;
export const IOMMUFD_PAGE_RESP_INVALID = 1;

export const IommuHwptPageResponse = defineStruct(
  'iommu_hwpt_page_response',
  8,
  { cookie: u32(0), code: u32(4) },
  'code',
);
