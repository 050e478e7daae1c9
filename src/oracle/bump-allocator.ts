// Hands out consecutive 4 KiB frames for page tables; never frees. Enough for
// tests and benchmark setup, where tables live as long as the memory does.

const FRAME = 0x1000n;

export class BumpAllocator {
  private nextFrame: bigint;

  /** Frames come from [start, end); `start` is rounded up to 4 KiB. */
  constructor(start: bigint, private readonly end: bigint = 1n << 64n) {
    this.nextFrame = (start + FRAME - 1n) & ~(FRAME - 1n);
  }

  next(): bigint {
    if (this.nextFrame + FRAME > this.end) throw new RangeError('bump allocator exhausted');
    const frame = this.nextFrame;
    this.nextFrame += FRAME;
    return frame;
  }
}
