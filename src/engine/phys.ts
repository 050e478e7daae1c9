// Simulated host physical memory as TypeScript sees it: byte and word access through
// the core's frame directory, and a frame allocator for data (user memory, guest RAM,
// DMA buffers) over a region kept apart from the one page tables come from.
import type { CoreExports } from './wasm.js';
import type { MemoryViews } from './views.js';
import type { FrameStore, PhysMemory } from './types.js';

const PAGE = 4096;
const PAGE_MASK = 0xfffn;

export class EnginePhysicalMemory implements FrameStore, PhysMemory {
  private nextFrame: bigint;
  private readonly freeFrames: bigint[] = [];

  constructor(
    private readonly core: CoreExports,
    private readonly views: MemoryViews,
    readonly dataBase: bigint,
    readonly dataLimit: bigint,
  ) {
    this.nextFrame = dataBase;
  }

  /** Linear offset of the frame holding `pa`, or 0 when it is not backed. */
  frameOffset(pa: bigint, back = false): number {
    if (pa < 0n || pa >= 1n << 64n) return 0;
    return this.core.physFrame(pa, back ? 1 : 0);
  }

  read64(pa: bigint): bigint | undefined {
    if (pa & 7n) throw new RangeError(`read64: address 0x${pa.toString(16)} is not 8-byte aligned`);
    const frame = this.frameOffset(pa);
    if (!frame) return undefined;
    return this.views.get().dv.getBigUint64(frame + Number(pa & PAGE_MASK), true);
  }

  write64(pa: bigint, value: bigint): void {
    if (pa & 7n) throw new RangeError(`write64: address 0x${pa.toString(16)} is not 8-byte aligned`);
    const frame = this.frameOffset(pa, true);
    if (!frame) throw new RangeError(`write64: 0x${pa.toString(16)} is outside physical memory or memory is exhausted`);
    this.views.get().dv.setBigUint64(frame + Number(pa & PAGE_MASK), BigInt.asUintN(64, value), true);
  }

  isBacked(pa: bigint): boolean {
    return this.frameOffset(pa) !== 0;
  }

  read(pa: bigint, length: number): Uint8Array {
    const out = new Uint8Array(length);
    this.forEachChunk(pa, length, false, 'read', (frame, offset, done, size) => {
      out.set(this.views.get().u8.subarray(frame + offset, frame + offset + size), done);
    });
    return out;
  }

  write(pa: bigint, bytes: Uint8Array): void {
    this.forEachChunk(pa, bytes.length, true, 'write', (frame, offset, done, size) => {
      this.views.get().u8.set(bytes.subarray(done, done + size), frame + offset);
    });
  }

  private forEachChunk(pa: bigint, length: number, back: boolean, what: string,
    chunk: (frame: number, offset: number, done: number, size: number) => void): void {
    let done = 0;
    while (done < length) {
      const at = pa + BigInt(done);
      const offset = Number(at & PAGE_MASK);
      const size = Math.min(PAGE - offset, length - done);
      const frame = this.frameOffset(at, back);
      if (!frame) throw new RangeError(`${what}: 0x${at.toString(16)} is not backed physical memory`);
      chunk(frame, offset, done, size);
      done += size;
    }
  }

  allocFrame(): bigint | undefined {
    let pa = this.freeFrames.pop();
    if (pa === undefined) {
      if (this.nextFrame >= this.dataLimit) return undefined;
      pa = this.nextFrame;
      this.nextFrame += BigInt(PAGE);
    }
    if (!this.frameOffset(pa, true)) {
      this.freeFrames.push(pa);
      return undefined;
    }
    return pa;
  }

  freeFrame(pa: bigint): void {
    if (pa & PAGE_MASK || pa < this.dataBase || pa >= this.dataLimit) throw new RangeError(`freeFrame: 0x${pa.toString(16)} was not allocated here`);
    this.core.physUnback(pa);
    this.freeFrames.push(pa);
  }

  framesInUse(): number { return this.core.physFramesUsed(); }
  framesAvailable(): number { return this.core.physFramesAvailable(); }
}
