// Package root: the engine API, the iommufd uAPI (request numbers, struct layouts and
// constants, the typed Iommufd API), the driver contract, and System, a host with the
// kernel's mock driver. Hardware models, drivers, traces and workloads have their own
// entry points (package.json "exports").
export * from './engine/index.js';
export * from './uapi/index.js';
export * from './iommu/index.js';
export * from './host/index.js';
