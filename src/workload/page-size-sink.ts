// The page-size what-if of a replay: the trace's maps rewritten so the engine's
// builder (which takes the largest page the alignment allows) builds pages of the
// size asked for.
//   4K: a map whose IOVA and address are congruent modulo 2 MiB (the only kind that
//       can get large pages) is mapped one 4 KiB page at a time; others pass as they are.
//   2M: every 2 MiB IOVA block a map touches is mapped whole, read-write, with one
//       2 MiB page, as a driver with a hugepage-backed IOVA pool would; the block stays
//       mapped while any bytes the trace mapped in it are not unmapped (the count is
//       per block, so an unmap of bytes never mapped is not told apart).
// Unmaps follow; invalidations and DMA pass unchanged.
import { Perm } from '../engine/index.js';
import { ForwardingSink } from './forwarding-sink.js';
import type { OpSink } from './ops.js';
import type { PageSize } from './params.js';

const PAGE = 4096;
const BLOCK = 2 ** 21;

export class PageSizeSink extends ForwardingSink {
  /** 2M: bytes the trace holds mapped, per space and block. */
  private readonly held = new Map<number, Map<number, number>>();

  constructor(next: OpSink, private readonly pageSize: PageSize, private readonly applies: (space: number) => boolean) {
    super(next);
  }

  override map(space: number, iova: number, addr: number, bytes: number, perms: number): void {
    if (!this.applies(space)) return this.next.map(space, iova, addr, bytes, perms);
    if (this.pageSize === '4K') {
      if ((iova - addr) % BLOCK !== 0 || bytes <= PAGE) return this.next.map(space, iova, addr, bytes, perms);
      for (let done = 0; done < bytes; done += PAGE) this.next.map(space, iova + done, addr + done, Math.min(PAGE, bytes - done), perms);
      return;
    }
    const end = iova + bytes;
    const held = this.heldIn(space);
    const blocks: number[] = [];
    for (let block = iova - (iova % BLOCK); block < end; block += BLOCK) {
      if (!held.has(block)) blocks.push(block);
    }
    // Map the new blocks first, so a failure leaves the counts as they were.
    const blockPerms = perms | Perm.R | Perm.W;
    const done: number[] = [];
    try {
      for (const block of blocks) {
        const at = addr - (iova - block);
        this.next.map(space, block, Math.max(0, at - (((at % BLOCK) + BLOCK) % BLOCK)), BLOCK, blockPerms);
        done.push(block);
      }
    } catch (error) {
      for (const block of done) this.next.unmap(space, block, BLOCK);
      throw error;
    }
    for (let block = iova - (iova % BLOCK); block < end; block += BLOCK) held.set(block, (held.get(block) ?? 0) + overlap(iova, end, block));
  }

  override unmap(space: number, iova: number, bytes: number): void {
    if (!this.applies(space)) return this.next.unmap(space, iova, bytes);
    if (this.pageSize === '4K') return this.next.unmap(space, iova, bytes);
    const end = iova + bytes;
    const held = this.heldIn(space);
    const first = iova - (iova % BLOCK);
    // Visit the blocks of the range, or the blocks held, whichever are fewer: an unmap
    // of a huge range costs what is mapped, not its length.
    const blocks = (end - first) / BLOCK <= held.size
      ? Array.from({ length: Math.ceil((end - first) / BLOCK) }, (_, i) => first + i * BLOCK)
      : [...held.keys()].filter((block) => block + BLOCK > iova && block < end);
    for (const block of blocks) {
      const bytesHeld = held.get(block);
      if (bytesHeld === undefined) continue;
      const left = bytesHeld - overlap(iova, end, block);
      if (left > 0) {
        held.set(block, left);
      } else {
        held.delete(block);
        this.next.unmap(space, block, BLOCK);
      }
    }
  }

  private heldIn(space: number): Map<number, number> {
    let held = this.held.get(space);
    if (!held) this.held.set(space, (held = new Map()));
    return held;
  }
}

function overlap(start: number, end: number, block: number): number {
  return Math.min(end, block + BLOCK) - Math.max(start, block);
}
