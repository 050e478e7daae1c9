// Public surface of the iommufd layer.
export { System, IOMMU_DEVICE_PATH, FIRST_FD, type SystemOptions } from './system.js';
export { UserMemory, type UserAddress, type UserMemoryOptions } from './user-memory.js';
export { FramePool } from './frame-pool.js';
export { MemFile } from './memfd.js';
export { MemoryFrameStore, type MemoryFrameStoreOptions } from './testing/memory-frame-store.js';
export { type Result, ok, fail } from './result.js';
export * from './errno.js';
export * from './ioctl-numbers.js';
export * from './limits.js';
export * from './structs/index.js';
export { IOCTL_OPS, TEST_OP, buildDispatchTable, type IoctlOp } from './dispatch.js';
export { IommufdContext } from './context.js';
export { ObjectTable, ObjectType, IommufdObject, MAX_OBJECT_ID, type ObjectTypeName } from './objects.js';
export { IoasObject } from './ioas/ioas-object.js';
export { IoPageTable, TEST_RESERVATION, type ReservedRange } from './ioas/io-pagetable.js';
export type { IoPagingDomain, DomainProt } from './ioas/domain.js';
export type { IovaRange } from './ioas/iova-range.js';
