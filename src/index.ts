// Package root: the engine API. The iommufd surface and vendor models are exported
// from here as they land.
export * from './engine/index.js';
