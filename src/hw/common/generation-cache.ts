// A cache whose invalidation never scans. Every entry remembers the generations it was
// filled under (a global one and one per key it names: a domain, a device, a PASID)
// and is valid only while they are all still current, so an invalidation of any
// selectivity bumps one counter. Hardware models use it for their configuration caches
// (VT-d context and PASID caches; SMMU STE/CD caches and AMD DTE caches alike).

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

interface Cached<V> {
  keys: string[];
  stamp: number[];
  value: V;
}

/** Values by one lookup key, invalidated through the generation keys each entry names. */
export class GenerationCache<V> {
  private readonly entries = new Map<string, Cached<V>>();
  readonly generations = new Generations();
  hits = 0;
  misses = 0;

  get(lookup: string): V | undefined {
    const entry = this.entries.get(lookup);
    if (entry && this.generations.current(entry.keys, entry.stamp)) {
      this.hits++;
      return entry.value;
    }
    if (entry) this.entries.delete(lookup);
    this.misses++;
    return undefined;
  }

  put(lookup: string, keys: string[], value: V): void {
    this.entries.set(lookup, { keys, stamp: this.generations.stamp(keys), value });
  }

  /** Drops everything (used when what entries point at is reclaimed). */
  clear(): void {
    this.entries.clear();
    this.generations.bumpAll();
  }
}
