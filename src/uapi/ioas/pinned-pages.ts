// The memory behind one MAP (or MAP_FILE) call: a byte range of a process address
// space, a file or a dma-buf. Areas, including those COPY creates in other IOASes,
// point into it at an offset, so copies share pins instead of pinning twice. A page is
// pinned once however many areas cover it; `users` counts the covering pinned areas.
// The areas built on the pages hold them: memory that can be revoked (a dma-buf) tells
// each holder, and is released when the last holder goes.
import { PAGE_SIZE } from '../limits.js';
import type { PinnableMemory } from '../pinnable.js';
import { OK_VOID, type Result } from '../../iommu/result.js';

export type PagesSource = 'user' | 'file' | 'dmabuf';

interface PinnedPage {
  readonly pa: bigint;
  users: number;
}

export class PinnedPages {
  private readonly pinned = new Map<bigint, PinnedPage>();
  /** Areas using these pages, each with what it does when the memory is revoked. */
  private readonly holders = new Map<object, () => void>();

  constructor(
    readonly memory: PinnableMemory,
    /** Byte address in the source: the user VA, or the file offset. */
    readonly start: bigint,
    readonly length: bigint,
    /** Whether the memory was taken for writing; COPY with WRITEABLE needs it. */
    readonly writable: boolean,
    readonly source: PagesSource,
  ) {
    memory.onRevoke?.(() => {
      for (const revoke of [...this.holders.values()]) revoke();
    });
  }

  /** True once the exporter took the memory back: nothing may map it any more. */
  get revoked(): boolean {
    return this.memory.revoked === true;
  }

  /** An area starts using the pages; `onRevoke` runs if the memory is revoked. */
  hold(area: object, onRevoke: () => void): void {
    this.holders.set(area, onRevoke);
  }

  /** An area is gone; the last one lets go of the memory. */
  drop(area: object): void {
    if (this.holders.delete(area)) this.releaseUnused();
  }

  /** Lets go of the memory if no area holds it (also a MAP that failed before placing any). */
  releaseUnused(): void {
    if (this.holders.size === 0) this.memory.detach?.();
  }

  /** Source address of byte `offset` (VA or file offset): alignment rules look at it. */
  addressOf(offset: bigint): bigint {
    return this.start + offset;
  }

  /** Pins every page covering bytes [offset, offset+length); all or nothing. */
  pin(offset: bigint, length: bigint): Result<void> {
    const taken: bigint[] = [];
    for (const page of this.pagesOf(offset, length)) {
      const entry = this.pinned.get(page);
      if (entry) {
        entry.users++;
        taken.push(page);
        continue;
      }
      const r = this.memory.pinFrame(page, this.writable);
      if (!r.ok) {
        for (const p of taken) this.release(p);
        return r;
      }
      this.pinned.set(page, { pa: r.value, users: 1 });
      taken.push(page);
    }
    return OK_VOID;
  }

  unpin(offset: bigint, length: bigint): void {
    for (const page of this.pagesOf(offset, length)) this.release(page);
  }

  /** Physical address of byte `offset`; the page must be pinned. */
  physOf(offset: bigint): bigint {
    const addr = this.start + offset;
    const entry = this.pinned.get(addr / PAGE_SIZE);
    if (!entry) throw new Error(`pages: byte ${offset} is not pinned`);
    return entry.pa + (addr % PAGE_SIZE);
  }

  /** Distinct frames pinned (each once, whatever the number of users). */
  get pinnedPageCount(): number {
    return this.pinned.size;
  }

  /** Pins held on `page` by areas (for invariant checks). */
  usersOf(page: bigint): number {
    return this.pinned.get(page)?.users ?? 0;
  }

  pinnedEntries(): IterableIterator<[bigint, PinnedPage]> {
    return this.pinned.entries();
  }

  private *pagesOf(offset: bigint, length: bigint): Generator<bigint> {
    if (length <= 0n) return;
    const first = (this.start + offset) / PAGE_SIZE;
    const last = (this.start + offset + length - 1n) / PAGE_SIZE;
    for (let p = first; p <= last; p++) yield p;
  }

  private release(page: bigint): void {
    const entry = this.pinned.get(page);
    if (!entry) throw new Error(`pages: page ${page} released but not pinned`);
    entry.users--;
    if (entry.users === 0) {
      this.pinned.delete(page);
      this.memory.pool.unpin(entry.pa);
    }
  }
}
