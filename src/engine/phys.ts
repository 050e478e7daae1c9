// Simulated host physical memory as TypeScript sees it: byte and word access through
// the core's frame directory, and a frame allocator for data (user memory, guest RAM,
// DMA buffers) over a region kept apart from the one page tables come from.
import type { CoreExports } from './wasm.js';
import type { MemoryViews } from './views.js';
import type { FrameStore, PhysMemory } from './types.js';
import { checkU64, checkWhole, RANGE_ERROR } from './option-checks.js';

const PAGE = 4096;
const PAGE_MASK = 0xfffn;

// Arguments are refused with a RangeError, as FrameStore documents for addresses outside memory.
const address = (operation: string, pa: bigint) => checkU64(`${operation}: pa`, pa, RANGE_ERROR);

export class EnginePhysicalMemory implements FrameStore, PhysMemory {
  private nextFrame: bigint;
  private readonly freeFrames: bigint[] = [];
  /** The frames in freeFrames, so that a second free is refused (it would hand a frame out twice). */
  private readonly freeSet = new Set<bigint>();
  private readonly paBits: number;

  constructor(
    private readonly core: CoreExports,
    private readonly views: MemoryViews,
    readonly dataBase: bigint,
    readonly dataLimit: bigint,
  ) {
    this.nextFrame = dataBase;
    this.paBits = core.physAddressBits();
  }

  /** Linear offset of the frame holding `pa`, or 0 when it is not backed (or not an address). */
  frameOffset(pa: bigint, back = false): number {
    if (typeof pa !== 'bigint' || pa < 0n || pa >= 1n << 64n) return 0;
    return this.core.physFrame(pa, back ? 1 : 0);
  }

  /** The word at `pa` (8-byte aligned), or undefined when its frame is not backed (also at or past 2^paBits). */
  read64(pa: bigint): bigint | undefined {
    pa = address('read64', pa);
    if (pa & 7n) throw new RangeError(`read64: address 0x${pa.toString(16)} is not 8-byte aligned`);
    const frame = this.frameOffset(pa);
    if (!frame) return undefined;
    return this.views.get().dv.getBigUint64(frame + Number(pa & PAGE_MASK), true);
  }

  write64(pa: bigint, value: bigint): void {
    pa = address('write64', pa);
    if (pa & 7n) throw new RangeError(`write64: address 0x${pa.toString(16)} is not 8-byte aligned`);
    const frame = this.frameOffset(pa, true);
    if (!frame) throw new RangeError(`write64: 0x${pa.toString(16)} is outside physical memory or memory is exhausted`);
    this.views.get().dv.setBigUint64(frame + Number(pa & PAGE_MASK), BigInt.asUintN(64, value), true);
  }

  isBacked(pa: bigint): boolean {
    return this.frameOffset(pa) !== 0;
  }

  read(pa: bigint, length: number): Uint8Array {
    pa = this.checkRange('read', pa, length);
    // Before the buffer is allocated: a length no backed memory could fill is not one.
    if (length > this.framesInUse() * PAGE) throw new RangeError(`read: ${length} bytes at 0x${pa.toString(16)} are more than are backed`);
    const out = new Uint8Array(length);
    this.forEachChunk(pa, length, false, 'read', (frame, offset, done, size) => {
      out.set(this.views.get().u8.subarray(frame + offset, frame + offset + size), done);
    });
    return out;
  }

  write(pa: bigint, bytes: Uint8Array): void {
    pa = this.checkRange('write', pa, bytes.length);
    this.forEachChunk(pa, bytes.length, true, 'write', (frame, offset, done, size) => {
      this.views.get().u8.set(bytes.subarray(done, done + size), frame + offset);
    });
  }

  /** [pa, pa+length) must lie below 2^paBits: checked first, so that no part is copied. */
  private checkRange(operation: string, pa: bigint, length: number): bigint {
    pa = address(operation, pa);
    checkWhole(`${operation}: length`, length, RANGE_ERROR);
    if (pa + BigInt(length) > 1n << BigInt(this.paBits)) {
      throw new RangeError(`${operation}: [0x${pa.toString(16)}, +${length}) leaves physical memory (2^${this.paBits} bytes)`);
    }
    return pa;
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
    } else {
      this.freeSet.delete(pa);
    }
    if (!this.frameOffset(pa, true)) {
      this.pushFree(pa);
      return undefined;
    }
    return pa;
  }

  /** Returns a frame allocFrame handed out; a frame it did not (or one already free) is refused. */
  freeFrame(pa: bigint): void {
    pa = address('freeFrame', pa);
    if (pa & PAGE_MASK || pa < this.dataBase || pa >= this.nextFrame || this.freeSet.has(pa)) {
      throw new RangeError(`freeFrame: pa 0x${pa.toString(16)} is not a frame allocFrame handed out, or it is already free`);
    }
    this.core.physUnback(pa);
    this.pushFree(pa);
  }

  private pushFree(pa: bigint): void {
    this.freeFrames.push(pa);
    this.freeSet.add(pa);
  }

  framesInUse(): number { return this.core.physFramesUsed(); }
  framesAvailable(): number { return this.core.physFramesAvailable(); }
}
