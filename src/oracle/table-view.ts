// How a walk reaches its page tables. A plain space reads host physical memory;
// a nested space reads through its parent (nested.ts). The format walkers only
// see this interface, so each of them is written once for both cases.

import { FaultReason, type PhysMemory } from '../engine/types.js';
import { faultReport, type WalkReport } from './report.js';

/** The part of a leaf the output step needs. */
export interface LeafOutput {
  level: number;
  perms: number;
  pageShift: number;
}

export interface TableView {
  /** The entry at `entryAddr` (a PA, or a GPA when nested), or the fault that stopped the read. */
  read(entryAddr: bigint, level: number): bigint | WalkReport;
  /**
   * Sets A or D bits in an entry as hardware does: an atomic OR on the entry as it is
   * in memory now (not on the copy the walk read). Returns the fault when refused.
   */
  setBits(entryAddr: bigint, bits: bigint): WalkReport | undefined;
  /** Turns the leaf's output address (plus the input's offset bits) into the final result. */
  output(addr: bigint, access: number, leaf: LeafOutput): WalkReport;
}

/** Tables and output in host physical memory: the view of a space without a parent. */
export function hostView(mem: PhysMemory, paBits: number): TableView {
  const limit = 1n << BigInt(paBits);
  return {
    read(entryAddr, level) {
      const value = entryAddr < limit ? mem.read64(entryAddr) : undefined;
      return value ?? faultReport(FaultReason.EXTERNAL, 1, level, entryAddr);
    },
    setBits(entryAddr, bits) {
      mem.write64(entryAddr, (mem.read64(entryAddr) ?? 0n) | bits);
      return undefined;
    },
    output(addr, _access, leaf) {
      return {
        translation: { fault: FaultReason.NONE, stage: 0, level: leaf.level, addr, perms: leaf.perms, pageShift: leaf.pageShift },
        writeCacheable: true,
      };
    },
  };
}
