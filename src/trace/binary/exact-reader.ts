// Turns a stream of arbitrarily sized byte chunks into "give me exactly n
// bytes" reads, holding at most one chunk's worth beyond what was asked for.

export class ExactReader {
  private readonly iterator: AsyncIterator<Uint8Array | string>;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private ended = false;
  /** File offset of the next byte read returns. */
  offset = 0;

  constructor(chunks: AsyncIterable<Uint8Array | string>) {
    this.iterator = chunks[Symbol.asyncIterator]();
  }

  /** Exactly n bytes, or fewer only when the input ends first. */
  async read(n: number): Promise<Uint8Array> {
    while (this.pendingBytes < n && !this.ended) {
      const next = await this.iterator.next();
      if (next.done) {
        this.ended = true;
        break;
      }
      if (typeof next.value === 'string') {
        throw new TypeError('binary trace source yields strings: do not set an encoding on the stream');
      }
      if (next.value.length > 0) {
        this.pending.push(next.value);
        this.pendingBytes += next.value.length;
      }
    }
    const out = this.take(Math.min(n, this.pendingBytes));
    this.offset += out.length;
    return out;
  }

  private take(n: number): Uint8Array {
    const first = this.pending[0];
    if (n === 0) return new Uint8Array(0);
    if (first.length >= n) {
      // The common case: no copy, just a view into the stream's own buffer.
      if (first.length === n) this.pending.shift();
      else this.pending[0] = first.subarray(n);
      this.pendingBytes -= n;
      return first.subarray(0, n);
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const head = this.pending[0];
      const part = Math.min(head.length, n - filled);
      out.set(head.subarray(0, part), filled);
      filled += part;
      if (part === head.length) this.pending.shift();
      else this.pending[0] = head.subarray(part);
    }
    this.pendingBytes -= n;
    return out;
  }

  /** Lets the underlying stream close (files opened by path in particular). */
  async release(): Promise<void> {
    await this.iterator.return?.();
  }
}
