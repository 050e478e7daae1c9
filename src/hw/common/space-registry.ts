// Engine spaces for the translation contexts a unit has seen. A model names each
// context by a key (VT-d: DID, PASID, PGTT and table roots; SMMU: VMID, ASID and
// TTBs; AMD: DomainID, PASID and roots) and tags it with a domain, which is the
// space's engine group, so a domain-selective invalidation is one group
// invalidation, and an optional sub-tag (a PASID or ASID). The indexes by domain and
// by (domain, tag) let every invalidation command reach exactly the spaces it names
// without looking at anything else.
import type { Engine, SpaceOptions } from '../../engine/engine.js';

export interface RegisteredSpace<Kind extends string> {
  readonly id: number;
  readonly kind: Kind;
  /** The domain (engine group) the space is tagged with. */
  readonly domain: number;
  /** The sub-tag within the domain (PASID, ASID); undefined for untagged contexts and nest parents. */
  readonly tag: number | undefined;
  /** The stage-2 space a nested space walks through. */
  readonly parent?: number;
}

export interface SpaceRegistryOptions {
  staleCheck: boolean;
  /** Called after every space was destroyed to make room: cached structures naming them must go. */
  onReclaim: () => void;
}

/** Thrown when the registry had to destroy every space; the lookup must be redone. */
export class SpacesReclaimed extends Error {
  constructor() { super('engine spaces were reclaimed; retry the lookup'); }
}

export class SpaceRegistry<Kind extends string> {
  private readonly byKey = new Map<string, RegisteredSpace<Kind>>();
  private readonly byId = new Map<number, RegisteredSpace<Kind>>();
  private readonly byDomain = new Map<number, Set<RegisteredSpace<Kind>>>();
  private readonly byTag = new Map<string, Set<RegisteredSpace<Kind>>>();
  reclaims = 0;

  constructor(protected readonly engine: Engine, private readonly options: SpaceRegistryOptions) {}

  /**
   * The space registered under `key`, created from `shape` (its group is set to
   * `domain`) the first time. When the engine is out of space slots every space is
   * destroyed and SpacesReclaimed thrown: ids the caller holds (a parent) are stale.
   */
  protected obtain(key: string, kind: Kind, domain: number, tag: number | undefined, shape: () => SpaceOptions, parent?: number): number {
    const known = this.byKey.get(key);
    if (known) return known.id;
    const record: RegisteredSpace<Kind> = { id: this.create(shape, domain), kind, domain, tag, parent };
    this.byKey.set(key, record);
    this.byId.set(record.id, record);
    addTo(this.byDomain, domain, record);
    if (tag !== undefined) addTo(this.byTag, `${domain}:${tag}`, record);
    return record.id;
  }

  parentOf(space: number): number {
    return this.byId.get(space)?.parent ?? -1;
  }

  spacesOfDomain(domain: number): ReadonlySet<RegisteredSpace<Kind>> {
    return this.byDomain.get(domain) ?? EMPTY;
  }

  spacesOfTag(domain: number, tag: number): ReadonlySet<RegisteredSpace<Kind>> {
    return this.byTag.get(`${domain}:${tag}`) ?? EMPTY;
  }

  domains(): Iterable<number> {
    return this.byDomain.keys();
  }

  get size(): number {
    return this.byKey.size;
  }

  /** Destroys every space, nested ones before their parents. Dropping cached translations is always allowed. */
  reclaimAll(): void {
    const records = [...this.byKey.values()];
    for (const r of records) if (r.parent !== undefined) this.engine.destroySpace(r.id);
    for (const r of records) if (r.parent === undefined) this.engine.destroySpace(r.id);
    this.byKey.clear();
    this.byId.clear();
    this.byDomain.clear();
    this.byTag.clear();
    this.reclaims++;
    this.options.onReclaim();
  }

  private create(shape: () => SpaceOptions, domain: number): number {
    const options = { ...shape(), group: domain, staleCheck: this.options.staleCheck };
    try {
      return this.engine.createSpace(options);
    } catch (error) {
      // Out of space slots: start over. A parent id in `options` would be stale, so the
      // caller's whole lookup is retried by the model rather than here.
      if (this.byKey.size === 0) throw error;
      this.reclaimAll();
      throw new SpacesReclaimed();
    }
  }
}

const EMPTY: ReadonlySet<never> = new Set();

function addTo<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(value);
}
