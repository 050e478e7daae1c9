// The typed API over the iommufd syscall surface.
export { Iommufd } from './iommufd.js';
export { MockSelftest, type MockDevice } from './selftest.js';
export { IommufdError, check } from './errors.js';
export type * from './types.js';
