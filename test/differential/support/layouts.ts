// The configurations the differential tests run: table layouts (format, levels,
// nesting) and cache geometries.

import type { EngineOptions } from '../../../src/engine/options.js';
import type { FormatName } from '../../../src/engine/types.js';

export interface StageShape {
  format: FormatName;
  levels: number;
}

export interface Layout {
  name: string;
  stage1: StageShape;
  /** The stage-2 space a nested stage 1 translates its addresses through. */
  parent?: StageShape;
}

const x86 = (levels: number): StageShape => ({ format: 'x86-64', levels });
const vtd = (levels: number): StageShape => ({ format: 'vtd-ss', levels });

export const FLAT_LAYOUTS: Layout[] = [
  { name: 'x86-64 4-level', stage1: x86(4) },
  { name: 'x86-64 5-level', stage1: x86(5) },
  { name: 'vtd-ss 3-level', stage1: vtd(3) },
  { name: 'vtd-ss 4-level', stage1: vtd(4) },
  { name: 'vtd-ss 5-level', stage1: vtd(5) },
];

export const NESTED_LAYOUTS: Layout[] = [
  { name: 'x86-64 4-level over vtd-ss 4-level', stage1: x86(4), parent: vtd(4) },
  { name: 'x86-64 4-level over vtd-ss 3-level', stage1: x86(4), parent: vtd(3) },
  { name: 'vtd-ss 4-level over vtd-ss 4-level', stage1: vtd(4), parent: vtd(4) },
  // An x86-64 parent: AMD v2 and VT-d first-stage tables can serve as a second stage.
  { name: 'vtd-ss 4-level over x86-64 4-level', stage1: vtd(4), parent: x86(4) },
  { name: 'x86-64 5-level over x86-64 4-level', stage1: x86(5), parent: x86(4) },
];

export const LAYOUTS: Layout[] = [...FLAT_LAYOUTS, ...NESTED_LAYOUTS];

export interface CacheSetup {
  name: string;
  options: EngineOptions;
}

/** Caches small enough that a short sequence evicts, with each replacement policy. */
function tiny(replacement: 'lru' | 'random' | 'round-robin', rangeProbeLimit?: number, walkers?: number): EngineOptions {
  return {
    iotlb: { sets: 4, ways: 2, replacement },
    walkCache: { sets: 2, ways: 2 },
    nestedTableCache: { sets: 2, ways: 2 },
    ...(rangeProbeLimit === undefined ? {} : { rangeProbeLimit }),
    ...(walkers === undefined ? {} : { walkers }),
  };
}

export const CACHE_SETUPS: CacheSetup[] = [
  { name: 'caches off, 32 walkers', options: { iotlb: false, walkCache: false, nestedTableCache: false, walkers: 32 } },
  // A probe limit of 2 sends almost every ranged invalidation down the sweep path;
  // the default (the IOTLB's set count, 4) keeps small ranges on the probe path.
  // Walker counts: one walk at a time, and a few (batches are bigger than that).
  { name: 'tiny lru caches, probe limit 2, 1 walker', options: tiny('lru', 2, 1) },
  { name: 'tiny random caches, default probe limit, 3 walkers', options: tiny('random', undefined, 3) },
  { name: 'tiny round-robin caches, probe limit 2', options: tiny('round-robin', 2) },
  // Nothing is evicted: a missing invalidation stays visible for the whole sequence.
  { name: 'default caches', options: {} },
];

/** Small simulated memory: engines are created per run, and nothing needs more. */
export const PHYS_MEM_BYTES = 16 * 1024 * 1024;

export const BUILDS = ['release', 'debug'] as const;

export const FUZZ_LONG = process.env.FUZZ_LONG !== undefined && process.env.FUZZ_LONG !== '' && process.env.FUZZ_LONG !== '0';

/** Runs per property: modest by default, many more under `npm run fuzz`. */
export function runs(normal: number, long = normal * 25): number {
  return FUZZ_LONG ? long : normal;
}

/** Per-property test timeout: vitest's default minute is too short for the long runs. */
export const PROPERTY_TIMEOUT = FUZZ_LONG ? 60 * 60_000 : 60_000;
