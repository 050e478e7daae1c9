// VT-d second-stage paging, 3/4/5 levels, exactly as docs/formats.md "VT-d second
// stage" states it. One function, read top to bottom.

import { FaultReason, Perm, type SpaceDescriptor } from '../engine/types.js';
import { finishLeaf } from './leaf.js';
import { faultReport, type WalkReport } from './report.js';
import type { TableView } from './table-view.js';

const R = 1n << 0n;
const W = 1n << 1n;
const X = 1n << 2n;
const PS = 1n << 7n;
const A = 1n << 8n;
export const D = 1n << 9n;
/** Address bits 51:12. */
const ADDRESS = ((1n << 52n) - 1n) & ~0xfffn;
/** Large-page low address bits: 20:12 (2 MiB) and 29:12 (1 GiB). */
const LOW_BITS_2M = ((1n << 21n) - 1n) & ~0xfffn;
const LOW_BITS_1G = ((1n << 30n) - 1n) & ~0xfffn;

export function walkVtdSecondStage(view: TableView, paBits: number, space: SpaceDescriptor, iova: bigint, access: number): WalkReport {
  if (space.levels < 3 || space.levels > 5) throw new RangeError(`vtd-ss has 3, 4 or 5 levels, not ${space.levels}`);
  const rootLevel = space.levels - 1;
  if (iova >= 1n << BigInt(12 + 9 * space.levels)) return faultReport(FaultReason.ADDRESS_SIZE, 1, rootLevel, iova);

  // Tables are 4 KiB aligned; the low bits of a root pointer are not address bits.
  let table = space.root & ~0xfffn;
  let perms = Perm.R | Perm.W | Perm.X | Perm.U;
  for (let level = rootLevel; level >= 0; level--) {
    const entryAddr = table + indexAt(iova, level) * 8n;
    const read = view.read(entryAddr, level);
    if (typeof read !== 'bigint') return read;
    let entry = read;
    // There is no present bit: an entry that allows neither read nor write is empty.
    if ((entry & (R | W)) === 0n) return faultReport(FaultReason.TRANSLATION, 1, level, entryAddr);
    if (hasReservedBits(entry, level, paBits)) return faultReport(FaultReason.RESERVED, 1, level, entryAddr);

    if (space.ad && !space.inspect && (entry & A) === 0n) {
      entry |= A;
      const refused = view.setBits(entryAddr, A);
      if (refused) return refused;
    }
    perms &= entryPerms(entry);

    // Bit 7 of a level-0 entry is ignored, so only levels 1 and 2 can end early.
    const isLeaf = level === 0 || (entry & PS) !== 0n;
    if (isLeaf) {
      const pageShift = 12 + 9 * level;
      const base = entry & ADDRESS & ~((1n << BigInt(pageShift)) - 1n);
      return finishLeaf(view, space, iova, access, { level, entryAddr, entry, perms, pageShift, base, dirtyBit: D });
    }
    table = entry & ADDRESS;
  }
  throw new Error('unreachable: level 0 is always a leaf');
}

function indexAt(iova: bigint, level: number): bigint {
  return (iova >> BigInt(12 + 9 * level)) & 511n;
}

function hasReservedBits(entry: bigint, level: number, paBits: number): boolean {
  const aboveHost = ADDRESS & ~((1n << BigInt(paBits)) - 1n);
  if ((entry & aboveHost) !== 0n) return true;
  if ((entry & PS) === 0n || level === 0) return false;
  if (level >= 3) return true;
  if (level === 2) return (entry & LOW_BITS_1G) !== 0n;
  return (entry & LOW_BITS_2M) !== 0n;
}

/** A second stage has no privilege notion, so U is always granted. */
function entryPerms(entry: bigint): number {
  let perms = Perm.U;
  if ((entry & R) !== 0n) perms |= Perm.R;
  if ((entry & W) !== 0n) perms |= Perm.W;
  if ((entry & X) !== 0n) perms |= Perm.X;
  return perms;
}
