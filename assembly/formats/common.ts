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

/** Address bits at or above the physical width: reserved in every present entry. */
@inline export function aboveWidth(pte: u64, paMask: u64): bool {
  return (pte & ADDRESS_MASK & ~paMask) != 0;
}
