// Public surface of the workload layer: generators, the named scenarios, their
// parameters, the runner and the iommufd replay of trace records. No Node module:
// it runs in a browser (recording goes to any trace destination). Replaying a trace
// file, and recording to a path: workload/node.ts (`iommu-wasm/workload/node`).
export * from './params.js';
export * from './workload.js';
export * from './ops.js';
export * from './topology.js';
export * from './result.js';
export * from './rng.js';
export * from './iova-allocator.js';
export * from './domain.js';
export * from './engine-driver.js';
export * from './record-sink.js';
export * from './runner.js';
export * from './generators/dma-stream.js';
export * from './generators/nic-ring.js';
export * from './generators/storage.js';
export * from './generators/sva.js';
export * from './generators/vm.js';
export * from './generators/invalidation-storm.js';
export * from './generators/random-access.js';
export * from './scenarios/index.js';
export * from './replay-iommufd.js';
