// Sparse simulated physical memory for the oracle, the peer and tests: a Map of
// 4 KiB frames. Plain on purpose, so that a wrong answer can never come from a
// clever memory model.

import type { PhysMemory } from '../engine/types.js';

const FRAME_SHIFT = 12n;
const WORDS_PER_FRAME = 512;

export class MapPhysMemory implements PhysMemory {
  /** Number of read64 calls so far (tests count page-table references with it). */
  reads = 0;
  /** Number of write64 calls so far (tests check A/D write-back with it). */
  writes = 0;

  private readonly frames = new Map<number, BigUint64Array>();

  read64(pa: bigint): bigint | undefined {
    this.reads++;
    const frame = this.frames.get(frameNumber(pa));
    return frame === undefined ? undefined : frame[wordIndex(pa)];
  }

  write64(pa: bigint, value: bigint): void {
    this.writes++;
    const key = frameNumber(pa);
    let frame = this.frames.get(key);
    if (frame === undefined) {
      frame = new BigUint64Array(WORDS_PER_FRAME);
      this.frames.set(key, frame);
    }
    frame[wordIndex(pa)] = BigInt.asUintN(64, value);
  }

  /** Whether the frame holding `pa` is backed. */
  isBacked(pa: bigint): boolean {
    return this.frames.has(frameNumber(pa));
  }

  resetCounters(): void {
    this.reads = 0;
    this.writes = 0;
  }
}

function frameNumber(pa: bigint): number {
  if (pa < 0n || pa >= 1n << 64n) throw new RangeError(`physical address out of range: ${pa}`);
  if ((pa & 7n) !== 0n) throw new RangeError(`unaligned 64-bit access at 0x${pa.toString(16)}`);
  // A frame number below 2^52 is exact as a double, so it is a cheap Map key.
  return Number(pa >> FRAME_SHIFT);
}

function wordIndex(pa: bigint): number {
  return Number((pa >> 3n) & 511n);
}
