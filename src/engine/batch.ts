// The batch ring: struct-of-arrays request and result slots in linear memory. A
// caller fills `iova` (two u32 words per request, low first), `space` and `access`,
// calls `run(n)`, and reads `out` (two words) and `status` — no BigInt, no allocation.
import type { CoreExports } from './wasm.js';
import type { MemoryViews } from './views.js';
import { checkWhole, isAccessBits, isU32, isU64Number, refuseRequest } from './option-checks.js';

export class Batch {
  readonly capacity: number;
  private cachedBuffer: ArrayBufferLike | undefined;
  private arrays!: { iova: Uint32Array; space: Uint32Array; access: Uint32Array; out: Uint32Array; status: Uint32Array };

  constructor(private readonly core: CoreExports, private readonly views: MemoryViews) {
    this.capacity = core.batchSize();
  }

  private get a() {
    const buffer = this.views.get().u8.buffer;
    if (buffer !== this.cachedBuffer) {
      const n = this.capacity;
      const c = this.core;
      this.arrays = {
        iova: new Uint32Array(buffer, c.batchIova(), n * 2),
        space: new Uint32Array(buffer, c.batchSpace(), n),
        access: new Uint32Array(buffer, c.batchAccess(), n),
        out: new Uint32Array(buffer, c.batchOut(), n * 2),
        status: new Uint32Array(buffer, c.batchStatus(), n),
      };
      this.cachedBuffer = buffer;
    }
    return this.arrays;
  }

  /** IOVA words: request i is [2i] (low 32 bits) and [2i+1] (high 32 bits). */
  get iova(): Uint32Array { return this.a.iova; }
  get space(): Uint32Array { return this.a.space; }
  get access(): Uint32Array { return this.a.access; }
  /** Output words, like `iova`. */
  get out(): Uint32Array { return this.a.out; }
  /** 0 = translated, else reason | stage << 8 | level << 16. */
  get status(): Uint32Array { return this.a.status; }

  /** Translates the first `n` requests (0..capacity); returns how many did not translate. */
  run(n: number): number {
    checkWhole('Batch.run: count', n, 'BAD_ARGUMENT', 0, this.capacity);
    return this.core.translateBatch(n);
  }

  /**
   * Sets request i (0..capacity-1) from a number IOVA (a whole number below 2^64, exact
   * below 2^53), a u32 space id and Access bits. Anything else throws before a word is
   * written: the columns would convert it silently (into another slot, space or IOVA).
   * Writing the columns directly skips these checks.
   */
  set(i: number, space: number, iova: number, access: number): void {
    if (!(isU32(i) && i < this.capacity && isU32(space) && isU64Number(iova) && isAccessBits(access))) this.refuseSet(i, space, iova, access);
    const a = this.a;
    a.iova[2 * i] = iova % 2 ** 32;
    a.iova[2 * i + 1] = Math.floor(iova / 2 ** 32);
    a.space[i] = space;
    a.access[i] = access;
  }

  /** Output of request i (0..capacity-1) as a number (physical addresses are below 2^52). */
  outAt(i: number): number {
    if (!(isU32(i) && i < this.capacity)) this.checkIndex('Batch.outAt', i);
    const a = this.a;
    return a.out[2 * i]! + a.out[2 * i + 1]! * 2 ** 32;
  }

  private checkIndex(operation: string, i: number): void {
    checkWhole(`${operation}: index`, i, 'BAD_ARGUMENT', 0, this.capacity - 1);
  }

  private refuseSet(i: number, space: number, iova: number, access: number): never {
    this.checkIndex('Batch.set', i);
    refuseRequest('Batch.set', space, iova, access);
  }
}
