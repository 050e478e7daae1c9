// A growable little-endian byte buffer with LEB128 varints: what the chunk
// encoder and the header/trailer writers append to.

const TWO_POW_53 = 2 ** 53;
const SAFE_BIG = (1n << 53n) - 1n;

export class ByteSink {
  private buffer: Uint8Array;
  private view: DataView;
  length = 0;

  constructor(initialCapacity = 1024) {
    this.buffer = new Uint8Array(initialCapacity);
    this.view = new DataView(this.buffer.buffer);
  }

  /** A view of the bytes written so far; valid until the next write or reset. */
  bytes(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }

  reset(): void {
    this.length = 0;
  }

  private reserve(extra: number): void {
    const needed = this.length + extra;
    if (needed <= this.buffer.length) return;
    let capacity = this.buffer.length * 2;
    while (capacity < needed) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
    this.view = new DataView(grown.buffer);
  }

  u8(value: number): void {
    this.reserve(1);
    this.buffer[this.length++] = value;
  }

  u16(value: number): void {
    this.reserve(2);
    this.view.setUint16(this.length, value, true);
    this.length += 2;
  }

  u32(value: number): void {
    this.reserve(4);
    this.view.setUint32(this.length, value >>> 0, true);
    this.length += 4;
  }

  u64(value: bigint): void {
    this.reserve(8);
    this.view.setBigUint64(this.length, value, true);
    this.length += 8;
  }

  raw(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
  }

  /** Unsigned LEB128 of a non-negative integer below 2^53. */
  varNumber(value: number): void {
    this.reserve(8);
    const buf = this.buffer;
    let v = value;
    while (v >= 0x80) {
      buf[this.length++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    buf[this.length++] = v;
  }

  /** Unsigned LEB128 of a u64; values that fit a double take the number path. */
  varBig(value: bigint): void {
    if (value <= SAFE_BIG) {
      this.varNumber(Number(value));
      return;
    }
    this.reserve(10);
    let v = value;
    while (v >= 0x80n) {
      this.buffer[this.length++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buffer[this.length++] = Number(v);
  }
}

/** Bytes the LEB128 form of `value` (a u64) takes. */
export function varBigSize(value: bigint): number {
  if (value <= SAFE_BIG) return varNumberSize(Number(value));
  let size = 8; // value >= 2^53 > 2^49
  let v = value >> 56n;
  while (v > 0n) {
    size++;
    v >>= 7n;
  }
  return size;
}

export function varNumberSize(value: number): number {
  let size = 1;
  let limit = 0x80;
  while (value >= limit && limit < TWO_POW_53) {
    size++;
    limit *= 0x80;
  }
  return size;
}
