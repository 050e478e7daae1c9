// x86-64 4/5-level paging as read by an IOMMU first stage (VT-d FS, AMD v2).
// Bits: P 0, R/W 1, U/S 2, A 5, D 6, PS 7, address 51:12, XD 63 (docs/formats.md).
import { ADDRESS_MASK, PERM_R, PERM_W, PERM_X, PERM_U, levelShift, index9, signExtendedOk, sameHalfOk, psLeaf, psReserved, psLeafOk, leafBase } from './common';

const P: u64 = 1;
const RW: u64 = 2;
const US: u64 = 4;
const PS: u64 = 0x80;
const XD: u64 = 1 << 63;
/** Large-page address bits that must be zero (bit 12 is PAT, not an address bit). */
const RESERVED_2M: u64 = 0x1F_E000;
const RESERVED_1G: u64 = 0x3FFF_E000;

@final @unmanaged export class X86_64 {
  /** A real format (as opposed to NoParent). */
  @inline exists(): bool { return true; }
  /** Level counts the format has. */
  @inline levelsOk(levels: u32): bool { return levels == 4 || levels == 5; }
  /** Geometry: 4 KiB tables of 512 entries, 9 index bits a level above the 12-bit page offset. */
  @inline levelShift(level: u32): u32 { return levelShift(level); }
  @inline index(input: u64, level: u32): u64 { return index9(input, level); }
  @inline tableEntries(): u32 { return 512; }
  /** Index bits of every level (the walker steps a cursor by them). */
  @inline indexBits(): u32 { return 9; }
  /** Canonical: bits 63:(12+9·levels−1) all equal. */
  @inline inputOk(iova: u64, levels: u32): bool { return signExtendedOk(iova, levels); }
  /** A range may not cross the non-canonical hole: both ends canonical, in the same half. */
  @inline rangeOk(first: u64, last: u64, levels: u32): bool { return sameHalfOk(first, last, levels); }
  @inline present(pte: u64): bool { return (pte & P) != 0; }
  @inline isLeaf(pte: u64, level: u32): bool { return psLeaf(pte, level); }
  @inline reserved(pte: u64, level: u32, paMask: u64): bool {
    return psReserved(pte, level, paMask, RESERVED_2M, RESERVED_1G);
  }
  /**
   * The walker's fast test for a leaf: present and no address bit in `aboveWidth`
   * (the context's aboveWidthMask), then leafOk; together exactly present &&
   * !reserved for an entry isLeaf calls a leaf.
   */
  @inline fastOk(pte: u64, aboveWidth: u64): bool { return (pte & P) != 0 && (pte & aboveWidth) == 0; }
  /**
   * A plain table entry (present, PS clear, nothing above the width) is one masked
   * compare: `plain` is plainMask's, made once per walk. Only for levels 1+.
   */
  @inline plainMask(aboveWidth: u64): u64 { return aboveWidth | PS | P; }
  @inline plainTable(pte: u64, plain: u64): bool { return (pte & plain) == P; }
  @inline leafOk(pte: u64, level: u32): bool { return psLeafOk(pte, level, RESERVED_2M, RESERVED_1G); }
  @inline tableAddr(pte: u64): u64 { return pte & ADDRESS_MASK; }
  @inline leafAddr(pte: u64, level: u32): u64 { return leafBase(pte, level); }
  /** R always; W from R/W (bit 1); U from U/S (bit 2 -> 3); X unless XD (bit 63 -> 2). */
  @inline perms(pte: u64): u32 { return this.permsOf(this.allows(pte)); }
  /** The entry with XD flipped, so that every permission bit is one all entries must allow. */
  @inline allows(pte: u64): u64 { return pte ^ XD; }
  /** perms of a walk from the AND of its entries' allows: R/W and U/S set in all, XD in none. */
  @inline permsOf(allowed: u64): u32 {
    return PERM_R | <u32>(allowed & RW) | (<u32>(allowed & US) << 1) | <u32>((allowed >> 61) & 4);
  }
  @inline accessedBit(): u64 { return 0x20; }
  /** Hardware sets A in table entries too. */
  @inline tableAccessed(): bool { return true; }
  /** With A/D update off, A and D are not used at all. */
  @inline adOffFaults(): bool { return false; }
  @inline dirtyBit(): u64 { return 0x40; }
  @inline canLeaf(level: u32): bool { return level <= 2; }
  @inline mappable(perms: u32): bool { return true; }
  @inline makeTable(pa: u64): u64 { return pa | P | RW | US; }
  /** `hardwareAd`: the space's A/D update is on (unused: leaves start with A and D clear). */
  @inline makeLeaf(pa: u64, level: u32, perms: u32, hardwareAd: bool): u64 {
    let pte = pa | P;
    if (perms & PERM_W) pte |= RW;
    if (perms & PERM_U) pte |= US;
    if (!(perms & PERM_X)) pte |= XD;
    if (level > 0) pte |= PS;
    return pte;
  }
}

export const X86_64_FORMAT = changetype<X86_64>(0);
