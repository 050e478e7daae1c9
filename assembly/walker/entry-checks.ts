// What every walk step asks of an entry it has just read, shared by the kernel's
// steps (kernel.ts) and the lean parent walk (parent-walk.ts).
import { levelShift } from '../formats/common';
import { ctxPaMask } from './context';
import { REASON_TRANSLATION, REASON_RESERVED, REASON_EXTERNAL } from './codes';

/**
 * The fast test: present and no reserved bit, in as few operations as the format
 * allows (fastOk, then tableOk or leafOk by what `leaf` says). Exactly
 * present && !reserved; when it fails, entryFault says why.
 */
@inline export function entryOk<F>(f: F, pte: u64, level: u32, leaf: bool, aboveWidth: u64): bool {
  return f.fastOk(pte, aboveWidth) && (leaf ? f.leafOk(pte, level) : f.tableOk(pte));
}

export const ENTRY_BAD: u32 = 0;
export const ENTRY_TABLE: u32 = 1;
export const ENTRY_LEAF: u32 = 2;

/**
 * What the entry just read at `level` is: a plain table entry (the common case
 * above the last level) in one test, a last-level leaf in a few, anything else
 * through entryOk. `plain` is the
 * format's plainMask for the walk's width.
 */
@inline export function entryKind<F>(f: F, pte: u64, level: u32, plain: u64, aboveWidth: u64): u32 {
  if (level != 0) {
    if (f.plainTable(pte, plain)) return ENTRY_TABLE;
  } else if (f.isLeaf(pte, 0)) {
    // The last level (a leaf in every format so far): the checks fold to fastOk.
    if (entryOk(f, pte, 0, true, aboveWidth)) return ENTRY_LEAF;
  }
  const leaf = f.isLeaf(pte, level);
  if (!entryOk(f, pte, level, leaf, aboveWidth)) return ENTRY_BAD;
  return leaf ? ENTRY_LEAF : ENTRY_TABLE;
}

/**
 * Why the entry just read (`pte`, through host pointer `ptr`; 0 = not backed) stops
 * the walk: the exact checks in the architecture's order, taken only when entryOk
 * failed. An unbacked pointer is 0, and linear address 0 holds the null entry (the
 * compiler places no data below 8 and nothing writes there), which no format reads
 * as present: so the fast test needs no pointer check.
 */
export function entryFault<F>(f: F, ptr: usize, pte: u64, level: u32): u32 {
  if (!ptr) return REASON_EXTERNAL;
  if (!f.present(pte)) return REASON_TRANSLATION;
  if (f.reserved(pte, level, ctxPaMask)) return REASON_RESERVED;
  // entryOk and these checks disagree: a format's hooks are inconsistent.
  assert(false);
  return REASON_RESERVED;
}

/** The low bits of `input` inside a page mapped at `level`. */
@inline export function offsetIn(input: u64, level: u32): u64 {
  return input & ((<u64>1 << <u64>levelShift(level)) - 1);
}
