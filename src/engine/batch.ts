// The batch ring: struct-of-arrays request and result slots in linear memory. A
// caller fills `iova` (two u32 words per request, low first), `space` and `access`,
// calls `run(n)`, and reads `out` (two words) and `status` — no BigInt, no allocation.
import type { CoreExports } from './wasm.js';
import type { MemoryViews } from './views.js';

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

  /** Translates the first `n` requests; returns how many did not translate. */
  run(n: number): number {
    if (n > this.capacity) throw new RangeError(`batch: ${n} requests exceed the capacity of ${this.capacity}`);
    return this.core.translateBatch(n);
  }

  /** Sets request i from a number IOVA (below 2^53). */
  set(i: number, space: number, iova: number, access: number): void {
    const a = this.a;
    a.iova[2 * i] = iova % 2 ** 32;
    a.iova[2 * i + 1] = Math.floor(iova / 2 ** 32);
    a.space[i] = space;
    a.access[i] = access;
  }

  /** Output of request i as a number (physical addresses are below 2^52). */
  outAt(i: number): number {
    const a = this.a;
    return a.out[2 * i]! + a.out[2 * i + 1]! * 2 ** 32;
  }
}
