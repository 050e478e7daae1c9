// Primary fault logging: CAP.NFR+1 fault recording registers (FRCD) used round-robin
// from FSTS.FRI, FSTS.PPF while any record is pending, FSTS.PFO when a fault finds the
// next register still occupied (the fault is then lost). Records are not collapsed.
import { mask, place } from '../common/bits.js';
import type { EventInterrupt } from './interrupts.js';

export interface FaultInfo {
  sid: number;
  /** PASID of a request-with-PASID; undefined otherwise. */
  pasid: number | undefined;
  /** The request's input address (FI keeps its page). */
  addr: bigint;
  reason: number;
  write: boolean;
}

export interface FaultRecordView extends FaultInfo {
  index: number;
}

const F = 1n << 63n;

export class FaultRecorder {
  private readonly low: bigint[];
  private readonly high: bigint[];
  private fri = 0;
  private overflow = false;
  recorded = 0;
  lost = 0;

  constructor(readonly count: number, private readonly interrupt: EventInterrupt) {
    this.low = new Array<bigint>(count).fill(0n);
    this.high = new Array<bigint>(count).fill(0n);
  }

  record(fault: FaultInfo): boolean {
    const wasPending = this.pendingFault();
    if (this.high[this.fri] & F) {
      const first = !this.overflow;
      this.overflow = true;
      this.lost++;
      if (first) this.interrupt.raise();
      return false;
    }
    this.low[this.fri] = fault.addr & mask(63, 12);
    // T = 1 marks a read request, as the spec note records QEMU doing.
    this.high[this.fri] = place(fault.sid, 15, 0)
      | (fault.pasid !== undefined ? (1n << 31n) | place(fault.pasid, 59, 40) : 0n)
      | place(fault.reason, 39, 32) | (fault.write ? 0n : 1n << 62n) | F;
    this.fri = (this.fri + 1) % this.count;
    this.recorded++;
    if (!wasPending) this.interrupt.raise();
    return true;
  }

  pendingFault(): boolean {
    return this.high.some((h) => (h & F) !== 0n);
  }

  /** FSTS bits this recorder owns: PFO 0, PPF 1, FRI 15:8. */
  statusBits(): bigint {
    return (this.overflow ? 1n : 0n) | (this.pendingFault() ? 2n : 0n) | place(this.fri, 15, 8);
  }

  clearOverflow(): void {
    this.overflow = false;
  }

  /** Word `half` (0 = low qword, 1 = high qword) of record `index`. */
  read(index: number, half: 0 | 1): bigint {
    return half === 0 ? this.low[index] : this.high[index];
  }

  /** Only F is writable (RW1C); writing 1 releases the register. */
  writeHigh(index: number, value: bigint): void {
    if (value & F) this.high[index] &= ~F;
  }

  /** Decoded pending records, for simulators and tests. */
  pending(): FaultRecordView[] {
    const out: FaultRecordView[] = [];
    for (let i = 0; i < this.count; i++) {
      const h = this.high[i];
      if (!(h & F)) continue;
      out.push({
        index: i, sid: Number(h & 0xffffn), pasid: h & (1n << 31n) ? Number((h >> 40n) & 0xfffffn) : undefined,
        addr: this.low[i], reason: Number((h >> 32n) & 0xffn), write: !(h & (1n << 62n)),
      });
    }
    return out;
  }
}
