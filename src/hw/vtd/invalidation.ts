// What each cache-invalidation descriptor drops, mapped onto the engine's primitives
// (range / space / group) through the registry's indexes; nothing scans a cache.
//
// - IOTLB page-selective within a domain drops the second-stage entries of the DID in
//   the range and *every* first-stage and nested entry of the DID (VT-d 6.5.2.4, as
//   iommu-hw-formats.md §2.7 records): a second-stage change may move the tables the
//   first stage reads, which a ranged drop of combined entries would not cover.
// - P_IOTLB all-in-PASID drops everything of DID+PASID, first and second stage;
//   page-selective drops only first-stage and nested entries of DID+PASID in range.
import type { Engine } from '../../engine/engine.js';
import type { ContextCache, PasidCache } from './context-cache.js';
import type { Descriptor } from './descriptors.js';
import type { VtdSpaces } from './spaces.js';

const PAGE = 4096n;

export function rangeBytes(am: number): bigint {
  return PAGE << BigInt(am);
}

/** The source-ids a device-selective context invalidation covers: FM drops function bits from the top. */
export function maskedSourceIds(sid: number, functionMask: number): number[] {
  const ignored = [0b000, 0b100, 0b110, 0b111][functionMask];
  const base = sid & ~ignored;
  const out: number[] = [];
  for (let bits = 0; bits <= ignored; bits++) if ((bits & ~ignored) === 0) out.push(base | bits);
  return out;
}

export class Invalidator {
  constructor(
    private readonly engine: Engine,
    private readonly spaces: VtdSpaces,
    private readonly contexts: ContextCache<unknown>,
    private readonly pasids: PasidCache<unknown>,
  ) {}

  /** Applies a cache-invalidation descriptor; returns false for the kinds it does not own (wait, responses). */
  apply(d: Descriptor): boolean {
    switch (d.type) {
      case 'context-cache':
        if (d.granularity === 'global') this.contexts.invalidateGlobal();
        else if (d.granularity === 'domain') this.contexts.invalidateDomain(d.did);
        else for (const sid of maskedSourceIds(d.sid, d.functionMask)) this.contexts.invalidateDevice(sid);
        return true;
      case 'pasid-cache':
        if (d.granularity === 'global') this.pasids.invalidateGlobal();
        else if (d.granularity === 'domain') this.pasids.invalidateDomain(d.did);
        else this.pasids.invalidatePasid(d.did, d.pasid);
        return true;
      case 'iotlb':
        if (d.granularity === 'global') this.allDomains();
        else if (d.granularity === 'domain') this.domain(d.did);
        else this.domainPages(d.did, d.addr, rangeBytes(d.am), d.ih);
        return true;
      case 'p-iotlb':
        if (d.granularity === 'pasid') this.pasid(d.did, d.pasid);
        else this.pasidPages(d.did, d.pasid, d.addr, rangeBytes(d.am), d.ih);
        return true;
      // No device TLB and no interrupt remapping are modelled: accepted, nothing cached to drop.
      case 'device-tlb':
      case 'pasid-device-tlb':
      case 'interrupt-entry-cache':
        return true;
      default:
        return false;
    }
  }

  allDomains(): void {
    for (const did of this.spaces.domains()) this.engine.invalidateGroup(did);
  }

  domain(did: number): void {
    this.engine.invalidateGroup(did);
  }

  domainPages(did: number, addr: bigint, bytes: bigint, leafOnly: boolean): void {
    for (const space of this.spaces.spacesOfDomain(did)) {
      if (space.kind === 'second-stage' || space.kind === 'parent') this.engine.invalidateRange(space.id, addr, bytes, leafOnly);
      else this.engine.invalidateSpace(space.id);
    }
  }

  pasid(did: number, pasid: number): void {
    for (const space of this.spaces.spacesOfTag(did, pasid)) this.engine.invalidateSpace(space.id);
  }

  pasidPages(did: number, pasid: number, addr: bigint, bytes: bigint, leafOnly: boolean): void {
    for (const space of this.spaces.spacesOfTag(did, pasid)) {
      if (space.kind === 'first-stage' || space.kind === 'nested') this.engine.invalidateRange(space.id, addr, bytes, leafOnly);
    }
  }
}
