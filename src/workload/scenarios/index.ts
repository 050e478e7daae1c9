// The named scenarios of `iommu-wasm run`: a generator with preset parameters.
// Every one takes the common parameters (seed, steps, pageSize, nested, unmapInvalidation,
// IOTLB and walk-cache geometry) and its generator's own.
import { nicRing } from '../generators/nic-ring.js';
import { storage } from '../generators/storage.js';
import { sva } from '../generators/sva.js';
import { vm } from '../generators/vm.js';
import { invalidationStorm } from '../generators/invalidation-storm.js';
import { dmaStream } from '../generators/dma-stream.js';
import type { Workload } from '../workload.js';

type Factory = (overrides: Record<string, unknown>) => Workload;

interface ScenarioEntry {
  describe: string;
  create: Factory;
}

const preset = <T>(make: (name: string, o: Partial<T>) => Workload, name: string, fixed: Partial<T>): Factory =>
  (overrides) => make(name, { ...fixed, ...overrides } as Partial<T>);

export const SCENARIOS: Record<string, ScenarioEntry> = {
  'dma-stream': { describe: 'persistent 2 MiB + 4 KiB mappings, 64 interleaved sequential rings (the original default)', create: preset(dmaStream, 'dma-stream', {}) },
  'nic-strict': { describe: 'NIC RX/TX rings, every packet buffer mapped, unmapped and invalidated at once', create: preset(nicRing, 'nic-strict', { mode: 'strict' }) },
  'nic-flush-queue': { describe: 'NIC rings with a deferred flush queue: one domain invalidation per 256 unmaps', create: preset(nicRing, 'nic-flush-queue', { mode: 'flush-queue' }) },
  'nic-pool': { describe: 'NIC rings over a persistent buffer pool mapped once', create: preset(nicRing, 'nic-pool', { mode: 'pool' }) },
  'nic-pool-2m': { describe: 'NIC rings over a persistent pool backed by 2 MiB pages', create: preset(nicRing, 'nic-pool-2m', { mode: 'pool', pageSize: '2M' }) },
  'guest-nic-flush-queue': { describe: 'a nested VT-d guest (x86-64 over vtd-ss) running NIC rings with a flush queue', create: preset(nicRing, 'guest-nic-flush-queue', { mode: 'flush-queue', nested: true }) },
  'storage-sequential': { describe: 'NVMe-style 128 KiB transfers, sequential, scatter-gather mapped per I/O', create: preset(storage, 'storage-sequential', { pattern: 'sequential' }) },
  'storage-random': { describe: 'NVMe-style 128 KiB transfers at random offsets, mapped per I/O', create: preset(storage, 'storage-random', { pattern: 'random' }) },
  'sva': { describe: 'accelerator with a PASID per process, random access over 64 MiB each, 4 KiB pages', create: preset(sva, 'sva', {}) },
  'sva-2m': { describe: 'the same accelerator with 2 MiB pages', create: preset(sva, 'sva-2m', { pageSize: '2M' }) },
  'vm': { describe: '4 guests x 2 PASIDs, x86-64 stage 1 nested on vtd-ss stage 2, one shared IOTLB', create: preset(vm, 'vm', {}) },
  'invalidation-storm': { describe: '8 domains doing DMA under a flood of range/space/group/all invalidations', create: preset(invalidationStorm, 'invalidation-storm', {}) },
};

export const SCENARIO_NAMES = Object.keys(SCENARIOS);

export function createScenario(name: string, overrides: Record<string, unknown> = {}): Workload {
  const entry = SCENARIOS[name];
  if (!entry) throw new Error(`unknown scenario "${name}" (known: ${SCENARIO_NAMES.join(', ')})`);
  return entry.create(overrides);
}
