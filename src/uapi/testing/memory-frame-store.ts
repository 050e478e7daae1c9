// An in-memory FrameStore for tests and for running the uAPI before the Wasm engine
// exists: frames are Uint8Arrays in a Map keyed by physical address. Physical addresses
// start above zero so a zero PA in a page table is always a bug, and freed frames are
// reused lowest-first so runs are deterministic.
import type { FrameStore } from '../../engine/types.js';

const FRAME = 4096;

export interface MemoryFrameStoreOptions {
  /** Maximum number of frames allocFrame hands out (default: unlimited). */
  capacityFrames?: number;
  /** Physical address of the first frame (default 0x1000_0000). */
  basePa?: bigint;
}

export class MemoryFrameStore implements FrameStore {
  private readonly frames = new Map<bigint, Uint8Array>();
  private readonly allocated = new Set<bigint>();
  private readonly freeList: bigint[] = [];
  private nextPa: bigint;
  readonly capacityFrames: number;

  constructor(options: MemoryFrameStoreOptions = {}) {
    this.capacityFrames = options.capacityFrames ?? Number.POSITIVE_INFINITY;
    this.nextPa = options.basePa ?? 0x1000_0000n;
  }

  allocFrame(): bigint | undefined {
    if (this.allocated.size >= this.capacityFrames) return undefined;
    let pa: bigint;
    if (this.freeList.length > 0) {
      this.freeList.sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
      pa = this.freeList.pop()!;
    } else {
      pa = this.nextPa;
      this.nextPa += BigInt(FRAME);
    }
    this.allocated.add(pa);
    this.frames.set(pa, new Uint8Array(FRAME));
    return pa;
  }

  freeFrame(pa: bigint): void {
    if (!this.allocated.delete(pa)) throw new Error(`freeFrame: ${pa.toString(16)} is not allocated`);
    this.frames.delete(pa);
    this.freeList.push(pa);
  }

  read(pa: bigint, length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let done = 0; done < length; ) {
      const at = pa + BigInt(done);
      const base = at - (at % BigInt(FRAME));
      const frame = this.frames.get(base);
      if (!frame) throw new RangeError(`read of unbacked frame ${base.toString(16)}`);
      const inFrame = Number(at - base);
      const n = Math.min(FRAME - inFrame, length - done);
      out.set(frame.subarray(inFrame, inFrame + n), done);
      done += n;
    }
    return out;
  }

  write(pa: bigint, bytes: Uint8Array): void {
    for (let done = 0; done < bytes.length; ) {
      const at = pa + BigInt(done);
      const base = at - (at % BigInt(FRAME));
      let frame = this.frames.get(base);
      if (!frame) {
        frame = new Uint8Array(FRAME);
        this.frames.set(base, frame);
      }
      const inFrame = Number(at - base);
      const n = Math.min(FRAME - inFrame, bytes.length - done);
      frame.set(bytes.subarray(done, done + n), inFrame);
      done += n;
    }
  }

  /** Frames handed out and not yet freed. */
  get allocatedFrames(): number {
    return this.allocated.size;
  }
}
