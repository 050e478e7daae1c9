// The "no parent" format: the second type argument of a single-stage walk. Its hooks
// are never reached (the walker checks `exists()` first, which folds to false).
@final @unmanaged export class NoParent {
  @inline exists(): bool { return false; }
  @inline levelsOk(levels: u32): bool { return false; }
  @inline levelShift(level: u32): u32 { return 0; }
  @inline index(input: u64, level: u32): u64 { return 0; }
  @inline tableEntries(): u32 { return 0; }
  @inline indexBits(): u32 { return 0; }
  @inline inputOk(iova: u64, levels: u32): bool { return false; }
  @inline present(pte: u64): bool { return false; }
  @inline isLeaf(pte: u64, level: u32): bool { return true; }
  @inline reserved(pte: u64, level: u32, paMask: u64): bool { return false; }
  @inline fastOk(pte: u64, aboveWidth: u64): bool { return false; }
  @inline leafOk(pte: u64, level: u32): bool { return false; }
  @inline plainMask(aboveWidth: u64): u64 { return 0; }
  @inline plainTable(pte: u64, plain: u64): bool { return false; }
  @inline allows(pte: u64): u64 { return 0; }
  @inline permsOf(allowed: u64): u32 { return 0; }
  @inline tableAddr(pte: u64): u64 { return 0; }
  @inline leafAddr(pte: u64, level: u32): u64 { return 0; }
  @inline perms(pte: u64): u32 { return 0; }
  @inline accessedBit(): u64 { return 0; }
  @inline dirtyBit(): u64 { return 0; }
  @inline tableAccessed(): bool { return false; }
  @inline adOffFaults(): bool { return false; }
}

export const NO_PARENT_FORMAT = changetype<NoParent>(0);
