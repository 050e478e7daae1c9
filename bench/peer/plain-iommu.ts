// The "plain TypeScript peer" the benchmarks run next to the Wasm engine: what a
// competent, straightforward TS implementation looks like. A Map IOTLB in front
// of the oracle walker; no tricks in either direction.

import { Access, FaultReason, type PhysMemory, type SpaceDescriptor, type Translation } from '../../src/engine/types.js';
import { walkSpace } from '../../src/oracle/walk.js';
import { MapIotlb, type CachedTranslation } from './map-iotlb.js';

export interface PlainIommuOptions {
  mem: PhysMemory;
  paBits: number;
  /** IOTLB capacity in entries; 0 turns the IOTLB off. */
  iotlbEntries: number;
}

export interface PlainIommuStats {
  lookups: number;
  hits: number;
  walks: number;
  faults: number;
}

export class PlainIommu {
  readonly stats: PlainIommuStats = { lookups: 0, hits: 0, walks: 0, faults: 0 };
  private readonly mem: PhysMemory;
  private readonly paBits: number;
  private readonly iotlb: MapIotlb | undefined;

  constructor(options: PlainIommuOptions) {
    this.mem = options.mem;
    this.paBits = options.paBits;
    this.iotlb = options.iotlbEntries > 0 ? new MapIotlb(options.iotlbEntries) : undefined;
  }

  translate(space: SpaceDescriptor, spaceId: number, iova: bigint, access: number): Translation {
    if (this.iotlb !== undefined) {
      this.stats.lookups++;
      const cached = this.iotlb.lookup(spaceId, iova);
      if (cached !== undefined && servesAccess(cached, access)) {
        this.stats.hits++;
        return fromCache(cached, iova);
      }
    }

    this.stats.walks++;
    const report = walkSpace(this.mem, this.paBits, space, iova, access);
    if (report.translation.fault !== FaultReason.NONE) this.stats.faults++;
    else this.iotlb?.fill(spaceId, iova, report.translation, report.writeCacheable);
    return report.translation;
  }

  invalidateRange(spaceId: number, iova: bigint, bytes: bigint): void {
    this.iotlb?.invalidateRange(spaceId, iova, bytes);
  }

  invalidateSpace(spaceId: number): void {
    this.iotlb?.invalidateSpace(spaceId);
  }

  invalidateAll(): void {
    this.iotlb?.clear();
  }
}

/**
 * A hit answers only accesses it allows; anything else walks, so a fault is
 * reported with the walk's exact stage, level and address (faults are not cached),
 * and a first write to a clean page walks to set D.
 */
function servesAccess(cached: CachedTranslation, access: number): boolean {
  if ((access & ~cached.perms) !== 0) return false;
  return (access & Access.WRITE) === 0 || cached.writeCacheable;
}

function fromCache(cached: CachedTranslation, iova: bigint): Translation {
  const offset = iova & ((1n << BigInt(cached.pageShift)) - 1n);
  return {
    fault: FaultReason.NONE,
    stage: 0,
    level: cached.level,
    addr: cached.paBase | offset,
    perms: cached.perms,
    pageShift: cached.pageShift,
  };
}
