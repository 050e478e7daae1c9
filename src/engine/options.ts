// Engine configuration with its defaults. Geometry is fixed at creation: memory is
// laid out and grown once.
import type { ReplacementName } from './types.js';
import type { BuildName, WasmSource } from './wasm.js';

export interface CacheGeometry {
  sets: number;
  ways: number;
}

export interface EngineOptions {
  /**
   * Which core to run: `release` (fast), `debug` (bounds checks, assertions) or the
   * name of another build in build/ (A/B experiments), found next to the package.
   */
  build?: BuildName;
  /**
   * The core itself instead of a named build: its bytes (ArrayBuffer or Uint8Array), a
   * URL (string or URL; fetched, or read from disk in Node when it is a file: URL or a
   * plain path) or a compiled WebAssembly.Module. For a browser page or a bundle where
   * build/ is not next to the module. Not together with `build`.
   */
  wasm?: WasmSource;
  /** Host physical address width in bits, 32..46. */
  paBits?: number;
  /** Bytes of simulated memory that can be backed at once (the frame pool). */
  physMemBytes?: number;
  maxSpaces?: number;
  maxGroups?: number;
  maxAllocators?: number;
  /**
   * Engine metadata for table pages: one 4-byte record per page an allocator has
   * handed out, taken in chunks of 1024, 2048, 4096, ... records as the allocator
   * grows (fewer than 2n + 1024 for n pages). Default: twice the frame pool plus one
   * first chunk per allocator, so the frame pool runs out first.
   */
  tablePageRecords?: number;
  faultRingEntries?: number;
  /** Requests one translateBatch call can take. */
  batchCapacity?: number;
  /** `false` turns the IOTLB off. */
  iotlb?: (CacheGeometry & { replacement?: ReplacementName }) | false;
  /** Per-level paging-structure caches; `false` turns them off. */
  walkCache?: CacheGeometry | false;
  /** Parent translations of stage-1 table pages; `false` turns it off. */
  nestedTableCache?: CacheGeometry | false;
  /**
   * Page walks in flight at once, 1..32 (default 24): misses of one space are walked
   * together, like a hardware walker with that many slots. More overlap more memory
   * latency; the walks of one group do not see each other's walk-cache fills, so
   * walk-cache counters depend on it (deterministically).
   */
  walkers?: number;
  /** Probes above which a ranged invalidation sweeps instead (default: IOTLB sets). */
  rangeProbeLimit?: number;
  /** Where the engine puts the tables it owns (host physical); default: the top half of the space. */
  tableRegion?: { base: bigint; limit: bigint };
  /** Where data frames (user memory, guest RAM) come from; default: the bottom half above 1 MiB. */
  dataRegion?: { base: bigint; limit: bigint };
}

export const DEFAULTS = {
  build: 'release' as BuildName,
  paBits: 40,
  physMemBytes: 256 * 1024 * 1024,
  maxSpaces: 1024,
  maxGroups: 1024,
  maxAllocators: 64,
  faultRingEntries: 4096,
  batchCapacity: 4096,
  walkers: 24,
  iotlb: { sets: 4096, ways: 4, replacement: 'lru' as ReplacementName },
  walkCache: { sets: 64, ways: 4 },
  nestedTableCache: { sets: 256, ways: 4 },
};
