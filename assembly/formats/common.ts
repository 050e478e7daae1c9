// Bits and helpers every x86-like format (9 index bits per level, 4 KiB tables) shares.
export const ADDRESS_MASK: u64 = 0x000F_FFFF_FFFF_F000;
export const PERM_R: u32 = 1;
export const PERM_W: u32 = 2;
export const PERM_X: u32 = 4;
export const PERM_U: u32 = 8;
export const PERM_ALL: u32 = 15;

@inline export function levelShift(level: u32): u32 {
  return 12 + 9 * level;
}

/** The index of `input`'s entry in a 512-entry table at `level`. */
@inline export function index9(input: u64, level: u32): u64 {
  return (input >> <u64>levelShift(level)) & 511;
}

/**
 * An input sign-extended from its top index bit (x86-64 canonical, RISC-V Sv*): the
 * bits above it are copies of it, so shifted down (arithmetically) they read 0 or
 * -1, and one more reads 1 or 0.
 */
@inline export function signExtendedOk(iova: u64, levels: u32): bool {
  const top = <u64>(levelShift(levels) - 1);
  return <u64>((<i64>iova >> <i64>top) + 1) <= 1;
}

/** A range that does not cross the hole between the halves: both ends valid, in the same half. */
@inline export function sameHalfOk(first: u64, last: u64, levels: u32): bool {
  return signExtendedOk(first, levels) && signExtendedOk(last, levels) && (<i64>(first ^ last)) >= 0;
}

/** Address bits at or above the physical width: reserved in every present entry. */
@inline export function aboveWidth(pte: u64, paMask: u64): bool {
  return (pte & ADDRESS_MASK & ~paMask) != 0;
}

/** Bit 7 (PS) of a non-leaf-level entry says "this is a large page" in both x86-like formats. */
export const PS_BIT: u64 = 0x80;

/** Leaf when at level 0, or PS at level 1 (2 MiB) or 2 (1 GiB). */
@inline export function psLeaf(pte: u64, level: u32): bool {
  return level == 0 || ((pte & PS_BIT) != 0 && level <= 2);
}

/**
 * Reserved bits shared by the x86-like formats: address bits above the physical
 * width; PS where no leaf may be (level 3+); large-page address bits below the page
 * size (`low2M`/`low1G`: the format's masks, which differ in bit 12).
 */
@inline export function psReserved(pte: u64, level: u32, paMask: u64, low2M: u64, low1G: u64): bool {
  if (aboveWidth(pte, paMask)) return true;
  if (level == 0 || !(pte & PS_BIT)) return false;
  if (level >= 3) return true;
  return (pte & (level == 1 ? low2M : low1G)) != 0;
}

/** ADDRESS_MASK bits at or above the physical width (the walk context keeps it per run). */
@inline export function aboveWidthMask(paMask: u64): u64 {
  return ADDRESS_MASK & ~paMask;
}

/** psReserved for a leaf that passed the width test: a large leaf's low address bits clear. */
@inline export function psLeafOk(pte: u64, level: u32, low2M: u64, low1G: u64): bool {
  return level == 0 || (pte & (level == 1 ? low2M : low1G)) == 0;
}

/** Output base of a leaf at `level`: the address bits above the page offset. */
@inline export function leafBase(pte: u64, level: u32): u64 {
  return pte & ADDRESS_MASK & ~((<u64>1 << levelShift(level)) - 1);
}
