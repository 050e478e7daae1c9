// Parameters every generator takes: the machine (IOTLB, walk caches, nesting, how a
// driver invalidates after unmap) and how buffers are backed (page size), plus the
// seed and run length.
import { DEFAULT_GEOMETRY, type EngineGeometry } from './topology.js';

export type PageSize = '4K' | '2M';
/**
 * How the driver invalidates after unmapping. `leaf`: only the leaf translations, walk
 * caches kept (VT-d's driver sets the invalidation hint when no table page was freed).
 * `all-levels`: the paging-structure caches go too (AMD's driver sets PDE on every
 * INVALIDATE_IOMMU_PAGES).
 */
export type UnmapInvalidation = 'leaf' | 'all-levels';

export interface CommonParams {
  seed: number;
  /** Units of work (packets, I/Os, jobs, bursts) to generate. */
  steps: number;
  /** Page size backing data buffers. */
  pageSize: PageSize;
  /** Put the device's domain inside a guest: x86-64 stage 1 over a 4-level vtd-ss stage 2. */
  nested: boolean;
  /** Page size of the guest RAM mapping in stage 2 (4K gives the full 4x4 walk). */
  stage2PageSize: PageSize;
  unmapInvalidation: UnmapInvalidation;
  /**
   * Bytes a device covers with one translation request. The default, 4096, is one
   * translation per page a DMA touches (an ATS device, or an IOMMU that coalesces
   * requests to one page). Smaller values translate every PCIe request; the engine
   * walks misses in groups (`engine.walkers`) while later requests probe the IOTLB,
   * and a miss in a region being walked waits for that walk, so repeated requests to
   * one new page mostly hit.
   */
  requestBytes: number;
  engine: EngineGeometry;
}

export const COMMON_DEFAULTS: CommonParams = {
  seed: 1,
  steps: 20_000,
  pageSize: '4K',
  nested: false,
  stage2PageSize: '4K',
  unmapInvalidation: 'leaf',
  requestBytes: 4096,
  engine: DEFAULT_GEOMETRY,
};

export const PAGE_BYTES: Record<PageSize, number> = { '4K': 4096, '2M': 2 << 20 };

/** Merges user overrides into defaults one level deep (engine geometry included). */
export function withDefaults<T extends CommonParams>(defaults: T, overrides: Partial<T> = {}): T {
  return { ...defaults, ...overrides, engine: { ...defaults.engine, ...(overrides.engine ?? {}) } };
}

/**
 * One generator parameter, declared once (src/workload/scenarios/schema.ts lists them
 * all): its type, the values it takes and what it means. Defaults come from each
 * generator's defaults object, so `run --describe SCENARIO` shows the real ones.
 */
export type ParamSpec = { meaning: string; /** The `run` option that sets it, when not `--set`. */ option?: string } & (
  | { type: 'integer'; min: number; max: number; /** Values must be a multiple of this. */ multipleOf?: number; powerOfTwo?: boolean }
  | { type: 'number'; min: number; max: number }
  | { type: 'enum'; values: readonly string[] }
  | { type: 'boolean' }
  | { type: 'object'; fields: Record<string, ParamSpec> }
  /** Set only through its own options (the engine geometry). */
  | { type: 'options' }
);

/** A generator parameter out of its declared range or unknown; `param` is its name (dotted for a field). */
export class ParamError extends Error {
  constructor(readonly param: string, message: string) {
    super(message);
    this.name = 'ParamError';
  }
}

/** 2097152 -> "2M" (what `--set` accepts), 2^40 -> "2^40", others as they are. */
function shown(n: number): string {
  if (n >= 2 ** 20 && Number.isInteger(Math.log2(n)) && n > 2 ** 34) return `2^${Math.log2(n)}`;
  for (const [suffix, size] of [['G', 2 ** 30], ['M', 2 ** 20], ['K', 2 ** 10]] as const) {
    if (n >= size && n % size === 0 && n > 4096) return `${n / size}${suffix}`;
  }
  return String(n);
}

/** What values `spec` takes, for messages and `run --describe`. */
export function describeRange(spec: ParamSpec): string {
  switch (spec.type) {
    case 'integer': {
      const what = spec.powerOfTwo ? 'a power of two' : 'a whole number';
      return `${what} from ${shown(spec.min)} to ${shown(spec.max)}${spec.multipleOf ? `, a multiple of ${shown(spec.multipleOf)}` : ''}`;
    }
    case 'number': return `a number from ${spec.min} to ${spec.max}`;
    case 'enum': return `one of ${spec.values.join(', ')}`;
    case 'boolean': return 'true or false';
    case 'object': return `fields ${Object.keys(spec.fields).join(', ')}`;
    case 'options': return 'set by its own options';
  }
}

/** Checks `value` against `spec`; returns the value or throws a ParamError naming `param`. */
export function checkParam(param: string, spec: ParamSpec, value: unknown): unknown {
  const fail = (): never => {
    throw new ParamError(param, `${param} must be ${describeRange(spec)}, got ${JSON.stringify(value) ?? String(value)}`);
  };
  switch (spec.type) {
    case 'integer': {
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < spec.min || value > spec.max) fail();
      const n = value as number;
      if (spec.multipleOf && n % spec.multipleOf !== 0) fail();
      if (spec.powerOfTwo && (n < 1 || 2 ** Math.round(Math.log2(n)) !== n)) fail();
      return n;
    }
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value) || value < spec.min || value > spec.max) fail();
      return value;
    case 'enum':
      if (typeof value !== 'string' || !spec.values.includes(value)) fail();
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') fail();
      return value;
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) fail();
      for (const [key, field] of Object.entries(value as Record<string, unknown>)) {
        const fieldSpec = spec.fields[key];
        if (!fieldSpec) throw new ParamError(`${param}.${key}`, `${param} has no field ${key} (fields: ${Object.keys(spec.fields).join(', ')})`);
        checkParam(`${param}.${key}`, fieldSpec, field);
      }
      return value;
    }
    case 'options':
      if (typeof value !== 'object' || value === null) fail();
      return value;
  }
}

/** The parameters every generator takes. */
export const COMMON_PARAMS: Record<keyof CommonParams, ParamSpec> = {
  // The RNG takes the seed's low 32 bits (Rng: seed >>> 0), 0 included; larger seeds would alias smaller ones.
  seed: { type: 'integer', min: 0, max: 2 ** 32 - 1, meaning: 'random seed (32 bits; 0 is a seed like any other)', option: '--seed' },
  steps: { type: 'integer', min: 1, max: 2 ** 40, meaning: 'units of work to generate (packets, I/Os, jobs, bursts; DMAs for dma-stream)', option: '--steps' },
  pageSize: { type: 'enum', values: ['4K', '2M'], meaning: 'page size backing the data buffers', option: '--page-size' },
  nested: { type: 'boolean', meaning: 'put the device domain inside a guest: x86-64 stage 1 over vtd-ss stage 2', option: '--nested' },
  stage2PageSize: { type: 'enum', values: ['4K', '2M'], meaning: 'page size of guest RAM in stage 2 (nested only)', option: '--stage2-page-size' },
  unmapInvalidation: { type: 'enum', values: ['leaf', 'all-levels'], meaning: 'after unmap: leaf-only invalidation (walk caches kept) or all levels', option: '--unmap-invalidation' },
  requestBytes: { type: 'integer', min: 1, max: 4096, powerOfTwo: true, meaning: 'bytes a device covers with one translation request', option: '--request-bytes' },
  engine: { type: 'options', meaning: 'IOTLB, walk-cache and nested-cache geometry, walkers', option: '--iotlb, --walk-cache, --nested-cache, --walkers' },
};
