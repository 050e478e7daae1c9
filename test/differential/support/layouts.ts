// The configurations the differential tests run: table layouts (format, levels,
// nesting) and cache geometries.

import type { EngineOptions } from '../../../src/engine/options.js';
import { FORMATS, type FormatName } from '../../../src/engine/types.js';

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
const FORMAT_NAMES = Object.keys(FORMATS) as FormatName[];
const name = (s: StageShape) => `${s.format} ${s.levels}-level`;
/** A format's usual depth for a pair: 4 levels where it has them. */
const usual = (format: FormatName): StageShape => {
  const levels: readonly number[] = FORMATS[format].levels;
  return { format, levels: levels.includes(4) ? 4 : levels[levels.length - 1]! };
};

/** Every level count of every registered format (src/engine/types.ts FORMATS). */
export const FLAT_LAYOUTS: Layout[] = FORMAT_NAMES.flatMap((format) =>
  FORMATS[format].levels.map((levels) => ({ name: name({ format, levels }), stage1: { format, levels } })));

/** Every pair the registry allows at the usual depths, then depths that differ. */
export const NESTED_LAYOUTS: Layout[] = [
  ...FORMAT_NAMES.flatMap((format) => FORMATS[format].parents.map((parent) => {
    const stage1 = usual(format);
    const p = usual(parent);
    return { name: `${name(stage1)} over ${name(p)}`, stage1, parent: p };
  })),
  // A 3-level stage 2 under a 4-level stage 1, and a 5-level stage 1 on x86-64 (AMD
  // v2 and VT-d first-stage tables can serve as a second stage).
  { name: 'x86-64 4-level over vtd-ss 3-level', stage1: x86(4), parent: vtd(3) },
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
