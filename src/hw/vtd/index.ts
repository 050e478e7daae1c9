// Intel VT-d model: a remapping unit driven through MMIO registers and guest-memory
// structures, and the VT-d data of the iommufd uAPI.
export { VtdUnit, type VtdUnitOptions, type DmaOptions, type DmaResult } from './unit.js';
export { Reg, Gcmd, Gsts, Fsts, Ttm } from './registers.js';
export { Reason, isQualified } from './fault-reasons.js';
export { FRCD_BASE, IOTLB_REGS_BASE, capabilityRegister, extendedCapabilityRegister, Ecap, type VtdFeatures } from './capabilities.js';
export { Pgtt, type PasidEntry } from './pasid.js';
export { decodeDescriptor, DescriptorType, type Descriptor } from './descriptors.js';
export { PageResponseCode, type PageResponse, type PageRequest } from './page-requests.js';
export type { InterruptKind } from './interrupts.js';
export type { Route } from './resolver.js';
export * from '../../drivers/vtd/iommufd.js';
export { VtdIommu, RID_PASID, type VtdIommuOptions, type HostPageRequest } from '../../drivers/vtd/host-iommu.js';
export { VtdDevice, type VtdDeviceOptions } from '../../drivers/vtd/device.js';
export { VtdPagingDomain } from '../../drivers/vtd/paging-domain.js';
export { VtdNestedDomain } from '../../drivers/vtd/nested-domain.js';
export { vtdDriver } from '../../drivers/vtd/driver.js';
export type { VtdDmaFault } from '../../drivers/vtd/dma-faults.js';
