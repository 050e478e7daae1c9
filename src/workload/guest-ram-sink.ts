// Guest RAM on demand for a replay moved into a guest (replay-machine.ts): before a
// stage-1 map names guest-physical addresses, the 2 MiB regions of guest RAM they
// fall in are mapped in stage 2, so stage 2 holds what the trace touches and no
// more, and its page size is the one asked for (the host offset decides it).
import { Perm } from '../engine/index.js';
import { ForwardingSink } from './forwarding-sink.js';
import type { OpSink } from './ops.js';
import type { ReplayGuest } from './replay-machine.js';

const REGION = 2 ** 21;
const RW = Perm.R | Perm.W;

export class GuestRamSink extends ForwardingSink {
  private readonly mapped = new Set<number>();

  constructor(next: OpSink, private readonly guest: ReplayGuest) {
    super(next);
  }

  /** Maps the guest's table region; call before the first stage-1 operation. */
  mapTables(): void {
    const { base, limit } = this.guest.tables;
    this.next.map(this.guest.stage2, base, base + this.guest.hostOffset, limit - base, RW);
    for (let at = base; at < limit; at += REGION) this.mapped.add(at / REGION);
  }

  override map(space: number, iova: number, addr: number, bytes: number, perms: number): void {
    const end = addr + bytes;
    const { tables, limit } = this.guest;
    if (end > limit) throw new RangeError(`guest-physical range 0x${addr.toString(16)}+0x${bytes.toString(16)} is above the replay guest's RAM (2^${Math.log2(limit)} bytes)`);
    if (addr < tables.limit && end > tables.base) {
      throw new RangeError(`guest-physical range 0x${addr.toString(16)}+0x${bytes.toString(16)} overlaps the replay guest's page tables [0x${tables.base.toString(16)}, 0x${tables.limit.toString(16)})`);
    }
    for (let region = Math.floor(addr / REGION); region * REGION < end; region++) {
      if (this.mapped.has(region)) continue;
      this.next.map(this.guest.stage2, region * REGION, region * REGION + this.guest.hostOffset, REGION, RW);
      this.mapped.add(region);
    }
    this.next.map(space, iova, addr, bytes, perms);
  }
}
