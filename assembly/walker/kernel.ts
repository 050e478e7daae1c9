// The walk kernel, specialised at compile time on the space's format F and its
// parent's format P (NoParent for a single-stage space). Every lane of a run walks
// the same space, so everything that depends only on the space comes from the run
// context (context.ts) and the per-step work is one entry read and its checks.
//
// Each round has two passes. The gather pass issues every lane's entry read with as
// few instructions between them as possible, so all of them are in flight at once;
// the step pass then checks the entries and advances. Interleaving alone already
// overlaps misses, but only as many as fit in the CPU's reorder window behind the
// first one: the gather pass is what makes that all of the lanes.
import { frameOffset } from '../phys';
import { PERM_R, PERM_W, PERM_U, levelShift } from '../formats/common';
import { count, C_PTE_READS, C_AD_WRITES, C_STAGE2_WALKS } from '../counters';
import {
  REASON_TRANSLATION, REASON_PERMISSION, REASON_RESERVED, REASON_ADDRESS_SIZE, REASON_EXTERNAL,
  ACCESS_READ, ACCESS_WRITE, ACCESS_USER,
} from './codes';
import {
  ctxSpace, ctxLevels, ctxRoot, ctxWriteAd, ctxTracksDirty, ctxWalkCaches, ctxWalkThreshold,
  ctxParent, ctxParentLevels, ctxParentRoot, ctxParentWriteAd, ctxParentTracksDirty,
  ctxParentWalkThreshold, ctxParentThreshold, ctxTableCache, ctxPaMask,
} from './context';
import {
  laneAt, fail, finish, resetWalk, L_INPUT, L_TABLE, L_PTE, L_ENTRY, L_LEVEL, L_PERMS, L_ACCESS, L_STATE,
  L_PURPOSE, L_HOST_READY, L_HOST_PAGE, P_INPUT, P_TABLE, P_LEVEL, P_PERMS, P_ACCESS, R_GPA,
  STATE_DONE, STATE_OWN, STATE_PARENT, PURPOSE_TABLE, PURPOSE_OUTPUT, G_READY, G_PTR, G_ENTRY, G_PTE,
} from './lane';
import { probeWalkCaches, fillWalkCache } from './walk-cache';
import { tableCacheLookup, tableCacheFill, NO_HOST } from './table-cache';
import { storeThroughParent } from './run';

/**
 * Sets A/D bits the way hardware does, as an atomic OR on the entry as it is now:
 * another lane of the same round may have set the other bit since this lane read it.
 */
@inline function setBits(ptr: usize, bits: u64): void {
  store<u64>(ptr, load<u64>(ptr) | bits);
  count(C_AD_WRITES);
}

/** Linear offset of a host entry address, 0 when its frame is not backed. */
@inline function hostPointer(entry: u64): usize {
  const frame = frameOffset(entry);
  return frame ? frame + (<usize>entry & 0xFF8) : 0;
}

@inline function offsetIn(input: u64, level: u32): u64 {
  return input & ((<u64>1 << <u64>levelShift(level)) - 1);
}

function startOwn<F>(f: F, lane: usize): void {
  const input = load<u64>(lane + L_INPUT);
  store<u32>(lane + G_READY, 0);
  store<u32>(lane + L_STATE, STATE_OWN);
  store<u32>(lane + L_HOST_READY, 0);
  store<u64>(lane + R_GPA, 0);
  resetWalk(lane, L_TABLE, L_LEVEL, L_PERMS, ctxRoot, ctxLevels);
  if (!f.inputOk(input, ctxLevels)) { fail(lane, REASON_ADDRESS_SIZE, 1, ctxLevels - 1, input); return; }
  if (ctxWalkCaches && ctxLevels > 1) {
    probeWalkCaches(lane, L_TABLE, L_LEVEL, L_PERMS, ctxSpace, input, ctxLevels, ctxWalkThreshold);
  }
}

function startParent<P>(p: P, lane: usize, gpa: u64, access: u32, purpose: u32): void {
  count(C_STAGE2_WALKS);
  store<u64>(lane + P_INPUT, gpa);
  store<u32>(lane + P_ACCESS, access);
  store<u32>(lane + L_PURPOSE, purpose);
  store<u32>(lane + L_STATE, STATE_PARENT);
  resetWalk(lane, P_TABLE, P_LEVEL, P_PERMS, ctxParentRoot, ctxParentLevels);
  if (!p.inputOk(gpa, ctxParentLevels)) { fail(lane, REASON_ADDRESS_SIZE, 2, ctxParentLevels - 1, gpa); return; }
  if (ctxWalkCaches && ctxParentLevels > 1) {
    probeWalkCaches(lane, P_TABLE, P_LEVEL, P_PERMS, <u32>ctxParent, gpa, ctxParentLevels, ctxParentWalkThreshold);
  }
}

/** Issues this round's entry read of a lane when its address is already known. */
@inline function gather<P>(p: P, lane: usize, state: u32): void {
  let entry: u64;
  let ptr: usize;
  if (p.exists() && state == STATE_PARENT) {
    const gpa = load<u64>(lane + P_INPUT);
    entry = load<u64>(lane + P_TABLE) + (((gpa >> <u64>levelShift(<u32>load<i32>(lane + P_LEVEL))) & 511) << 3);
    ptr = hostPointer(entry);
  } else {
    const input = load<u64>(lane + L_INPUT);
    entry = load<u64>(lane + L_TABLE) + (((input >> <u64>levelShift(<u32>load<i32>(lane + L_LEVEL))) & 511) << 3);
    if (p.exists()) {
      // A stage-1 entry needs its host page first; without it the step pass decides.
      if (!load<u32>(lane + L_HOST_READY)) return;
      ptr = hostPointer(load<u64>(lane + L_HOST_PAGE) | (entry & 0xFFF));
    } else {
      ptr = hostPointer(entry);
    }
  }
  store<u64>(lane + G_ENTRY, entry);
  store<u32>(lane + G_PTR, <u32>ptr);
  store<u64>(lane + G_PTE, ptr ? load<u64>(ptr) : 0);
  store<u32>(lane + G_READY, 1);
}

/** One read of the lane's own walk. */
function stepOwn<F, P>(f: F, p: P, lane: usize): void {
  const input = load<u64>(lane + L_INPUT);
  const level = <u32>load<i32>(lane + L_LEVEL);
  let entry: u64;
  let ptr: usize;
  let pte: u64;
  if (load<u32>(lane + G_READY)) {
    store<u32>(lane + G_READY, 0);
    if (p.exists()) store<u32>(lane + L_HOST_READY, 0);
    entry = load<u64>(lane + G_ENTRY);
    ptr = <usize>load<u32>(lane + G_PTR);
    pte = load<u64>(lane + G_PTE);
  } else {
    entry = load<u64>(lane + L_TABLE) + (((input >> <u64>levelShift(level)) & 511) << 3);
    ptr = ownEntryPointer(p, lane, entry);
    if (ptr == NOT_YET) return;
    pte = ptr ? load<u64>(ptr) : 0;
  }
  stepOwnEntry(f, p, lane, input, level, entry, ptr, pte);
}

const NOT_YET: usize = 0xFFFF_FFFF;

/**
 * Linear offset of a stage-1 entry (0 = unbacked). For a nested space the host page
 * comes from the table cache or a parent walk, which this may start (NOT_YET).
 */
@inline function ownEntryPointer<P>(p: P, lane: usize, entry: u64): usize {
  if (!p.exists()) return hostPointer(entry);
  let host: u64;
  if (load<u32>(lane + L_HOST_READY)) {
    host = load<u64>(lane + L_HOST_PAGE);
    store<u32>(lane + L_HOST_READY, 0);
  } else {
    host = ctxTableCache ? tableCacheLookup(<u32>ctxParent, entry, PERM_R, ctxParentThreshold) : NO_HOST;
    if (host == NO_HOST) { startParent(p, lane, entry, ACCESS_READ, PURPOSE_TABLE); return NOT_YET; }
  }
  return hostPointer(host | (entry & 0xFFF));
}

/** Checks a stage-1 entry just read and advances the lane's own walk. */
@inline function stepOwnEntry<F, P>(f: F, p: P, lane: usize, input: u64, level: u32, entry: u64, ptr: usize, value: u64): void {
  let pte = value;
  count(C_PTE_READS);
  if (!ptr) { fail(lane, REASON_EXTERNAL, 1, level, entry); return; }
  if (!f.present(pte)) { fail(lane, REASON_TRANSLATION, 1, level, entry); return; }
  if (f.reserved(pte, level, ctxPaMask)) { fail(lane, REASON_RESERVED, 1, level, entry); return; }
  if (ctxWriteAd && !(pte & f.accessedBit())) {
    pte |= f.accessedBit();
    if (p.exists()) {
      if (!storeThroughParent(lane, entry, f.accessedBit())) return;
    } else {
      setBits(ptr, f.accessedBit());
    }
  }
  const perms = load<u32>(lane + L_PERMS) & f.perms(pte);
  if (!f.isLeaf(pte, level)) {
    const table = f.tableAddr(pte);
    store<u64>(lane + L_TABLE, table);
    store<i32>(lane + L_LEVEL, <i32>level - 1);
    store<u32>(lane + L_PERMS, perms);
    if (ctxWalkCaches && level <= 4) fillWalkCache(ctxSpace, input, level, table, perms);
    return;
  }
  const access = load<u32>(lane + L_ACCESS);
  if ((perms & access) != access) { fail(lane, REASON_PERMISSION, 1, level, input); return; }
  const output = f.leafAddr(pte, level) | offsetIn(input, level);
  if (p.exists()) {
    store<u64>(lane + L_PTE, pte);
    store<u64>(lane + L_ENTRY, entry);
    store<u32>(lane + L_PERMS, perms);
    startParent(p, lane, output, access & ~ACCESS_USER, PURPOSE_OUTPUT);
    return;
  }
  let dirty = (pte & f.dirtyBit()) != 0;
  if (ctxWriteAd && (access & ACCESS_WRITE) && !dirty) {
    setBits(ptr, f.dirtyBit());
    dirty = true;
  }
  finish(lane, output, perms, levelShift(level), level, 0, !ctxTracksDirty || dirty);
}

/** One read of the parent walk; at its leaf, resume stage 1 or finish. */
function stepParent<F, P>(f: F, p: P, lane: usize): void {
  const gpa = load<u64>(lane + P_INPUT);
  const level = <u32>load<i32>(lane + P_LEVEL);
  let ptr: usize;
  let pte: u64;
  if (load<u32>(lane + G_READY)) {
    store<u32>(lane + G_READY, 0);
    ptr = <usize>load<u32>(lane + G_PTR);
    pte = load<u64>(lane + G_PTE);
  } else {
    ptr = hostPointer(load<u64>(lane + P_TABLE) + (((gpa >> <u64>levelShift(level)) & 511) << 3));
    pte = ptr ? load<u64>(ptr) : 0;
  }
  count(C_PTE_READS);
  if (!ptr) { fail(lane, REASON_EXTERNAL, 2, level, gpa); return; }
  if (!p.present(pte)) { fail(lane, REASON_TRANSLATION, 2, level, gpa); return; }
  if (p.reserved(pte, level, ctxPaMask)) { fail(lane, REASON_RESERVED, 2, level, gpa); return; }
  if (ctxParentWriteAd && !(pte & p.accessedBit())) {
    pte |= p.accessedBit();
    setBits(ptr, p.accessedBit());
  }
  const perms = load<u32>(lane + P_PERMS) & p.perms(pte);
  if (!p.isLeaf(pte, level)) {
    const table = p.tableAddr(pte);
    store<u64>(lane + P_TABLE, table);
    store<i32>(lane + P_LEVEL, <i32>level - 1);
    store<u32>(lane + P_PERMS, perms);
    if (ctxWalkCaches && level <= 4) fillWalkCache(<u32>ctxParent, gpa, level, table, perms);
    return;
  }
  const access = load<u32>(lane + P_ACCESS);
  if ((perms & access) != access) { fail(lane, REASON_PERMISSION, 2, level, gpa); return; }
  let dirty = (pte & p.dirtyBit()) != 0;
  if (ctxParentWriteAd && (access & ACCESS_WRITE) && !dirty) {
    setBits(ptr, p.dirtyBit());
    dirty = true;
  }
  const host = p.leafAddr(pte, level) | offsetIn(gpa, level);
  const writable = !ctxParentTracksDirty || dirty;
  if (load<u32>(lane + L_PURPOSE) == PURPOSE_TABLE) {
    if (ctxTableCache) tableCacheFill(<u32>ctxParent, gpa, host & ~0xFFF, writable ? perms : perms & ~PERM_W);
    store<u64>(lane + L_HOST_PAGE, host & ~0xFFF);
    store<u32>(lane + L_HOST_READY, 1);
    store<u32>(lane + L_STATE, STATE_OWN);
    return;
  }
  finishNested(f, lane, host, perms, levelShift(level), writable);
}

/** Stage 1's D goes last: a write the parent refused must leave the stage-1 leaf clean. */
function finishNested<F>(f: F, lane: usize, host: u64, parentPerms: u32, parentShift: u32, parentWritable: bool): void {
  const pte = load<u64>(lane + L_PTE);
  const access = load<u32>(lane + L_ACCESS);
  let dirty = (pte & f.dirtyBit()) != 0;
  if (ctxWriteAd && (access & ACCESS_WRITE) && !dirty) {
    if (!storeThroughParent(lane, load<u64>(lane + L_ENTRY), f.dirtyBit())) return;
    dirty = true;
  }
  const level = <u32>load<i32>(lane + L_LEVEL);
  const perms = load<u32>(lane + L_PERMS);
  const ownShift = levelShift(level);
  finish(lane, host, (perms & parentPerms & ~PERM_U) | (perms & PERM_U), ownShift < parentShift ? ownShift : parentShift,
    level, load<u64>(lane + P_INPUT), parentWritable && (!ctxTracksDirty || dirty));
}

/** Walks lanes first..first+count-1 (requests already set) round-robin until all are done. */
export function runKernel<F, P>(f: F, p: P, first: u32, count: u32): void {
  for (let slot: u32 = 0; slot < count; slot++) startOwn(f, laneAt(first + slot));
  let active = count;
  while (active) {
    if (count > 1) {
      for (let slot: u32 = 0; slot < count; slot++) {
        const lane = laneAt(first + slot);
        const state = load<u32>(lane + L_STATE);
        if (state != STATE_DONE) gather(p, lane, state);
      }
    }
    active = 0;
    for (let slot: u32 = 0; slot < count; slot++) {
      const lane = laneAt(first + slot);
      const state = load<u32>(lane + L_STATE);
      if (state == STATE_DONE) continue;
      if (p.exists() && state == STATE_PARENT) stepParent(f, p, lane);
      else stepOwn(f, p, lane);
      if (load<u32>(lane + L_STATE) != STATE_DONE) active++;
    }
  }
}
