// The mock driver's identity: the uAPI type numbers whose bytes it decodes.
import type { IommuDriver } from '../../iommu/driver.js';
import { IOMMU_HWPT_DATA_SELFTEST, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, IOMMU_VIOMMU_TYPE_SELFTEST } from '../../iommu/abi/selftest.js';

export const mockDriver: IommuDriver = Object.freeze({
  name: 'mock',
  hwptDataTypes: [IOMMU_HWPT_DATA_SELFTEST],
  invalidateDataTypes: [IOMMU_HWPT_INVALIDATE_DATA_SELFTEST],
  viommuTypes: [IOMMU_VIOMMU_TYPE_SELFTEST],
});
