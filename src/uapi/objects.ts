// The per-open-file object table. IDs are the lowest free integer from 1 (0 is never
// an object), so a freed ID is handed out again, exactly as the kernel's xarray with
// ALLOC1 does; tests depend on that numbering. Every object counts its `users`: one for
// the table itself plus one per object or fd depending on it. DESTROY refuses while
// anything else holds it, and closing the file destroys leaf-first.
import type { AllocGuard } from '../iommu/alloc-guard.js';
import { EBUSY, ENOENT, ENOMEM, ENOSPC } from '../iommu/errno.js';
import { fail, ok, type Result } from '../iommu/result.js';

export const ObjectType = {
  IOAS: 'ioas',
  HWPT_PAGING: 'hwpt_paging',
  HWPT_NESTED: 'hwpt_nested',
  DEVICE: 'device',
  ACCESS: 'access',
  FAULT: 'fault',
  VIOMMU: 'viommu',
  VDEVICE: 'vdevice',
  VEVENTQ: 'veventq',
  HW_QUEUE: 'hw_queue',
  SELFTEST: 'selftest',
  /** An ID kept occupied after its object was force-destroyed (a vDEVICE whose device went away). */
  TOMBSTONE: 'tombstone',
} as const;
export type ObjectTypeName = (typeof ObjectType)[keyof typeof ObjectType];

/** xa_limit_31b: IDs run from 1 to 2^31 - 1. */
export const MAX_OBJECT_ID = 0x7fff_ffff;

export abstract class IommufdObject {
  abstract readonly type: ObjectTypeName;
  /** Assigned by the table; 0 until inserted. */
  id = 0;
  /** The table's own reference plus one per holder. */
  users = 1;
  /** Objects this one keeps alive; released when it is destroyed. */
  readonly holds: IommufdObject[] = [];
  /** Users that are not objects: open fds (a fault queue's fd holds its object). */
  fdUsers = 0;
  /** Set once the object has left its table (a holder elsewhere may still name it). */
  freed = false;

  /** Frees what the object owns. Runs once, when it leaves the table. */
  onDestroy(): void {}
}

export class ObjectTable {
  private readonly byId = new Map<number, IommufdObject>();
  /** Freed IDs below nextId, ascending. */
  private readonly freeIds: number[] = [];
  private nextId = 1;

  /** `onRemove` runs after an object leaves the table (the file drops cached pointers). */
  constructor(
    private readonly onRemove: (obj: IommufdObject) => void = () => {},
    private readonly guard?: AllocGuard,
  ) {}

  /** Inserts and returns the new ID, or ENOSPC when all 2^31 - 1 IDs are taken (ENOMEM when injected). */
  add(obj: IommufdObject): Result<number> {
    if (this.guard && !this.guard.allow('object-id')) return fail(ENOMEM);
    let id: number;
    if (this.freeIds.length > 0) {
      id = this.freeIds.shift()!;
    } else {
      if (this.nextId > MAX_OBJECT_ID) return fail(ENOSPC);
      id = this.nextId++;
    }
    obj.id = id;
    this.byId.set(id, obj);
    return ok(id);
  }

  /** Typed lookup: a missing ID and an ID of another type are the same failure (ENOENT). */
  get<T extends IommufdObject>(id: number, type: ObjectTypeName): T | undefined {
    const obj = this.byId.get(id);
    return obj && obj.type === type && type !== ObjectType.TOMBSTONE ? (obj as T) : undefined;
  }

  getAny(id: number): IommufdObject | undefined {
    const obj = this.byId.get(id);
    return obj && obj.type !== ObjectType.TOMBSTONE ? obj : undefined;
  }

  /** `holder` (an object, or an fd) keeps `target` alive until release. */
  hold(holder: IommufdObject | null, target: IommufdObject): void {
    target.users++;
    if (holder) holder.holds.push(target);
    else target.fdUsers++;
  }

  release(holder: IommufdObject | null, target: IommufdObject): void {
    if (holder) {
      const i = holder.holds.indexOf(target);
      if (i < 0) throw new Error(`object ${holder.id} does not hold ${target.id}`);
      holder.holds.splice(i, 1);
      // A close that broke a cycle already freed the target: the reference went with it.
      if (target.freed) return;
    } else {
      if (target.fdUsers === 0) throw new Error(`object ${target.id} has no fd user to release`);
      target.fdUsers--;
    }
    if (target.users <= 1) throw new Error(`object ${target.id} released more often than held`);
    target.users--;
  }

  /** IOMMU_DESTROY: 0, -ENOENT, or -EBUSY while anything else holds the object. */
  destroy(id: number): number {
    const obj = this.getAny(id);
    if (!obj) return -ENOENT;
    if (obj.users > 1) return -EBUSY;
    this.remove(obj);
    return 0;
  }

  /**
   * File close: destroy leaf-first until empty. Never throws. When no object is a leaf
   * (a reference cycle, or a hold from outside this table, which no ioctl should create;
   * the kernel WARNs and leaks there), one object is freed by force to make progress,
   * chosen deterministically by `breakDeadlock`.
   */
  destroyAll(): void {
    this.dropTombstones();
    while (this.byId.size > 0) {
      const leaves = [...this.byId.values()].filter((o) => o.users === 1);
      if (leaves.length === 0) {
        this.breakDeadlock();
      } else {
        // Destroying one object may take others with it (a device takes its vDEVICE).
        for (const leaf of leaves) if (this.byId.get(leaf.id) === leaf) this.remove(leaf);
      }
      this.dropTombstones();
    }
    this.freeIds.length = 0;
    this.nextId = 1;
  }

  /**
   * Frees one object that is not a leaf: the lowest-ID object that no object of this
   * table holds (only something outside keeps it: a hold from another file, an fd),
   * otherwise the lowest-ID object (a cycle, cut there). Holders in this table lose
   * their reference to it; a holder elsewhere finds it `freed` when it lets go.
   */
  private breakDeadlock(): void {
    const live = [...this.byId.values()].sort((a, b) => a.id - b.id);
    const heldHere = new Set(live.flatMap((o) => o.holds));
    const victim = live.find((o) => !heldHere.has(o)) ?? live[0];
    for (const o of live) {
      for (let i = o.holds.indexOf(victim); i >= 0; i = o.holds.indexOf(victim)) o.holds.splice(i, 1);
    }
    victim.users = 1;
    victim.fdUsers = 0;
    this.remove(victim);
  }

  private dropTombstones(): void {
    for (const [id, obj] of [...this.byId]) if (obj.type === ObjectType.TOMBSTONE) this.byId.delete(id);
  }

  /**
   * Removes `obj` although `holder` (an object, or null for the kernel itself) still
   * holds it: the holder's reference goes with it. Other holders must be gone already.
   * With `tombstone`, the ID stays taken until the file is closed.
   */
  forceDestroy(obj: IommufdObject, holder: IommufdObject | null, tombstone = false): void {
    if (this.byId.get(obj.id) !== obj) return;
    if (holder) {
      const i = holder.holds.indexOf(obj);
      if (i >= 0) {
        holder.holds.splice(i, 1);
        obj.users--;
      }
    }
    obj.users = 1;
    obj.fdUsers = 0;
    const id = obj.id;
    this.remove(obj);
    if (tombstone) {
      this.takeId(id);
      this.byId.set(id, new Tombstone(id));
    }
  }

  /** Live objects (tombstones are not objects). */
  get size(): number {
    let n = 0;
    for (const o of this.byId.values()) if (o.type !== ObjectType.TOMBSTONE) n++;
    return n;
  }

  *values(): IterableIterator<IommufdObject> {
    for (const o of [...this.byId.values()]) if (o.type !== ObjectType.TOMBSTONE) yield o;
  }

  /** IDs held by tombstones (invariant checks and snapshots). */
  tombstoneIds(): number[] {
    return [...this.byId.values()].filter((o) => o.type === ObjectType.TOMBSTONE).map((o) => o.id);
  }

  private takeId(id: number): void {
    const i = this.freeIds.indexOf(id);
    if (i >= 0) this.freeIds.splice(i, 1);
    else if (id >= this.nextId) {
      for (let free = this.nextId; free < id; free++) this.freeIds.push(free);
      this.nextId = id + 1;
    }
  }

  private remove(obj: IommufdObject): void {
    this.byId.delete(obj.id);
    obj.freed = true;
    obj.onDestroy();
    for (const target of obj.holds.splice(0)) if (!target.freed) target.users--;
    this.freeId(obj.id);
    this.onRemove(obj);
  }

  private freeId(id: number): void {
    let lo = 0;
    let hi = this.freeIds.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.freeIds[mid] < id) lo = mid + 1;
      else hi = mid;
    }
    this.freeIds.splice(lo, 0, id);
    // Keep the free list short: trailing free IDs fold back into nextId.
    while (this.freeIds.length > 0 && this.freeIds[this.freeIds.length - 1] === this.nextId - 1) {
      this.freeIds.pop();
      this.nextId--;
    }
  }
}

class Tombstone extends IommufdObject {
  readonly type = ObjectType.TOMBSTONE;
  constructor(id: number) {
    super();
    this.id = id;
  }
}
