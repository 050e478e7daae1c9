// struct iommu_hw_info (spec §2.14) and the drivers' hw-info payloads (§3.6). Bytes
// 24..31 were `out_data_type` + a u32 `__reserved` before the INPUT_TYPE flag; the
// mandatory part is unchanged.
import { bytes, defineStruct, u32, u64, u8 } from './layout.js';

export const IOMMU_HW_INFO_FLAG_INPUT_TYPE = 1 << 0;

export const IOMMU_HW_INFO_TYPE_NONE = 0;
export const IOMMU_HW_INFO_TYPE_DEFAULT = 0;
export const IOMMU_HW_INFO_TYPE_INTEL_VTD = 1;
export const IOMMU_HW_INFO_TYPE_ARM_SMMUV3 = 2;
export const IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV = 3;

export const IOMMU_HW_CAP_DIRTY_TRACKING = 1n << 0n;
export const IOMMU_HW_CAP_PCI_PASID_EXEC = 1n << 1n;
export const IOMMU_HW_CAP_PCI_PASID_PRIV = 1n << 2n;

export const IommuHwInfo = defineStruct(
  'iommu_hw_info',
  40,
  {
    size: u32(0),
    flags: u32(4),
    dev_id: u32(8),
    data_len: u32(12),
    data_uptr: u64(16),
    /** in_data_type on input (with INPUT_TYPE), out_data_type on output. */
    data_type: u32(24),
    out_max_pasid_log2: u8(28),
    __reserved: bytes(29, 3),
    out_capabilities: u64(32),
  },
  '__reserved',
);

export const IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17 = 1 << 0;

/** struct iommu_hw_info_vtd (IOMMU_HW_INFO_TYPE_INTEL_VTD): the unit's CAP and ECAP registers. */
export const IommuHwInfoVtd = defineStruct(
  'iommu_hw_info_vtd',
  24,
  { flags: u32(0), __reserved: u32(4), cap_reg: u64(8), ecap_reg: u64(16) },
  'ecap_reg',
);
