// Reads the fields ByteSink writes from one in-memory block (a chunk payload,
// the header body), turning every overrun or out-of-range value into a
// TraceFormatError that names the absolute file offset.

import { TraceFormatError } from '../errors.js';

export class ByteCursor {
  private readonly view: DataView;
  pos = 0;

  constructor(
    private readonly bytes: Uint8Array,
    /** File offset of bytes[0], for error messages. */
    readonly fileOffset: number,
    /** What the block is, for error messages ("chunk payload", "header"). */
    private readonly what: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get atEnd(): boolean {
    return this.pos >= this.bytes.length;
  }

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  /** Absolute file offset of the next byte. */
  get offset(): number {
    return this.fileOffset + this.pos;
  }

  corrupted(message: string, at = this.offset): TraceFormatError {
    return new TraceFormatError('corrupted', `${this.what}: ${message}`, { offset: at });
  }

  private need(n: number): void {
    if (this.pos + n > this.bytes.length) throw this.corrupted(`field runs past the end of the ${this.what}`);
  }

  u8(): number {
    this.need(1);
    return this.bytes[this.pos++];
  }

  u64(): bigint {
    this.need(8);
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }

  take(n: number): Uint8Array {
    this.need(n);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** A varint that must be at most `max` (a safe integer). */
  varNumber(max: number, what: string): number {
    const start = this.offset;
    const bytes = this.bytes;
    let value = 0;
    let scale = 1;
    // Eight groups hold 56 bits, more than any safe integer needs.
    for (let groups = 1; ; groups++) {
      if (this.pos >= bytes.length) throw this.corrupted(`${what} runs past the end of the ${this.what}`, start);
      const b = bytes[this.pos++];
      value += (b & 0x7f) * scale;
      if (b < 0x80) break;
      if (groups === 8) throw this.corrupted(`${what} varint is too long`, start);
      scale *= 0x80;
    }
    if (value > max) throw this.corrupted(`${what} ${value} exceeds ${max}`, start);
    return value;
  }

  /** A varint holding a u64. */
  varBig(what: string): bigint {
    const start = this.offset;
    const bytes = this.bytes;
    // The first seven groups (49 bits) are exact in a double; only longer
    // varints, rare in practice, pay for bigint arithmetic.
    let low = 0;
    let scale = 1;
    for (let i = 0; i < 7; i++) {
      if (this.pos >= bytes.length) throw this.corrupted(`${what} runs past the end of the ${this.what}`, start);
      const b = bytes[this.pos++];
      low += (b & 0x7f) * scale;
      if (b < 0x80) return BigInt(low);
      scale *= 0x80;
    }
    let value = BigInt(low);
    let shift = 49n;
    for (;;) {
      if (this.pos >= bytes.length) throw this.corrupted(`${what} runs past the end of the ${this.what}`, start);
      const b = bytes[this.pos++];
      value |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) break;
      shift += 7n;
      if (shift > 63n) throw this.corrupted(`${what} varint is too long`, start);
    }
    if (value >> 64n !== 0n) throw this.corrupted(`${what} exceeds 2^64-1`, start);
    return value;
  }
}
