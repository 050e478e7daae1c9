// Engine spaces for the translation contexts the unit has seen (the registry itself is
// src/hw/common's). A space stands for one (DID, PASID, PGTT, tables) tuple, as the
// IOTLB tags its entries; its domain is the DID and its tag the PASID, so a
// domain-selective invalidation is one group invalidation and a PASID-selective one
// reaches exactly that PASID's spaces.
import { SpaceRegistry } from '../common/space-registry.js';

export { SpacesReclaimed } from '../common/space-registry.js';

export type SpaceKind = 'first-stage' | 'second-stage' | 'nested' | 'parent';

export class VtdSpaces extends SpaceRegistry<SpaceKind> {
  /** First-stage only (PGTT 001): x86-64 tables at an HPA; hardware always maintains A/D. */
  firstStage(did: number, pasid: number, root: bigint, levels: number): number {
    return this.obtain(`fs:${did}:${pasid}:${root}:${levels}`, 'first-stage', did, pasid,
      () => ({ format: 'x86-64', levels, root, ad: true }));
  }

  /** Second stage only (PGTT 010, or a legacy TT 00 context when `pasid` is undefined). */
  secondStage(did: number, pasid: number | undefined, root: bigint, levels: number, ad: boolean): number {
    return this.obtain(`ss:${did}:${pasid ?? 'rid'}:${root}:${levels}:${ad}`, 'second-stage', did, pasid,
      () => ({ format: 'vtd-ss', levels, root, ad }));
  }

  /** Nested (PGTT 011): an x86-64 space over the domain's second stage, shared by its PASIDs. */
  nested(did: number, pasid: number, fsRoot: bigint, fsLevels: number, ssRoot: bigint, ssLevels: number, ssAd: boolean): number {
    const parent = this.obtain(`parent:${did}:${ssRoot}:${ssLevels}:${ssAd}`, 'parent', did, undefined,
      () => ({ format: 'vtd-ss', levels: ssLevels, root: ssRoot, ad: ssAd }));
    return this.obtain(`nested:${did}:${pasid}:${fsRoot}:${fsLevels}:${parent}`, 'nested', did, pasid,
      () => ({ format: 'x86-64', levels: fsLevels, root: fsRoot, ad: true, parent }), parent);
  }
}
