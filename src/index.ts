// Package root: the engine API, and the iommufd uAPI (System, request numbers, struct
// layouts and constants, the typed Iommufd API). Vendor models are exported from here
// as they land.
export * from './engine/index.js';
export * from './uapi/index.js';
