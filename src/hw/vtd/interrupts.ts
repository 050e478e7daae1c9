// The three event interrupts (fault, invalidation completion, page request) share one
// shape: a latched interrupt (src/hw/common) behind a control register with IM (mask,
// bit 31) and IP (pending, bit 30).
import { LatchedInterrupt } from '../common/latched-interrupt.js';

export type InterruptKind = 'fault' | 'invalidation' | 'page-request';

export class EventInterrupt extends LatchedInterrupt<InterruptKind> {
  /** The control register: IM bit 31 (out of reset the interrupt is masked), IP bit 30. */
  read(): bigint {
    return (this.masked ? 1n << 31n : 0n) | (this.pending ? 1n << 30n : 0n);
  }

  write(value: bigint): void {
    this.setMasked(((value >> 31n) & 1n) === 1n);
  }
}
