// x86-64 4/5-level paging (VT-d first stage, AMD v2), exactly as docs/formats.md
// "x86-64" states it. One function, read top to bottom.

import { FaultReason, Perm, type SpaceDescriptor } from '../engine/types.js';
import { finishLeaf } from './leaf.js';
import { faultReport, type WalkReport } from './report.js';
import type { TableView } from './table-view.js';

const P = 1n << 0n;
const RW = 1n << 1n;
const US = 1n << 2n;
const A = 1n << 5n;
export const D = 1n << 6n;
const PS = 1n << 7n;
const XD = 1n << 63n;
/** Address bits 51:12. */
const ADDRESS = ((1n << 52n) - 1n) & ~0xfffn;
/** Large-page low address bits: 20:13 (2 MiB) and 29:13 (1 GiB); bit 12 is PAT. */
const LOW_BITS_2M = ((1n << 21n) - 1n) & ~0x1fffn;
const LOW_BITS_1G = ((1n << 30n) - 1n) & ~0x1fffn;

export function walkX86_64(view: TableView, paBits: number, space: SpaceDescriptor, iova: bigint, access: number): WalkReport {
  if (space.levels !== 4 && space.levels !== 5) throw new RangeError(`x86-64 has 4 or 5 levels, not ${space.levels}`);
  const rootLevel = space.levels - 1;
  if (!isCanonical(iova, space.levels)) return faultReport(FaultReason.ADDRESS_SIZE, 1, rootLevel, iova);

  // Tables are 4 KiB aligned; the low bits of a root pointer are not address bits.
  let table = space.root & ~0xfffn;
  let perms = Perm.R | Perm.W | Perm.X | Perm.U;
  for (let level = rootLevel; level >= 0; level--) {
    const entryAddr = table + indexAt(iova, level) * 8n;
    const read = view.read(entryAddr, level);
    if (typeof read !== 'bigint') return read;
    let entry = read;
    if ((entry & P) === 0n) return faultReport(FaultReason.TRANSLATION, 1, level, entryAddr);
    if (hasReservedBits(entry, level, paBits)) return faultReport(FaultReason.RESERVED, 1, level, entryAddr);

    if (space.ad && !space.inspect && (entry & A) === 0n) {
      entry |= A;
      const refused = view.setBits(entryAddr, A);
      if (refused) return refused;
    }
    perms &= entryPerms(entry);

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

/** Bits 63:(12+9·levels−1) all equal. */
function isCanonical(iova: bigint, levels: number): boolean {
  const signBit = BigInt(12 + 9 * levels - 1);
  const high = iova >> signBit;
  return high === 0n || high === (1n << (64n - signBit)) - 1n;
}

function indexAt(iova: bigint, level: number): bigint {
  return (iova >> BigInt(12 + 9 * level)) & 511n;
}

function hasReservedBits(entry: bigint, level: number, paBits: number): boolean {
  const aboveHost = ADDRESS & ~((1n << BigInt(paBits)) - 1n);
  if ((entry & aboveHost) !== 0n) return true;
  if ((entry & PS) === 0n) return false;
  // PS at level 0 is the PAT bit, not a page-size bit.
  if (level >= 3) return true;
  if (level === 2) return (entry & LOW_BITS_1G) !== 0n;
  if (level === 1) return (entry & LOW_BITS_2M) !== 0n;
  return false;
}

function entryPerms(entry: bigint): number {
  let perms = Perm.R;
  if ((entry & RW) !== 0n) perms |= Perm.W;
  if ((entry & US) !== 0n) perms |= Perm.U;
  if ((entry & XD) === 0n) perms |= Perm.X;
  return perms;
}
