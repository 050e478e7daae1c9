// The parent (stage-2) walk of a lean nested run (modes.ts: no A/D writes, no caches)
// kept in locals from the root down, and the end every nested walk shares
// (finishNested). The kernel's state machine (kernel.ts) takes over only where a
// read waits for the gather pass: this walk's last-level entry, unless `whole`.
import { entryAddress, entryPointer, entryPointerInWidth, ENTRY_LEAF } from '../table-entry';
import { PERM_U } from '../formats/common';
import { count, countBy, C_PTE_READS, C_STAGE2_WALKS } from '../counters';
import { REASON_PERMISSION, REASON_ADDRESS_SIZE, ACCESS_READ, ACCESS_WRITE } from './codes';
import { ctxParentLevels, ctxParentRoot, ctxParentRootTable, ctxParentTracksDirty, ctxTracksDirty, ctxWriteAd, ctxAboveWidth } from './context';
import {
  fail, finish, L_PTE, L_ENTRY, L_LEVEL, L_PERMS, L_ACCESS, L_STATE, L_PURPOSE,
  P_INPUT, P_LEVEL, P_PERMS, P_ACCESS, N_PTR, STATE_PARENT, PURPOSE_TABLE, PURPOSE_OUTPUT,
} from './lane';
import { entryKind, entryFault, offsetIn } from './entry-checks';
import { storeThroughParent } from './run';

/** parentWalk's answer when it has no address to give: the lane's state says why. */
export const NO_ADDRESS: u64 = 0xFFFF_FFFF_FFFF_FFFF;

/**
 * Walks the parent for the stage-1 table entry at `gpa` from its root and reads on
 * to the leaf: for the pages holding upper-level stage-1 tables, which are few, so
 * their parent entries stay in the CPU cache. Returns the entry's host address, or
 * NO_ADDRESS when the lane failed.
 */
export function parentWalkWhole<F, P, M>(f: F, p: P, m: M, lane: usize, gpa: u64): u64 {
  return parentWalk(f, p, m, lane, gpa, ACCESS_READ, PURPOSE_TABLE, true);
}

/**
 * Walks the parent for `gpa` (the lane's `purpose`) from its root and stops before
 * the last-level read, which the lane then waits for in STATE_PARENT (the gather
 * pass loads it, stepParent goes on). A large page can end the walk here: returns
 * the host address of a table entry reached so, or NO_ADDRESS: the lane failed,
 * waits, or (an output reached here) finished.
 */
export function parentWalkToLast<F, P, M>(f: F, p: P, m: M, lane: usize, gpa: u64, access: u32, purpose: u32): u64 {
  return parentWalk(f, p, m, lane, gpa, access, purpose, false);
}

@inline function parentWalk<F, P, M>(f: F, p: P, m: M, lane: usize, gpa: u64, access: u32, purpose: u32, whole: bool): u64 {
  count(C_STAGE2_WALKS);
  const levels = ctxParentLevels;
  if (!p.inputOk(gpa, levels)) { fail(lane, REASON_ADDRESS_SIZE, 2, levels - 1, gpa); return NO_ADDRESS; }
  const plain = p.plainMask(ctxAboveWidth);
  let level = levels - 1;
  // The input's index bits, the current level's on top: one shift per level instead
  // of a shift by a computed amount.
  let cursor = gpa << <u64>(64 - p.levelShift(levels));
  // The top index bits of the cursor: one level's index.
  const indexAt = <u64>(64 - p.indexBits());
  // Permissions as the AND of what the entries read allow (format's allows and
  // permsOf): one or two operations per entry instead of a conversion each.
  let allowed: u64 = 0xFFFF_FFFF_FFFF_FFFF;
  // The root may be any address a caller set (setRoot): when enterRun found no table
  // there, its entry is looked up (and checked against the width) as any other.
  const rootTable = ctxParentRootTable;
  const rootIndex = <usize>(cursor >> indexAt) << 3;
  let ptr = rootTable ? rootTable + rootIndex : entryPointer(ctxParentRoot + rootIndex);
  let pte: u64;
  // Plain table entries, the common case above the last level: one test each.
  while (true) {
    pte = load<u64>(ptr);
    allowed &= p.allows(pte);
    if (level == 0) break;
    if (!p.plainTable(pte, plain)) {
      return parentWalkOn(f, p, m, lane, gpa, access, purpose, levels, level, plain, ptr, pte, p.permsOf(allowed));
    }
    level--;
    cursor <<= <u64>p.indexBits();
    ptr = entryPointerInWidth(p.tableAddr(pte) + ((cursor >> indexAt) << 3));
    if (!whole) {
      if (level == 0) {
        countBy(C_PTE_READS, levels - 1);
        return waitForLastLevel(lane, gpa, access, purpose, p.permsOf(allowed), ptr);
      }
    }
  }
  if (entryKind(p, pte, 0, plain, ctxAboveWidth) != ENTRY_LEAF) {
    return parentWalkOn(f, p, m, lane, gpa, access, purpose, levels, 0, plain, ptr, pte, p.permsOf(allowed));
  }
  countBy(C_PTE_READS, levels);
  return parentLeaf(f, p, m, lane, gpa, access, purpose, 0, pte, p.permsOf(allowed));
}

/**
 * The rest of a parent walk from an entry just read at `level` that neither the
 * plain-table nor the last-level test took (a large page, a fault, a table the
 * format marks otherwise): each entry classified in full. Reads to the end.
 */
function parentWalkOn<F, P, M>(
  f: F, p: P, m: M, lane: usize, gpa: u64, access: u32, purpose: u32,
  levels: u32, level: u32, plain: u64, ptr: usize, pte: u64, perms: u32,
): u64 {
  while (true) {
    const kind = entryKind(p, pte, level, plain, ctxAboveWidth);
    if (kind < ENTRY_LEAF) {
      countBy(C_PTE_READS, levels - level);
      fail(lane, entryFault(ptr, kind), 2, level, gpa);
      return NO_ADDRESS;
    }
    perms &= p.perms(pte);
    if (kind == ENTRY_LEAF) {
      countBy(C_PTE_READS, levels - level);
      return parentLeaf(f, p, m, lane, gpa, access, purpose, level, pte, perms);
    }
    level--;
    ptr = entryPointerInWidth(entryAddress(p, p.tableAddr(pte), gpa, level));
    pte = load<u64>(ptr);
  }
}

/** The parent walk's leaf: checks the access, then answers the table entry's host address or finishes the output. */
@inline function parentLeaf<F, P, M>(f: F, p: P, m: M, lane: usize, gpa: u64, access: u32, purpose: u32, level: u32, pte: u64, perms: u32): u64 {
  if ((perms & access) != access) { fail(lane, REASON_PERMISSION, 2, level, gpa); return NO_ADDRESS; }
  const host = p.leafAddr(pte, level) | offsetIn(p, gpa, level);
  if (purpose != PURPOSE_OUTPUT) return host;
  finishNested(f, m, lane, host, perms, p.levelShift(level), !ctxParentTracksDirty || (pte & p.dirtyBit()) != 0, gpa);
  return NO_ADDRESS;
}

/** Leaves the lane waiting for the parent's last-level entry at `ptr` (STATE_PARENT). */
function waitForLastLevel(lane: usize, gpa: u64, access: u32, purpose: u32, perms: u32, ptr: usize): u64 {
  store<u64>(lane + P_INPUT, gpa);
  store<u32>(lane + P_ACCESS, access);
  store<u32>(lane + L_PURPOSE, purpose);
  store<i32>(lane + P_LEVEL, 0);
  store<u32>(lane + P_PERMS, perms);
  store<u32>(lane + N_PTR, <u32>ptr);
  store<u32>(lane + L_STATE, STATE_PARENT);
  return NO_ADDRESS;
}

/**
 * Ends a nested walk at the parent's leaf for the output `gpa`. Stage 1's D goes
 * last: a write the parent refused must leave the stage-1 leaf clean.
 */
export function finishNested<F, M>(
  f: F, m: M, lane: usize, host: u64, parentPerms: u32, parentShift: u32, parentWritable: bool, gpa: u64,
): void {
  const pte = load<u64>(lane + L_PTE);
  const access = load<u32>(lane + L_ACCESS);
  let dirty = (pte & f.dirtyBit()) != 0;
  if ((m.ad() && ctxWriteAd) && (access & ACCESS_WRITE) && !dirty) {
    if (!storeThroughParent(lane, load<u64>(lane + L_ENTRY), f.dirtyBit())) return;
    dirty = true;
  }
  const level = <u32>load<i32>(lane + L_LEVEL);
  const perms = load<u32>(lane + L_PERMS);
  const ownShift = f.levelShift(level);
  finish(lane, host, (perms & parentPerms & ~PERM_U) | (perms & PERM_U), ownShift < parentShift ? ownShift : parentShift,
    level, gpa, parentWritable && (!(ctxTracksDirty || f.adOffFaults()) || dirty), ownShift);
}
