export { Engine, type SpaceOptions, type TranslateResult, type LeafEntry } from './engine.js';
export { bitRuns, type DirtyBitmap, type DirtyScan, type DirtySkip } from './dirty.js';
export { type EngineOptions, type CacheGeometry, DEFAULTS } from './options.js';
export { Batch } from './batch.js';
export { EngineError } from './errors.js';
export { EnginePhysicalMemory } from './phys.js';
export { COUNTER_NAMES, type Counters, type CounterName } from './counters.js';
export { type FaultRecord } from './faults.js';
export * from './types.js';
