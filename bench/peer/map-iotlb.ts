// The IOTLB a straightforward TypeScript implementation would write: one Map,
// string keys (space, page size, page number), insertion order as the eviction
// order, and a scan for invalidation.

import type { Translation } from '../../src/engine/types.js';

export interface CachedTranslation {
  spaceId: number;
  /** Input address of the page (low pageShift bits zero). */
  iovaBase: bigint;
  /** Output address of the page. */
  paBase: bigint;
  pageShift: number;
  level: number;
  perms: number;
  /** False while an `ad` stage's leaf is clean: a WRITE must walk to set D first. */
  writeCacheable: boolean;
}

export class MapIotlb {
  private readonly entries = new Map<string, CachedTranslation>();
  /** Page sizes filled per space, so a lookup probes only those (smallest first). */
  private readonly shiftsBySpace = new Map<number, number[]>();

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.entries.size;
  }

  lookup(spaceId: number, iova: bigint): CachedTranslation | undefined {
    const shifts = this.shiftsBySpace.get(spaceId);
    if (shifts === undefined) return undefined;
    for (const shift of shifts) {
      const hit = this.entries.get(keyOf(spaceId, shift, iova));
      if (hit !== undefined) return hit;
    }
    return undefined;
  }

  fill(spaceId: number, iova: bigint, translation: Translation, writeCacheable: boolean): void {
    const { pageShift } = translation;
    const key = keyOf(spaceId, pageShift, iova);
    // A refill of the same page becomes the newest entry.
    this.entries.delete(key);
    if (this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    const mask = (1n << BigInt(pageShift)) - 1n;
    this.entries.set(key, {
      spaceId,
      iovaBase: iova & ~mask,
      paBase: translation.addr & ~mask,
      pageShift,
      level: translation.level,
      perms: translation.perms,
      writeCacheable,
    });
    this.noteShift(spaceId, pageShift);
  }

  /** Drops this space's entries that overlap [iova, iova + bytes). */
  invalidateRange(spaceId: number, iova: bigint, bytes: bigint): void {
    const end = iova + bytes;
    for (const [key, entry] of this.entries) {
      if (entry.spaceId !== spaceId) continue;
      const entryEnd = entry.iovaBase + (1n << BigInt(entry.pageShift));
      if (entry.iovaBase < end && iova < entryEnd) this.entries.delete(key);
    }
  }

  invalidateSpace(spaceId: number): void {
    for (const [key, entry] of this.entries) {
      if (entry.spaceId === spaceId) this.entries.delete(key);
    }
    this.shiftsBySpace.delete(spaceId);
  }

  clear(): void {
    this.entries.clear();
    this.shiftsBySpace.clear();
  }

  private noteShift(spaceId: number, pageShift: number): void {
    const shifts = this.shiftsBySpace.get(spaceId);
    if (shifts === undefined) this.shiftsBySpace.set(spaceId, [pageShift]);
    else if (!shifts.includes(pageShift)) {
      shifts.push(pageShift);
      shifts.sort((a, b) => a - b);
    }
  }
}

function keyOf(spaceId: number, pageShift: number, iova: bigint): string {
  // A page number of a 64-bit input at 4 KiB or more is below 2^53: exact as a double.
  return `${spaceId}:${pageShift}:${Number(iova >> BigInt(pageShift))}`;
}
