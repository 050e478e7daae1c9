// RISC-V Sv39/Sv48/Sv57 first-stage tables, exactly as docs/formats.md "RISC-V"
// states them (from the RISC-V privileged spec's "Virtual-address translation
// process" and the RISC-V IOMMU spec). One function, read top to bottom.

import { FaultReason, Perm, type SpaceDescriptor } from '../engine/types.js';
import { finishLeaf } from './leaf.js';
import { faultReport, type WalkReport } from './report.js';
import type { TableView } from './table-view.js';

const V = 1n << 0n;
const R = 1n << 1n;
const W = 1n << 2n;
const X = 1n << 3n;
const U = 1n << 4n;
const A = 1n << 6n;
export const D = 1n << 7n;
/** Bits 63:54: reserved (60:54), PBMT (62:61) and N (63): Svpbmt and Svnapot are not modelled. */
const HIGH = ((1n << 10n) - 1n) << 54n;

export function walkRiscvSv(view: TableView, paBits: number, space: SpaceDescriptor, iova: bigint, access: number): WalkReport {
  if (space.levels < 3 || space.levels > 5) throw new RangeError(`riscv-sv has 3, 4 or 5 levels (Sv39, Sv48, Sv57), not ${space.levels}`);
  const rootLevel = space.levels - 1;
  if (!isSignExtended(iova, space.levels)) return faultReport(FaultReason.ADDRESS_SIZE, 1, rootLevel, iova);

  let table = space.root & ~0xfffn;
  for (let level = rootLevel; level >= 0; level--) {
    const entryAddr = table + ((iova >> BigInt(12 + 9 * level)) & 511n) * 8n;
    const read = view.read(entryAddr, level);
    if (typeof read !== 'bigint') return read;
    let entry = read;
    if ((entry & V) === 0n) return faultReport(FaultReason.TRANSLATION, 1, level, entryAddr);
    const output = ((entry >> 10n) & ((1n << 44n) - 1n)) << 12n;
    const isLeaf = (entry & (R | W | X)) !== 0n;
    const pageShift = 12 + 9 * level;
    const reserved =
      (entry & HIGH) !== 0n ||
      output >> BigInt(paBits) !== 0n ||
      (entry & (R | W)) === W ||
      // A pointer at the last level, and a superpage whose PPN has bits below its size.
      (!isLeaf && level === 0) ||
      (isLeaf && (output & ((1n << BigInt(pageShift)) - 1n)) !== 0n);
    if (reserved) return faultReport(FaultReason.RESERVED, 1, level, entryAddr);
    if (!isLeaf) {
      // Table entries grant everything; their A, D and U are reserved and neither read nor set.
      table = output;
      continue;
    }
    if (space.ad && !space.inspect && (entry & A) === 0n) {
      entry |= A;
      const refused = view.setBits(entryAddr, A);
      if (refused) return refused;
    }
    let perms = 0;
    if (entry & R) perms |= Perm.R;
    if (entry & W) perms |= Perm.W;
    if (entry & X) perms |= Perm.X;
    if (entry & U) perms |= Perm.U;
    return finishLeaf(view, space, iova, access, { level, entryAddr, entry, perms, pageShift, base: output, dirtyBit: D, accessedBitRequired: A });
  }
  throw new Error('unreachable: a pointer at level 0 is reserved');
}

/** Bits 63:(12+9·levels−1) all equal (Sv39: bits 63:38). */
function isSignExtended(iova: bigint, levels: number): boolean {
  const signBit = BigInt(12 + 9 * levels - 1);
  const high = iova >> signBit;
  return high === 0n || high === (1n << (64n - signBit)) - 1n;
}
