// Intel VT-d second-stage tables (3/4/5 levels). No present bit: an entry is present
// when R or W is set. Bits: R 0, W 1, X 2, PS 7, A 8, D 9, address 51:12.
import { ADDRESS_MASK, PERM_R, PERM_W, PERM_X, PERM_U, levelShift, index9, psLeaf, psReserved, psLeafOk, leafBase } from './common';

const R: u64 = 1;
const W: u64 = 2;
const X: u64 = 4;
const PS: u64 = 0x80;
const RESERVED_2M: u64 = 0x1F_F000;
const RESERVED_1G: u64 = 0x3FFF_F000;

@final @unmanaged export class VtdSs {
  /** A real format (as opposed to NoParent). */
  @inline exists(): bool { return true; }
  /** Level counts the format has. */
  @inline levelsOk(levels: u32): bool { return levels >= 3 && levels <= 5; }
  /** Geometry: 4 KiB tables of 512 entries, 9 index bits a level above the 12-bit page offset. */
  @inline levelShift(level: u32): u32 { return levelShift(level); }
  @inline index(input: u64, level: u32): u64 { return index9(input, level); }
  @inline tableEntries(): u32 { return 512; }
  /** Index bits of every level (the walker steps a cursor by them). */
  @inline indexBits(): u32 { return 9; }
  @inline inputOk(iova: u64, levels: u32): bool {
    return (iova >> <u64>levelShift(levels)) == 0;
  }
  @inline rangeOk(first: u64, last: u64, levels: u32): bool {
    return first <= last && this.inputOk(last, levels);
  }
  @inline present(pte: u64): bool { return (pte & (R | W)) != 0; }
  @inline isLeaf(pte: u64, level: u32): bool { return psLeaf(pte, level); }
  @inline reserved(pte: u64, level: u32, paMask: u64): bool {
    return psReserved(pte, level, paMask, RESERVED_2M, RESERVED_1G);
  }
  /**
   * The walker's fast test for a leaf: present and no address bit in `aboveWidth`
   * (the context's aboveWidthMask), then leafOk; together exactly present &&
   * !reserved for an entry isLeaf calls a leaf.
   */
  @inline fastOk(pte: u64, aboveWidth: u64): bool { return (pte & (R | W)) != 0 && (pte & aboveWidth) == 0; }
  /**
   * A plain table entry (R or W, PS clear, nothing above the width) in one test:
   * (pte & 3) - 1 has bit 2 set exactly when neither R nor W is, and `plain`
   * (plainMask's, made once per walk) has no bit below 7. Only for levels 1+.
   */
  @inline plainMask(aboveWidth: u64): u64 { return aboveWidth | PS; }
  @inline plainTable(pte: u64, plain: u64): bool { return ((pte & plain) | (((pte & 3) - 1) & 4)) == 0; }
  @inline leafOk(pte: u64, level: u32): bool { return psLeafOk(pte, level, RESERVED_2M, RESERVED_1G); }
  @inline tableAddr(pte: u64): u64 { return pte & ADDRESS_MASK; }
  @inline leafAddr(pte: u64, level: u32): u64 { return leafBase(pte, level); }
  /** R, W, X sit at the permission bits' own positions; a second stage has no privilege notion: U always. */
  @inline perms(pte: u64): u32 { return this.permsOf(this.allows(pte)); }
  /** R, W and X are bits every entry must set: the entry as it is. */
  @inline allows(pte: u64): u64 { return pte; }
  /** perms of a walk from the AND of its entries' allows. */
  @inline permsOf(allowed: u64): u32 {
    return PERM_U | <u32>(allowed & (R | W | X));
  }
  @inline accessedBit(): u64 { return 0x100; }
  /** Hardware sets A in table entries too. */
  @inline tableAccessed(): bool { return true; }
  /** With A/D update off, A and D are not used at all. */
  @inline adOffFaults(): bool { return false; }
  @inline dirtyBit(): u64 { return 0x200; }
  @inline canLeaf(level: u32): bool { return level <= 2; }
  /** A leaf with neither R nor W would read as not present. */
  @inline mappable(perms: u32): bool { return (perms & (PERM_R | PERM_W)) != 0; }
  @inline makeTable(pa: u64): u64 { return pa | R | W | X; }
  /** `hardwareAd`: the space's A/D update is on (unused: leaves start with A and D clear). */
  @inline makeLeaf(pa: u64, level: u32, perms: u32, hardwareAd: bool): u64 {
    let pte = pa;
    if (perms & PERM_R) pte |= R;
    if (perms & PERM_W) pte |= W;
    if (perms & PERM_X) pte |= X;
    if (level > 0) pte |= PS;
    return pte;
  }
}

export const VTD_SS_FORMAT = changetype<VtdSs>(0);
