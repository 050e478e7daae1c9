// Every uAPI struct layout and its constants.
export * from './layout.js';
export * from './destroy.js';
export * from './ioas.js';
export * from './option.js';
export * from './vfio-ioas.js';
export * from './hwpt.js';
export * from './hw-info.js';
export * from './fault.js';
export * from './viommu.js';
export * from './test-cmd.js';
export * from './selftest.js';
export * from './vfio.js';
