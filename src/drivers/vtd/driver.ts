// The VT-d driver's identity for the iommufd registry: the uAPI type numbers whose
// bytes it decodes (iommufd-uapi.md §3.1). No vIOMMU type: VT-d nesting is a nested
// HWPT over a nest-parent paging HWPT.
import type { IommuDriver } from '../../iommu/driver.js';
import { IOMMU_HWPT_DATA_VTD_S1, IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 } from '../../iommu/abi/hwpt.js';

export const vtdDriver: IommuDriver = Object.freeze({
  name: 'intel-vtd',
  hwptDataTypes: [IOMMU_HWPT_DATA_VTD_S1],
  invalidateDataTypes: [IOMMU_HWPT_INVALIDATE_DATA_VTD_S1],
  viommuTypes: [],
});
