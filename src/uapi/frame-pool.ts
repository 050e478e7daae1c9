// Reference-counted 4 KiB frames over a FrameStore. A frame stays allocated while
// anything holds it: the process page table, a memfd, or a pin taken for DMA. That is
// what lets a process unmap or truncate memory that an IOAS still has pinned: the
// mapping goes away but the pinned frame (and the bytes a device sees) survive, as
// with get_user_pages on Linux.
import type { FrameStore } from '../engine/types.js';
import type { AllocGuard } from '../iommu/alloc-guard.js';

interface FrameState {
  refs: number;
  pins: number;
}

export class FramePool {
  private readonly frames = new Map<bigint, FrameState>();

  constructor(
    readonly store: FrameStore,
    private readonly guard?: AllocGuard,
  ) {}

  /** A zeroed frame with one reference, or undefined when physical memory is exhausted. */
  alloc(): bigint | undefined {
    if (this.guard && !this.guard.allow('frame')) return undefined;
    const pa = this.store.allocFrame();
    if (pa === undefined) return undefined;
    this.frames.set(pa, { refs: 1, pins: 0 });
    return pa;
  }

  ref(pa: bigint): void {
    this.state(pa).refs++;
  }

  unref(pa: bigint): void {
    const s = this.state(pa);
    s.refs--;
    if (s.refs === 0) {
      this.frames.delete(pa);
      this.store.freeFrame(pa);
    }
  }

  /** Whether a pin may be taken now (false only under allocation-failure injection). */
  mayPin(): boolean {
    return !this.guard || this.guard.allow('pin');
  }

  /** A pin is a reference that also counts as "held for DMA". */
  pin(pa: bigint): void {
    const s = this.state(pa);
    s.refs++;
    s.pins++;
  }

  unpin(pa: bigint): void {
    const s = this.state(pa);
    if (s.pins === 0) throw new Error(`frame ${pa.toString(16)} unpinned more often than pinned`);
    s.pins--;
    this.unref(pa);
  }

  pinCount(pa: bigint): number {
    return this.frames.get(pa)?.pins ?? 0;
  }

  refCount(pa: bigint): number {
    return this.frames.get(pa)?.refs ?? 0;
  }

  /** Frames currently allocated through this pool (leak checks in tests). */
  get liveFrames(): number {
    return this.frames.size;
  }

  /** Total pins over all frames (leak checks in tests). */
  get totalPins(): number {
    let n = 0;
    for (const s of this.frames.values()) n += s.pins;
    return n;
  }

  private state(pa: bigint): FrameState {
    const s = this.frames.get(pa);
    if (!s) throw new Error(`frame ${pa.toString(16)} is not allocated from this pool`);
    return s;
  }
}
