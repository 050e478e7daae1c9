// The context-cache and PASID-cache. Hardware may keep using a cached context or
// PASID entry until software invalidates it with the matching descriptor; so do we.
// Invalidation never scans: every entry remembers the generations it was filled
// under (global, per domain, per source-id / per PASID) and is valid only while they
// are all still current, so a descriptor bumps one or a few counters.
import type { Decoded } from './structures.js';

class Generations {
  private global = 0;
  private readonly keyed = new Map<string, number>();
  bumpAll(): void { this.global++; }
  bump(key: string): void { this.keyed.set(key, (this.keyed.get(key) ?? 0) + 1); }
  stamp(keys: readonly string[]): number[] {
    return [this.global, ...keys.map((k) => this.keyed.get(k) ?? 0)];
  }
  current(keys: readonly string[], stamp: readonly number[]): boolean {
    if (stamp[0] !== this.global) return false;
    for (let i = 0; i < keys.length; i++) if ((this.keyed.get(keys[i]) ?? 0) !== stamp[i + 1]) return false;
    return true;
  }
}

interface Cached<T> {
  keys: string[];
  stamp: number[];
  value: Decoded<T>;
}

/** Cache keyed by one lookup key, invalidated through the generation keys each entry names. */
class GenerationCache<T> {
  private readonly entries = new Map<string, Cached<T>>();
  readonly generations = new Generations();
  hits = 0;
  misses = 0;

  get(lookup: string): Decoded<T> | undefined {
    const entry = this.entries.get(lookup);
    if (entry && this.generations.current(entry.keys, entry.stamp)) {
      this.hits++;
      return entry.value;
    }
    if (entry) this.entries.delete(lookup);
    this.misses++;
    return undefined;
  }

  put(lookup: string, keys: string[], value: Decoded<T>): void {
    this.entries.set(lookup, { keys, stamp: this.generations.stamp(keys), value });
  }

  /** Drops everything (used when the spaces entries point at are reclaimed). */
  clear(): void {
    this.entries.clear();
    this.generations.bumpAll();
  }
}

/** Context-cache: keyed by source-id; tagged by source-id and, in legacy mode, domain. */
export class ContextCache<T> {
  private readonly cache = new GenerationCache<T>();

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
  private readonly cache = new GenerationCache<T>();

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
