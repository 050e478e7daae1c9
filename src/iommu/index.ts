// The driver contract: what a driver implements and what it may use (the role
// include/linux/iommu.h plays for Linux drivers), plus the user ABI both sides share
// (the struct layouts and constants of include/uapi/linux/iommufd.h, in ./abi).
// Imports only the engine.
export * from './driver.js';
export type { DriverMmap, MmapRegistry } from './driver-mmap.js';
export type { IoPagingDomain, DomainProt } from './paging-domain.js';
export * from './user-data.js';
export { copyStructFromUser, type UserAccess, type UserAddress } from './user-copy.js';
export { AllocGuard, type AllocationPoint } from './alloc-guard.js';
export { type Result, ok, fail, OK_VOID } from './result.js';
export * from './errno.js';
export * from './abi/index.js';
