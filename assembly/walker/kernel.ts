// The walk kernel, specialised at compile time on the space's format F, its parent's
// format P (NoParent for a single-stage space) and a mode M (modes.ts: whether A/D
// writes and caches exist at all). Every lane of a run walks the same space, so
// everything that depends only on the space comes from the run context (context.ts).
//
// Each round has two passes. Every step ends by working out the address (and host
// pointer) of the lane's next entry that may miss: a single-stage walk's last-level
// entry, any stage-1 entry of a nested walk, a parent walk's last-level entry when
// it is for a last-level table or the output (lean runs walk the parent of an
// upper-level table to the end at once, parent-walk.ts; full runs read every parent
// entry a round at a time). The gather pass then loads those entries for all lanes
// back to back, a handful of instructions apart, so every lane's cache miss is in
// flight at once; the step pass checks what came back and advances. Without the gather pass only as many misses overlap as fit in the CPU's
// reorder window behind the first one. Upper-level entries otherwise stay in the CPU
// cache and are read inside the step that reaches them.
import { entryAddress, entryPointer, entryPointerInWidth, ENTRY_LEAF, ENTRY_TABLE } from '../table-entry';
import { PERM_R, PERM_W } from '../formats/common';
import { count, countBy, C_PTE_READS, C_AD_WRITES, C_STAGE2_WALKS } from '../counters';
import { REASON_PERMISSION, REASON_ADDRESS_SIZE, REASON_ACCESS_FLAG, ACCESS_READ, ACCESS_WRITE, ACCESS_USER } from './codes';
import {
  ctxSpace, ctxLevels, ctxRoot, ctxWriteAd, ctxTracksDirty, ctxWalkCaches, ctxWalkThreshold,
  ctxParent, ctxParentLevels, ctxParentRoot, ctxParentWriteAd, ctxParentTracksDirty,
  ctxParentWalkThreshold, ctxParentThreshold, ctxTableCache, ctxAboveWidth,
} from './context';
import {
  laneAt, fail, finish, resetWalk, L_INPUT, L_TABLE, L_PTE, L_ENTRY, L_LEVEL, L_PERMS, L_ACCESS, L_STATE,
  L_PURPOSE, P_INPUT, P_TABLE, P_LEVEL, P_PERMS, P_ACCESS, R_GPA, N_PTR, N_ENTRY, N_PTE,
  STATE_DONE, STATE_OWN, STATE_PARENT, PURPOSE_TABLE, PURPOSE_OUTPUT,
} from './lane';
import { probeWalkCaches, fillWalkCache } from './walk-cache';
import { entryKind, entryFault, offsetIn } from './entry-checks';
import { tableCacheLookup, tableCacheFill, NO_HOST } from './table-cache';
import { storeThroughParent } from './run';
import { parentWalkWhole, parentWalkToLast, finishNested, NO_ADDRESS } from './parent-walk';

/**
 * Sets A/D bits the way hardware does, as an atomic OR on the entry as it is now:
 * another lane of the same round may have set the other bit since this lane read it.
 */
@inline function setBits(ptr: usize, bits: u64): void {
  store<u64>(ptr, load<u64>(ptr) | bits);
  count(C_AD_WRITES);
}

/**
 * The next read is `entry`, at host pointer `ptr`. Only a nested walk keeps the
 * entry's address (for a fault, and to write A/D through the parent); a single-stage
 * walk needs it only for a fault, and recomputes it then (ownEntry).
 */
@inline function setNext<P>(p: P, lane: usize, entry: u64, ptr: usize): void {
  if (p.exists()) store<u64>(lane + N_ENTRY, entry);
  store<u32>(lane + N_PTR, <u32>ptr);
}

/**
 * Points the lane's own walk at the entry `entry`, at `level`. A single-stage entry
 * is a host address (`inWidth`: it came from an entry that passed the reserved
 * check). A stage-1 entry is a GPA, resolved now, so that the round that follows
 * reads the entry itself: a lean run walks the parent at once, to the end for an
 * upper-level table (the pages holding those are few, and so are the parent entries
 * that map them) and up to its last level for a last-level table, whose parent
 * entry then waits for the gather pass; a full run looks in the table cache and
 * otherwise starts the parent walk.
 */
@inline function aimOwn<F, P, M>(f: F, p: P, m: M, lane: usize, entry: u64, level: u32, inWidth: bool): void {
  if (!p.exists()) {
    store<u32>(lane + N_PTR, <u32>(inWidth ? entryPointerInWidth(entry) : entryPointer(entry)));
    return;
  }
  store<u64>(lane + N_ENTRY, entry);
  if (m.serial()) {
    const host = level > 0
      ? parentWalkWhole(f, p, m, lane, entry)
      : parentWalkToLast(f, p, m, lane, entry, ACCESS_READ, PURPOSE_TABLE);
    // A leaf's address passed the reserved check: it is inside the physical width.
    if (host != NO_ADDRESS) store<u32>(lane + N_PTR, <u32>entryPointerInWidth(host));
    return;
  }
  const host = (m.caches() && ctxTableCache) ? tableCacheLookup(<u32>ctxParent, entry, PERM_R, ctxParentThreshold) : NO_HOST;
  if (host == NO_HOST) { startParent(f, p, m, lane, entry, ACCESS_READ, PURPOSE_TABLE); return; }
  store<u32>(lane + N_PTR, <u32>entryPointer(host | (entry & 0xFFF)));
}

/** The address of the entry the lane's own walk reads next (or has just read). */
@inline function ownEntry<F>(f: F, lane: usize): u64 {
  return entryAddress(f, load<u64>(lane + L_TABLE), load<u64>(lane + L_INPUT), <u32>load<i32>(lane + L_LEVEL));
}


function startOwn<F, P, M>(f: F, p: P, m: M, lane: usize): void {
  const input = load<u64>(lane + L_INPUT);
  store<u32>(lane + L_STATE, STATE_OWN);
  store<u64>(lane + R_GPA, 0);
  resetWalk(lane, L_TABLE, L_LEVEL, L_PERMS, ctxRoot, ctxLevels);
  if (!f.inputOk(input, ctxLevels)) { fail(lane, REASON_ADDRESS_SIZE, 1, ctxLevels - 1, input); return; }
  if ((m.caches() && ctxWalkCaches) && ctxLevels > 1) {
    probeWalkCaches(f, lane, L_TABLE, L_LEVEL, L_PERMS, ctxSpace, input, ctxLevels, ctxWalkThreshold);
  }
  aimOwn(f, p, m, lane, ownEntry(f, lane), <u32>load<i32>(lane + L_LEVEL), false);
}

/** Starts a full run's parent walk for `gpa` (lean runs: parent-walk.ts); its first read waits for the gather pass. */
function startParent<F, P, M>(f: F, p: P, m: M, lane: usize, gpa: u64, access: u32, purpose: u32): void {
  count(C_STAGE2_WALKS);
  store<u64>(lane + P_INPUT, gpa);
  store<u32>(lane + P_ACCESS, access);
  store<u32>(lane + L_PURPOSE, purpose);
  store<u32>(lane + L_STATE, STATE_PARENT);
  resetWalk(lane, P_TABLE, P_LEVEL, P_PERMS, ctxParentRoot, ctxParentLevels);
  if (!p.inputOk(gpa, ctxParentLevels)) { fail(lane, REASON_ADDRESS_SIZE, 2, ctxParentLevels - 1, gpa); return; }
  if ((m.caches() && ctxWalkCaches) && ctxParentLevels > 1) {
    probeWalkCaches(p, lane, P_TABLE, P_LEVEL, P_PERMS, <u32>ctxParent, gpa, ctxParentLevels, ctxParentWalkThreshold);
  }
  const entry = entryAddress(p, load<u64>(lane + P_TABLE), gpa, <u32>load<i32>(lane + P_LEVEL));
  store<u32>(lane + N_PTR, <u32>entryPointer(entry));
}

/**
 * One round of the lane's own walk: the gathered read (and, lean, the upper-level
 * reads it leads to). The walk's state stays in locals while the step reads on and
 * goes back to the lane only when a later round needs it.
 */
@inline function stepOwn<F, P, M>(f: F, p: P, m: M, lane: usize): void {
  const input = load<u64>(lane + L_INPUT);
  let level = <u32>load<i32>(lane + L_LEVEL);
  const perms = load<u32>(lane + L_PERMS);
  // What the entries this step reads allow (format's allows): permsOf turns it into
  // permissions where they are needed, not at every entry.
  let allowed: u64 = 0xFFFF_FFFF_FFFF_FFFF;
  // A single-stage walk recomputes its entry's address from the table (for a fault);
  // a nested walk keeps the address itself (N_ENTRY).
  let table: u64 = p.exists() ? 0 : load<u64>(lane + L_TABLE);
  const entry = p.exists() ? load<u64>(lane + N_ENTRY) : 0;
  let ptr = <usize>load<u32>(lane + N_PTR);
  // Loaded by this round's gather pass.
  let pte = load<u64>(lane + N_PTE);
  const aboveWidth = ctxAboveWidth;
  const plain = f.plainMask(aboveWidth);
  while (true) {
    const kind = entryKind(f, pte, level, plain, aboveWidth);
    if (kind < ENTRY_LEAF) {
      fail(lane, entryFault(ptr, kind), 1, level, p.exists() ? entry : entryAddress(f, table, input, level));
      return;
    }
    if ((m.ad() && ctxWriteAd) && (kind == ENTRY_LEAF || f.tableAccessed()) && !(pte & f.accessedBit())) {
      pte |= f.accessedBit();
      if (p.exists()) {
        if (!storeThroughParent(lane, entry, f.accessedBit())) return;
      } else {
        setBits(ptr, f.accessedBit());
      }
    }
    allowed &= f.allows(pte);
    if (kind == ENTRY_TABLE) {
      const nextTable = f.tableAddr(pte);
      if ((m.caches() && ctxWalkCaches) && level <= 4) fillWalkCache(f, ctxSpace, input, level, nextTable, perms & f.permsOf(allowed));
      const next = entryAddress(f, nextTable, input, level - 1);
      level--;
      if (!p.exists() && level > 0) {
        // Not a last-level entry: read it now. Upper-level tables are few and stay
        // in the CPU cache, so only last-level reads (the ones that miss) go through
        // the gather pass. A single-stage walk probes its walk caches only when it
        // starts, so this changes no counter in any mode (for nested walks see
        // modes.ts).
        table = nextTable;
        // Unbacked: ptr 0, where the null entry reads as not present (entryFault).
        ptr = entryPointerInWidth(next);
        pte = load<u64>(ptr);
        count(C_PTE_READS);
        continue;
      }
      if (!p.exists()) store<u64>(lane + L_TABLE, nextTable);
      store<i32>(lane + L_LEVEL, <i32>level);
      store<u32>(lane + L_PERMS, perms & f.permsOf(allowed));
      aimOwn(f, p, m, lane, next, level, true);
      return;
    }
    const walkPerms = perms & f.permsOf(allowed);
    const access = load<u32>(lane + L_ACCESS);
    if ((walkPerms & access) != access) { fail(lane, REASON_PERMISSION, 1, level, input); return; }
    // Formats that fault instead of ignoring A/D when the space cannot update them.
    if (f.adOffFaults() && !ctxTracksDirty && (!(pte & f.accessedBit()) || ((access & ACCESS_WRITE) && !(pte & f.dirtyBit())))) {
      fail(lane, REASON_ACCESS_FLAG, 1, level, input);
      return;
    }
    const output = f.leafAddr(pte, level) | offsetIn(f, input, level);
    if (p.exists()) {
      store<u64>(lane + L_PTE, pte);
      store<u64>(lane + L_ENTRY, entry);
      store<i32>(lane + L_LEVEL, <i32>level);
      store<u32>(lane + L_PERMS, walkPerms);
      if (m.serial()) parentWalkToLast(f, p, m, lane, output, access & ~ACCESS_USER, PURPOSE_OUTPUT);
      else startParent(f, p, m, lane, output, access & ~ACCESS_USER, PURPOSE_OUTPUT);
      return;
    }
    let dirty = (pte & f.dirtyBit()) != 0;
    if ((m.ad() && ctxWriteAd) && (access & ACCESS_WRITE) && !dirty) {
      setBits(ptr, f.dirtyBit());
      dirty = true;
    }
    // A cached copy grants W only when a write needs no D update, nor faults for want of one.
    const tracked = ctxTracksDirty || f.adOffFaults();
    finish(lane, output, walkPerms, f.levelShift(level), level, 0, !tracked || dirty, f.levelShift(level));
    return;
  }
}

/**
 * One round of the parent walk: the gathered read. Above the last level (full runs)
 * it aims at the next entry; at the leaf it resumes stage 1 or finishes the lane.
 */
@inline function stepParent<F, P, M>(f: F, p: P, m: M, lane: usize, ptr: usize, pte: u64): void {
  const gpa = load<u64>(lane + P_INPUT);
  let level = <u32>load<i32>(lane + P_LEVEL);
  let perms = load<u32>(lane + P_PERMS);
  const kind = entryKind(p, pte, level, p.plainMask(ctxAboveWidth), ctxAboveWidth);
  if (kind < ENTRY_LEAF) {
    fail(lane, entryFault(ptr, kind), 2, level, gpa);
    return;
  }
  if ((m.ad() && ctxParentWriteAd) && (kind == ENTRY_LEAF || p.tableAccessed()) && !(pte & p.accessedBit())) {
    pte |= p.accessedBit();
    setBits(ptr, p.accessedBit());
  }
  perms &= p.perms(pte);
  if (kind == ENTRY_TABLE) {
    const table = p.tableAddr(pte);
    if ((m.caches() && ctxWalkCaches) && level <= 4) fillWalkCache(p, <u32>ctxParent, gpa, level, table, perms);
    level--;
    store<i32>(lane + P_LEVEL, <i32>level);
    store<u32>(lane + P_PERMS, perms);
    store<u32>(lane + N_PTR, <u32>entryPointerInWidth(entryAddress(p, table, gpa, level)));
    return;
  }
  const access = load<u32>(lane + P_ACCESS);
  if ((perms & access) != access) { fail(lane, REASON_PERMISSION, 2, level, gpa); return; }
  let dirty = (pte & p.dirtyBit()) != 0;
  if ((m.ad() && ctxParentWriteAd) && (access & ACCESS_WRITE) && !dirty) {
    setBits(ptr, p.dirtyBit());
    dirty = true;
  }
  const host = p.leafAddr(pte, level) | offsetIn(p, gpa, level);
  const writable = !ctxParentTracksDirty || dirty;
  if (load<u32>(lane + L_PURPOSE) == PURPOSE_TABLE) {
    if ((m.caches() && ctxTableCache)) tableCacheFill(<u32>ctxParent, gpa, host & ~0xFFF, writable ? perms : perms & ~PERM_W);
    // Resume stage 1 at the entry the parent walk was for, now with its host pointer.
    store<u32>(lane + L_STATE, STATE_OWN);
    setNext(p, lane, gpa, entryPointerInWidth(host));
    return;
  }
  finishNested(f, m, lane, host, perms, p.levelShift(level), writable, gpa);
}

/** Walks lanes first..first+count-1 (requests already set) round-robin until all are done. */
export function runKernel<F, P, M>(f: F, p: P, m: M, first: u32, count: u32): void {
  let active: u32 = 0;
  for (let slot: u32 = 0; slot < count; slot++) {
    const lane = laneAt(first + slot);
    startOwn(f, p, m, lane);
    if (load<u32>(lane + L_STATE) != STATE_DONE) active++;
  }
  let rounds: u32 = 0;
  while (active) {
    // A walk reads at most levels x (parent levels + 1) + parent levels entries (35
    // for 5 x 5): any more rounds than that is a walker bug (debug builds trap).
    assert(++rounds <= 64);
    // Gather: issue every lane's next read before looking at any of them. N_PTR is
    // always a valid linear address (0 included; a finished lane's is stale but in
    // bounds), so no lane needs a check: the step pass ignores what was loaded for
    // those. A single walk goes through the same pass: one code path, one load.
    for (let slot: u32 = 0; slot < count; slot++) {
      const lane = laneAt(first + slot);
      store<u64>(lane + N_PTE, load<u64>(<usize>load<u32>(lane + N_PTR)));
    }
    // Every step reads the gathered entry: counted per round rather than per step
    // (a lean step's further reads count themselves).
    countBy(C_PTE_READS, active);
    active = 0;
    for (let slot: u32 = 0; slot < count; slot++) {
      const lane = laneAt(first + slot);
      const state = load<u32>(lane + L_STATE);
      if (state == STATE_DONE) continue;
      // The gathered read: N_PTR, loaded into N_PTE above.
      if (p.exists() && state == STATE_PARENT) stepParent(f, p, m, lane, <usize>load<u32>(lane + N_PTR), load<u64>(lane + N_PTE));
      else stepOwn(f, p, m, lane);
      if (load<u32>(lane + L_STATE) != STATE_DONE) active++;
    }
  }
}
