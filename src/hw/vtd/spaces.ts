// Engine spaces for the translation contexts the unit has seen. A space stands for
// one (DID, PASID, PGTT, tables) tuple, as the IOTLB tags its entries; its engine
// group is the DID, so a domain-selective invalidation is one group invalidation.
// The indexes by domain and by (domain, PASID) let every descriptor reach exactly
// the spaces it names without looking at anything else.
import type { Engine } from '../../engine/engine.js';

export type SpaceKind = 'first-stage' | 'second-stage' | 'nested' | 'parent';

export interface SpaceRecord {
  id: number;
  kind: SpaceKind;
  did: number;
  /** The PASID whose requests the space serves; undefined for legacy mode and for nest parents. */
  pasid: number | undefined;
  /** The second-stage space a nested space walks through. */
  parent?: number;
}

export interface SpaceRegistryOptions {
  staleCheck: boolean;
  /** Called after every space was destroyed to make room: cached structures naming them must go. */
  onReclaim: () => void;
}

export class SpaceRegistry {
  private readonly byKey = new Map<string, SpaceRecord>();
  private readonly byId = new Map<number, SpaceRecord>();
  private readonly byDomain = new Map<number, Set<SpaceRecord>>();
  private readonly byPasid = new Map<string, Set<SpaceRecord>>();
  reclaims = 0;

  constructor(private readonly engine: Engine, private readonly options: SpaceRegistryOptions) {}

  /** First-stage only (PGTT 001): x86-64 tables at an HPA; hardware always maintains A/D. */
  firstStage(did: number, pasid: number, root: bigint, levels: number): number {
    return this.obtain(`fs:${did}:${pasid}:${root}:${levels}`, 'first-stage', did, pasid,
      () => ({ format: 'x86-64', levels, root, group: did, ad: true }));
  }

  /** Second stage only (PGTT 010, or a legacy TT 00 context when `pasid` is undefined). */
  secondStage(did: number, pasid: number | undefined, root: bigint, levels: number, ad: boolean): number {
    return this.obtain(`ss:${did}:${pasid ?? 'rid'}:${root}:${levels}:${ad}`, 'second-stage', did, pasid,
      () => ({ format: 'vtd-ss', levels, root, group: did, ad }));
  }

  /** Nested (PGTT 011): an x86-64 space over the domain's second stage, shared by its PASIDs. */
  nested(did: number, pasid: number, fsRoot: bigint, fsLevels: number, ssRoot: bigint, ssLevels: number, ssAd: boolean): number {
    const parent = this.obtain(`parent:${did}:${ssRoot}:${ssLevels}:${ssAd}`, 'parent', did, undefined,
      () => ({ format: 'vtd-ss', levels: ssLevels, root: ssRoot, group: did, ad: ssAd }));
    return this.obtain(`nested:${did}:${pasid}:${fsRoot}:${fsLevels}:${parent}`, 'nested', did, pasid,
      () => ({ format: 'x86-64', levels: fsLevels, root: fsRoot, group: did, ad: true, parent }), parent);
  }

  parentOf(nested: number): number {
    return this.byId.get(nested)?.parent ?? -1;
  }

  spacesOfDomain(did: number): ReadonlySet<SpaceRecord> {
    return this.byDomain.get(did) ?? EMPTY;
  }

  spacesOfPasid(did: number, pasid: number): ReadonlySet<SpaceRecord> {
    return this.byPasid.get(`${did}:${pasid}`) ?? EMPTY;
  }

  domains(): Iterable<number> {
    return this.byDomain.keys();
  }

  get size(): number {
    return this.byKey.size;
  }

  /** Destroys every space (nested ones before their parents). Dropping cached translations is always allowed. */
  reclaimAll(): void {
    const records = [...this.byKey.values()];
    for (const r of records) if (r.kind === 'nested') this.engine.destroySpace(r.id);
    for (const r of records) if (r.kind !== 'nested') this.engine.destroySpace(r.id);
    this.byKey.clear();
    this.byId.clear();
    this.byDomain.clear();
    this.byPasid.clear();
    this.reclaims++;
    this.options.onReclaim();
  }

  private obtain(key: string, kind: SpaceKind, did: number, pasid: number | undefined,
    shape: () => Parameters<Engine['createSpace']>[0], parent?: number): number {
    const known = this.byKey.get(key);
    if (known) return known.id;
    const record: SpaceRecord = { id: this.create(shape), kind, did, pasid, parent };
    this.byKey.set(key, record);
    this.byId.set(record.id, record);
    addTo(this.byDomain, did, record);
    if (pasid !== undefined) addTo(this.byPasid, `${did}:${pasid}`, record);
    return record.id;
  }

  private create(shape: () => Parameters<Engine['createSpace']>[0]): number {
    const options = { ...shape(), staleCheck: this.options.staleCheck };
    try {
      return this.engine.createSpace(options);
    } catch (error) {
      // Out of space slots: start over. A parent id in `options` would be stale, so the
      // caller's whole lookup is retried by the unit rather than here.
      if (this.byKey.size === 0) throw error;
      this.reclaimAll();
      throw new SpacesReclaimed();
    }
  }
}

/** Thrown when the registry had to destroy every space; the lookup must be redone. */
export class SpacesReclaimed extends Error {
  constructor() { super('VT-d spaces were reclaimed; retry the lookup'); }
}

const EMPTY: ReadonlySet<SpaceRecord> = new Set();

function addTo<K>(map: Map<K, Set<SpaceRecord>>, key: K, record: SpaceRecord): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(record);
}
