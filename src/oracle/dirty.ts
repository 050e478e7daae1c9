// Leaf lookup and dirty bits of a range, the slow, obvious way: one walk from the
// root per leaf (or hole) in turn, with the format walkers of this oracle. What the
// core's leafEntry and readDirty must equal (docs/formats.md, "Reading dirty bits").

import { FaultReason, type FormatName, type PhysMemory, type SpaceDescriptor } from '../engine/types.js';
import { walkSpace } from './walk.js';
import { D as X86_64_D } from './x86-64.js';
import { D as VTD_SS_D } from './vtd-ss.js';
import { D as RISCV_SV_D } from './riscv-sv.js';

const DIRTY_BIT: Record<FormatName, bigint> = { 'x86-64': X86_64_D, 'vtd-ss': VTD_SS_D, 'riscv-sv': RISCV_SV_D };

export interface OracleLeafEntry {
  fault: number;
  level: number;
  /** The leaf entry's address; on a fault the walk's fault address. */
  addr: bigint;
  /** The entry's value, 0n when it could not be read (or for ADDRESS_SIZE). */
  value: bigint;
}

/**
 * The leaf entry mapping `iova` in a single-stage space: a walk that asks for no
 * permission and writes no A/D, whose last read (when it succeeds) is the leaf.
 */
export function oracleLeafEntry(mem: PhysMemory, paBits: number, space: SpaceDescriptor, iova: bigint): OracleLeafEntry {
  if (space.parent !== undefined) throw new Error('oracleLeafEntry: single-stage spaces only');
  const reads: bigint[] = [];
  const recorder: PhysMemory = {
    read64: (pa) => { reads.push(pa); return mem.read64(pa); },
    write64: (pa) => { throw new Error(`oracleLeafEntry: unexpected write at 0x${pa.toString(16)}`); },
  };
  const t = walkSpace(recorder, paBits, { ...space, ad: false }, iova, 0).translation;
  const addr = t.fault === FaultReason.NONE ? reads[reads.length - 1] : t.addr;
  const readable = t.fault !== FaultReason.ADDRESS_SIZE && t.fault !== FaultReason.EXTERNAL;
  return { fault: t.fault, level: t.level, addr, value: readable ? (mem.read64(addr) ?? 0n) : 0n };
}

/**
 * Bit i of the bitmap: a dirty leaf overlaps [iova + i*pageSize, +pageSize). With
 * `clear`, every dirty leaf met has its D bit cleared (the whole leaf). Holes,
 * unreadable tables and reserved entries are skipped one entry at a time. The range
 * must be one the engine accepts (aligned, inside the format's input).
 */
export function oracleReadDirty(mem: PhysMemory, paBits: number, space: SpaceDescriptor, iova: bigint, size: bigint,
  pageSize: bigint, clear: boolean): { bitmap: Uint8Array; dirtyLeaves: number } {
  const dirtyBit = DIRTY_BIT[space.format];
  const last = iova + size - 1n;
  const bitmap = new Uint8Array(Number((size / pageSize + 7n) / 8n));
  let dirtyLeaves = 0;
  let at = iova;
  while (at <= last) {
    const leaf = oracleLeafEntry(mem, paBits, space, at);
    const spanLast = at | ((1n << BigInt(12 + 9 * leaf.level)) - 1n);
    if (leaf.fault === FaultReason.NONE && (leaf.value & dirtyBit) !== 0n) {
      const to = spanLast < last ? spanLast : last;
      const end = Number((to - iova) / pageSize);
      for (let bit = Number((at - iova) / pageSize); bit <= end; bit++) bitmap[bit >> 3] |= 1 << (bit & 7);
      dirtyLeaves++;
      if (clear) mem.write64(leaf.addr, leaf.value & ~dirtyBit);
    }
    at = spanLast + 1n;
  }
  return { bitmap, dirtyLeaves };
}
