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
