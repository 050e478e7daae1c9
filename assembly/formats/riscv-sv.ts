// RISC-V Sv39/Sv48/Sv57 first-stage tables (3/4/5 levels; the RISC-V IOMMU's
// first stage and the privileged spec's supervisor paging). Bits: V 0, R 1, W 2,
// X 3, U 4, G 5, A 6, D 7, RSW 9:8, PPN 53:10 (the output address's bits 55:12),
// reserved 60:54, PBMT 62:61, N 63 (docs/formats.md "RISC-V").
//
// An entry with R = W = X = 0 points at the next table; any of them set makes it a
// leaf at any level (Sv48's level 3 maps 512 GiB). W without R (W, W+X) is a
// reserved encoding; so is a pointer at the last level, a superpage whose PPN has
// bits below its size, and, Svpbmt and Svnapot not being modelled, PBMT and N.
// Permissions are the leaf's alone: table entries grant everything.
import { ADDRESS_MASK, PERM_R, PERM_W, PERM_X, PERM_U, levelShift, index9, signExtendedOk, sameHalfOk } from './common';

const V: u64 = 1;
const R: u64 = 2;
const W: u64 = 4;
const X: u64 = 8;
const U: u64 = 0x10;
const A: u64 = 0x40;
const D: u64 = 0x80;
const RWX: u64 = R | W | X;
/** Bits 63:54: reserved, PBMT and N. */
const HIGH: u64 = 0xFFC0_0000_0000_0000;
/** PPN bits 53:10. */
const PPN: u64 = 0x003F_FFFF_FFFF_FC00;
/** PPN bits for output address bits 55:52, above every physical width the engine has (<= 46). */
const PPN_ABOVE_52: u64 = 0x003C_0000_0000_0000;

/** The output address an entry names (PPN << 12). */
@inline function outputOf(pte: u64): u64 { return (pte & PPN) << 2; }

/**
 * The PPN bits whose output address bits lie at or above the physical width, from
 * the walker's mask of those address bits in x86 positions (ADDRESS_MASK & ~paMask):
 * PPN bit n holds address bit n + 2.
 */
@inline function ppnAbove(aboveWidth: u64): u64 { return ((aboveWidth & ADDRESS_MASK) >> 2) | PPN_ABOVE_52; }

@final @unmanaged export class RiscvSv {
  /** A real format (as opposed to NoParent). */
  @inline exists(): bool { return true; }
  /** Sv39, Sv48, Sv57. */
  @inline levelsOk(levels: u32): bool { return levels >= 3 && levels <= 5; }
  /** Geometry: 4 KiB tables of 512 entries, 9 index bits a level above the 12-bit page offset. */
  @inline levelShift(level: u32): u32 { return levelShift(level); }
  @inline index(input: u64, level: u32): u64 { return index9(input, level); }
  @inline tableEntries(): u32 { return 512; }
  /** Index bits of every level (the walker steps a cursor by them). */
  @inline indexBits(): u32 { return 9; }
  /** The input is sign-extended from its top bit (bit 38, 47 or 56), as x86-64's is canonical. */
  @inline inputOk(iova: u64, levels: u32): bool { return signExtendedOk(iova, levels); }
  /** A range may not cross the hole between the halves: both ends valid, in the same half. */
  @inline rangeOk(first: u64, last: u64, levels: u32): bool { return sameHalfOk(first, last, levels); }
  @inline present(pte: u64): bool { return (pte & V) != 0; }
  /** A leaf has R, W or X; at level 0 every entry is read as a leaf (a pointer there is reserved). */
  @inline isLeaf(pte: u64, level: u32): bool { return level == 0 || (pte & RWX) != 0; }
  @inline reserved(pte: u64, level: u32, paMask: u64): bool {
    if ((pte & HIGH) != 0) return true;
    if ((outputOf(pte) & ~paMask) != 0) return true;
    if ((pte & (R | W)) == W) return true;
    return !this.leafOk(pte, level) && this.isLeaf(pte, level);
  }
  /** Present, nothing in bits 63:54, the output inside the width, and not W without R. */
  @inline fastOk(pte: u64, aboveWidth: u64): bool {
    return (pte & V) != 0 && (pte & (HIGH | ppnAbove(aboveWidth))) == 0 && (pte & (R | W)) != W;
  }
  /**
   * The rest of the leaf checks: a leaf encoding (not a pointer at the last level) and
   * a superpage's PPN clear below its size.
   */
  @inline leafOk(pte: u64, level: u32): bool {
    if ((pte & RWX) == 0) return false;
    return level == 0 || (outputOf(pte) & ((<u64>1 << <u64>levelShift(level)) - 1)) == 0;
  }
  /** A plain table entry: V, no R/W/X, nothing reserved, the next table inside the width. */
  @inline plainMask(aboveWidth: u64): u64 { return HIGH | ppnAbove(aboveWidth) | RWX | V; }
  @inline plainTable(pte: u64, plain: u64): bool { return (pte & plain) == V; }
  @inline tableAddr(pte: u64): u64 { return outputOf(pte); }
  @inline leafAddr(pte: u64, level: u32): u64 { return outputOf(pte) & ~((<u64>1 << <u64>levelShift(level)) - 1); }
  @inline perms(pte: u64): u32 { return this.permsOf(this.allows(pte)); }
  /** A table entry grants everything; a leaf its R, W, X and U. */
  @inline allows(pte: u64): u64 { return (pte & RWX) != 0 ? pte : 0xFFFF_FFFF_FFFF_FFFF; }
  /** R, W, X, U sit at bits 1..4: one shift to the engine's PERM bits. */
  @inline permsOf(allowed: u64): u32 { return <u32>(allowed >> 1) & (PERM_R | PERM_W | PERM_X | PERM_U); }
  @inline accessedBit(): u64 { return A; }
  @inline dirtyBit(): u64 { return D; }
  /** A and D of a table entry are reserved: hardware sets them on leaves only. */
  @inline tableAccessed(): bool { return false; }
  /**
   * Without hardware A/D update (the space's `ad` off: SADE/GADE = 0) a leaf with A
   * clear, or D clear for a write, is a page fault (ACCESS_FLAG here).
   */
  @inline adOffFaults(): bool { return true; }
  /** The builder makes 4 KiB, 2 MiB and 1 GiB pages. */
  @inline canLeaf(level: u32): bool { return level <= 2; }
  /** A leaf needs R or X, and W needs R (W alone and W+X are reserved). */
  @inline mappable(perms: u32): bool {
    return (perms & PERM_R) != 0 || ((perms & PERM_X) != 0 && (perms & PERM_W) == 0);
  }
  @inline makeTable(pa: u64): u64 { return ((pa >> 12) << 10) | V; }
  /**
   * A is set, and D on a writable leaf unless the hardware updates A/D
   * (`hardwareAd`), as Linux's RISC-V IOMMU driver writes them: without the update
   * a clear bit would fault every access; with it, D starts clear for dirty tracking.
   */
  @inline makeLeaf(pa: u64, level: u32, perms: u32, hardwareAd: bool): u64 {
    let pte = ((pa >> 12) << 10) | V | A;
    if ((perms & PERM_W) && !hardwareAd) pte |= D;
    if (perms & PERM_R) pte |= R;
    if (perms & PERM_W) pte |= W;
    if (perms & PERM_X) pte |= X;
    if (perms & PERM_U) pte |= U;
    return pte;
  }
}

export const RISCV_SV_FORMAT = changetype<RiscvSv>(0);
