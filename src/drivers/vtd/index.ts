// The iommufd driver for the VT-d model: hw_info, VTD_S1 HWPT data and invalidation,
// paging and nested domains, and the host driver that brings a unit up through MMIO.
export * from './iommufd.js';
export { VtdIommu, RID_PASID, type VtdIommuOptions, type HostPageRequest } from './host-iommu.js';
export { VtdDevice, type VtdDeviceOptions } from './device.js';
export { VtdPagingDomain } from './paging-domain.js';
export { VtdNestedDomain } from './nested-domain.js';
export { vtdDriver } from './driver.js';
export type { VtdDmaFault } from './dma-faults.js';
