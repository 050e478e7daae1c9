// The Intel VT-d hardware model a simulator embeds: a remapping unit driven through
// MMIO registers and guest-memory structures. It imports only the engine and
// src/hw/common; the iommufd driver for it is src/drivers/vtd.
export { VtdUnit, type VtdUnitOptions, type DmaOptions, type DmaResult } from './unit.js';
export { Reg, Gcmd, Gsts, Fsts, Ttm } from './registers.js';
export { Reason, isQualified } from './fault-reasons.js';
export { FRCD_BASE, IOTLB_REGS_BASE, capabilityRegister, extendedCapabilityRegister, Ecap, type VtdFeatures } from './capabilities.js';
export { Pgtt, type PasidEntry } from './pasid.js';
export { decodeDescriptor, DescriptorType, type Descriptor } from './descriptors.js';
export { PageResponseCode, type PageResponse, type PageRequest } from './page-requests.js';
export type { InterruptKind } from './interrupts.js';
export type { Route } from './resolver.js';
