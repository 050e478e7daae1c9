// The three event interrupts (fault, invalidation completion, page request) share one
// shape: a control register with IM (mask, bit 31) and IP (pending, bit 30). A masked
// event stays pending and is delivered when software unmasks it.

export type InterruptKind = 'fault' | 'invalidation' | 'page-request';

export class EventInterrupt {
  private masked = true;
  private pending = false;
  delivered = 0;

  constructor(readonly kind: InterruptKind, private readonly deliver: (kind: InterruptKind) => void) {}

  raise(): void {
    if (this.masked) {
      this.pending = true;
      return;
    }
    this.delivered++;
    this.deliver(this.kind);
  }

  /** The control register: IM bit 31 (out of reset the interrupt is masked), IP bit 30. */
  read(): bigint {
    return (this.masked ? 1n << 31n : 0n) | (this.pending ? 1n << 30n : 0n);
  }

  write(value: bigint): void {
    this.masked = ((value >> 31n) & 1n) === 1n;
    if (!this.masked && this.pending) {
      this.pending = false;
      this.delivered++;
      this.deliver(this.kind);
    }
  }
}
