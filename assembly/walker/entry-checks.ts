// What every walk step asks of an entry it has just read, shared by the kernel's
// steps (kernel.ts) and the lean parent walk (parent-walk.ts): classifyEntry's
// answer (table-entry.ts), with the two common cases taken first in a test or two.
import { classifyEntry, unusableReason, ENTRY_LEAF, ENTRY_TABLE } from '../table-entry';
import { REASON_EXTERNAL } from './codes';

/**
 * classifyEntry for the entry just read at `level`: a plain table entry (the common
 * case above the last level) in one test, a last-level leaf that is present with
 * nothing reserved in a few, anything else through the full checks. `plain` is the
 * format's plainMask for the walk's width, `aboveWidth` the context's aboveWidthMask.
 */
@inline export function entryKind<F>(f: F, pte: u64, level: u32, plain: u64, aboveWidth: u64): u32 {
  if (level != 0) {
    if (f.plainTable(pte, plain)) return ENTRY_TABLE;
  } else if (f.isLeaf(pte, 0)) {
    if (f.fastOk(pte, aboveWidth) && f.leafOk(pte, 0)) return ENTRY_LEAF;
  }
  return classifyEntry(f, pte, level);
}

/**
 * Why the walk stops at an entry whose kind is neither leaf nor table, read through
 * host pointer `ptr` (0 = not backed). An unbacked pointer is 0, and linear address
 * 0 holds the null entry (the compiler places no data below 8 and nothing writes
 * there), which no format reads as present: the entry tests need no pointer check.
 */
@inline export function entryFault(ptr: usize, kind: u32): u32 {
  return ptr ? unusableReason(kind) : REASON_EXTERNAL;
}

/** The low bits of `input` inside a page of format `f` mapped at `level`. */
@inline export function offsetIn<F>(f: F, input: u64, level: u32): u64 {
  return input & ((<u64>1 << <u64>f.levelShift(level)) - 1);
}
