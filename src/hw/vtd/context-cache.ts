// The context-cache and PASID-cache. Hardware may keep using a cached context or
// PASID entry until software invalidates it with the matching descriptor; so do we.
// Both are generation caches (src/hw/common): entries are tagged by source-id, domain
// and PASID, so a descriptor of any granularity bumps one or a few counters.
import { GenerationCache } from '../common/generation-cache.js';
import type { Decoded } from './structures.js';

/** Context-cache: keyed by source-id; tagged by source-id and, in legacy mode, domain. */
export class ContextCache<T> {
  private readonly cache = new GenerationCache<Decoded<T>>();

  lookup(sid: number): Decoded<T> | undefined { return this.cache.get(String(sid)); }

  /** `did` is undefined for scalable-mode entries and faults (they carry no domain). */
  fill(sid: number, did: number | undefined, value: Decoded<T>): void {
    const keys = [`sid:${sid}`];
    if (did !== undefined) keys.push(`did:${did}`);
    this.cache.put(String(sid), keys, value);
  }

  invalidateGlobal(): void { this.cache.generations.bumpAll(); }
  /** Domain-selective: only legacy entries carry a DID, so scalable entries survive it. */
  invalidateDomain(did: number): void { this.cache.generations.bump(`did:${did}`); }
  invalidateDevice(sid: number): void { this.cache.generations.bump(`sid:${sid}`); }
  clear(): void { this.cache.clear(); }
  get stats() { return { hits: this.cache.hits, misses: this.cache.misses }; }
}

/** PASID-cache: keyed by (source-id, PASID); tagged by the entry's DID and PASID. */
export class PasidCache<T> {
  private readonly cache = new GenerationCache<Decoded<T>>();

  lookup(sid: number, pasid: number): Decoded<T> | undefined { return this.cache.get(`${sid}:${pasid}`); }

  /** `did` is undefined when the entry could not be decoded (a cached not-present entry). */
  fill(sid: number, pasid: number, did: number | undefined, value: Decoded<T>): void {
    const keys = did === undefined ? [`nodid:pasid:${pasid}`] : [`did:${did}`, `did:${did}:pasid:${pasid}`];
    this.cache.put(`${sid}:${pasid}`, keys, value);
  }

  invalidateGlobal(): void { this.cache.generations.bumpAll(); }
  invalidateDomain(did: number): void { this.cache.generations.bump(`did:${did}`); }
  /** PASID-selective within a domain; also drops cached not-present entries of that PASID (they carry no DID). */
  invalidatePasid(did: number, pasid: number): void {
    this.cache.generations.bump(`did:${did}:pasid:${pasid}`);
    this.cache.generations.bump(`nodid:pasid:${pasid}`);
  }
  clear(): void { this.cache.clear(); }
  get stats() { return { hits: this.cache.hits, misses: this.cache.misses }; }
}
