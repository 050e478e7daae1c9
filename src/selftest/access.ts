// The self-test's in-kernel access ("staccess", spec §5.1 ops 5-8 and 11): an ACCESS
// object on an IOAS, reachable only through the anonymous fd CREATE_ACCESS returns.
// The fd is the driver's reference: IOMMU_DESTROY of the object is EBUSY while it is
// open, and the iommufd stays alive until it is closed. Each ACCESS_PAGES pin is an
// item with an ID counted from 0 per access; an unmap of the IOVA under an item makes
// the access drop it, so a later DESTROY_ACCESS_PAGES of it is ENOENT.
import type { AnonFile } from '../uapi/anon-file.js';
import type { IommufdContext } from '../uapi/context.js';
import { EINVAL } from '../iommu/errno.js';
import type { AccessPin, IoasAccess } from '../uapi/ioas/access.js';
import type { IoasObject } from '../uapi/ioas/ioas-object.js';
import { rangesIntersect, type IovaRange } from '../uapi/ioas/iova-range.js';
import { IommufdObject, ObjectType } from '../uapi/objects.js';
import { fail, ok, type Result } from '../iommu/result.js';

interface AccessItem {
  readonly id: number;
  readonly pin: AccessPin;
}

export class AccessObject extends IommufdObject implements IoasAccess {
  readonly type = ObjectType.ACCESS;
  private items: AccessItem[] = [];
  private nextItemId = 0;

  constructor(
    /** The iommufd the access was created on: its IOAS IDs are the ones it can move to. */
    readonly ctx: IommufdContext,
    /** The IOAS the access reads and pins through; replaced by ACCESS_REPLACE_IOAS. */
    public ioas: IoasObject,
    /** MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES: only such an access may pin. */
    readonly needsPinPages: boolean,
  ) {
    super();
  }

  get iovaAlignment(): bigint {
    // Pinned pages are whole CPU pages, so a pinning access needs page-aligned IOVAs.
    return this.needsPinPages ? 4096n : 1n;
  }

  /** IDs of the live ACCESS_PAGES items, in creation order (tests and snapshots). */
  get itemIds(): number[] {
    return this.items.map((i) => i.id);
  }

  /** Records a pin the IOAS already took; returns its item ID. */
  addItem(pin: AccessPin): number {
    const id = this.nextItemId++;
    this.items.push({ id, pin });
    return id;
  }

  /** Drops the item's pin and the item: true if it existed. */
  destroyItem(id: number): boolean {
    const item = this.items.find((i) => i.id === id);
    if (!item) return false;
    this.dropItem(item);
    return true;
  }

  /** The unmap notification: every item intersecting `range` lets its pages go. */
  unmapNotify(range: IovaRange): void {
    for (const item of this.items.filter((i) => rangesIntersect(i.pin.range, range))) this.dropItem(item);
  }

  /**
   * Moves the access to `next`: the new IOAS must accept its alignment (kept on the old
   * one otherwise); every pin in the old one is dropped first, as on a full unmap.
   */
  replaceIoas(next: IoasObject): Result<void> {
    if (next === this.ioas) return ok(undefined);
    const added = next.iopt.addAccess(this);
    if (!added.ok) return added;
    this.unmapNotify({ start: 0n, last: (1n << 64n) - 1n });
    this.ioas.iopt.removeAccess(this);
    this.ctx.objects.release(this, this.ioas);
    this.ctx.objects.hold(this, next);
    this.ioas = next;
    return ok(undefined);
  }

  override onDestroy(): void {
    this.unmapNotify({ start: 0n, last: (1n << 64n) - 1n });
    this.ioas.iopt.removeAccess(this);
  }

  private dropItem(item: AccessItem): void {
    this.items.splice(this.items.indexOf(item), 1);
    this.ioas.iopt.unpinForAccess(item.pin);
  }
}

/** The "[iommufd_test_staccess]" fd: no read or write, closing it destroys the access. */
export class AccessFile implements AnonFile {
  readonly name = '[iommufd_test_staccess]';

  constructor(
    private readonly ctx: IommufdContext,
    readonly access: AccessObject,
  ) {
    ctx.objects.hold(null, access);
    ctx.get();
  }

  read(): Result<Uint8Array> {
    return fail(EINVAL);
  }

  write(): Result<number> {
    return fail(EINVAL);
  }

  release(): void {
    this.ctx.objects.release(null, this.access);
    if (this.ctx.objects.destroy(this.access.id) !== 0) throw new Error(`access ${this.access.id} still held on close`);
    this.ctx.put();
  }
}
