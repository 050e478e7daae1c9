// The walker: up to LANES walks advance in lockstep, one entry read per lane per
// round. The reads of different lanes do not depend on each other, so the CPU keeps
// several cache misses in flight instead of waiting out each one — the reason a
// batch of cold walks costs a fraction of the same walks done one after another.
//
// A lane holds its own walk (cursor 1) and, for a nested space, a walk of the parent
// (cursor 2) that translates either the GPA of the next stage-1 entry or the final
// output. A/D updates of stage-1 entries are writes through the parent, done at once
// on a reserved lane (they are rare: once per entry).
import { CACHE_NESTED_TABLE } from '../layout';
import { spaceAt, S_PARENT, translationThreshold, stampNow } from '../spaces';
import { descAt, makeKey, setIndex, cacheLookup, cacheInsert, cacheEnabled, E_VALUE, D_SET_MASK } from '../cache';
import { frameOffset } from '../phys';
import { PERM_R, PERM_W, PERM_U, levelShift } from '../formats/common';
import {
  count, C_STAGE2_WALKS, C_NESTED_TABLE_HITS, C_NESTED_TABLE_MISSES, C_AD_WRITES,
} from '../counters';
import {
  REASON_PERMISSION, REASON_EXTERNAL, REASON_ADDRESS_SIZE, STEP_CONTINUE, STEP_LEAF, STEP_PARENT_FAULT, ACCESS_READ,
  ACCESS_WRITE, ACCESS_USER, WALK_CACHES,
} from './codes';
import {
  startCursor, stepCursor, nextEntry, hostPointer, leafOutput, leafDirty, dirtyBitOf,
  C_INPUT, C_SPACE, C_PTE, C_ENTRY, C_PTR, C_LEVEL, C_PERMS, C_ACCESS, C_WRITE_AD, C_TRACKS_DIRTY, CURSOR_BYTES,
} from './cursor';

/** Lanes a batch walks at once. */
export const LANES: u32 = 8;
const LANE_BYTES: u32 = 256;
/** Slot LANES writes A/D bits through a parent; slot LANES + 1 serves single walks. */
const SLOTS: u32 = LANES + 2;
const laneBase = memory.data(SLOTS * LANE_BYTES, 64);

// Lane fields after the two cursors.
const OWN: u32 = 0;
const PARENT_CURSOR: u32 = CURSOR_BYTES;
const L_STATE: u32 = 128;      // u32
const L_PURPOSE: u32 = 132;    // u32 what the parent walk is for
const L_INDEX: u32 = 136;      // u32 request index (for the caller)
const L_FLAGS: u32 = 140;      // u32 walk flags
const L_PARENT: u32 = 144;     // i32
const L_HOST_READY: u32 = 148; // u32 the host page of the next stage-1 entry is known
const L_HOST_PAGE: u32 = 152;  // u64
export const R_FAULT: u32 = 160;    // u32 0 = translated
export const R_STAGE: u32 = 164;    // u32
export const R_LEVEL: u32 = 168;    // u32
export const R_PERMS: u32 = 172;    // u32
export const R_ADDR: u32 = 176;     // u64 output, or the fault address
export const R_GPA: u32 = 184;      // u64 nested: the stage-1 output
export const R_SHIFT: u32 = 192;    // u32 log2 of the page size
export const R_WRITABLE: u32 = 196; // u32 a cached copy may grant W

const STATE_DONE: u32 = 0;
const STATE_OWN: u32 = 1;
const STATE_PARENT: u32 = 2;
const PURPOSE_TABLE: u32 = 1;
const PURPOSE_OUTPUT: u32 = 2;

const NO_HOST: u64 = 0xFFFF_FFFF_FFFF_FFFF;

@inline export function laneAt(slot: u32): usize { return laneBase + <usize>slot * LANE_BYTES; }
export const SINGLE_LANE: u32 = LANES + 1;
const WRITE_LANE: u32 = LANES;

@inline export function laneDone(lane: usize): bool { return load<u32>(lane + L_STATE) == STATE_DONE; }
@inline export function laneIndex(lane: usize): u32 { return load<u32>(lane + L_INDEX); }
@inline export function laneInput(lane: usize): u64 { return load<u64>(lane + OWN + C_INPUT); }
@inline export function laneAccess(lane: usize): u32 { return load<u32>(lane + OWN + C_ACCESS); }
@inline export function laneSpace(lane: usize): u32 { return load<u32>(lane + OWN + C_SPACE); }

function fail(lane: usize, reason: u32, stage: u32, level: u32, addr: u64): void {
  store<u32>(lane + R_FAULT, reason);
  store<u32>(lane + R_STAGE, stage);
  store<u32>(lane + R_LEVEL, level);
  store<u64>(lane + R_ADDR, addr);
  store<u32>(lane + R_PERMS, 0);
  store<u32>(lane + R_SHIFT, 0);
  store<u32>(lane + L_STATE, STATE_DONE);
}

function finish(lane: usize, addr: u64, perms: u32, shift: u32, level: u32, gpa: u64, writable: bool): void {
  store<u32>(lane + R_FAULT, 0);
  store<u32>(lane + R_STAGE, 0);
  store<u32>(lane + R_LEVEL, level);
  store<u64>(lane + R_ADDR, addr);
  store<u32>(lane + R_PERMS, perms);
  store<u32>(lane + R_SHIFT, shift);
  store<u64>(lane + R_GPA, gpa);
  store<u32>(lane + R_WRITABLE, writable ? 1 : 0);
  store<u32>(lane + L_STATE, STATE_DONE);
}

/** Begins a walk of `space` for `iova` on a lane. */
export function startLane(lane: usize, space: u32, iova: u64, access: u32, flags: u32, index: u32): void {
  store<u32>(lane + L_INDEX, index);
  store<u32>(lane + L_FLAGS, flags);
  store<i32>(lane + L_PARENT, load<i32>(spaceAt(space) + S_PARENT));
  store<u32>(lane + L_HOST_READY, 0);
  store<u64>(lane + R_GPA, 0);
  store<u32>(lane + L_STATE, STATE_OWN);
  if (startCursor(lane + OWN, space, iova, access, flags) != STEP_CONTINUE) {
    fail(lane, REASON_ADDRESS_SIZE, 1, <u32>load<i32>(lane + OWN + C_LEVEL), iova);
  }
}

// --- the nested table cache: parent translations of stage-1 table pages ---------

@inline function tableCacheOn(flags: u32): bool {
  return (flags & WALK_CACHES) != 0 && cacheEnabled(CACHE_NESTED_TABLE);
}

/** Host page for the stage-1 table page holding `gpa`, or NO_HOST. */
function tableCacheLookup(parent: u32, gpa: u64, need: u32): u64 {
  const desc = descAt(CACHE_NESTED_TABLE);
  const page = gpa >> 12;
  const at = cacheLookup(desc, makeKey(page, 0), parent, translationThreshold(parent), setIndex(page, parent, 0, load<u32>(desc + D_SET_MASK)));
  if (at) {
    const value = load<u64>(at + E_VALUE);
    if ((<u32>value & need) == need) { count(C_NESTED_TABLE_HITS); return value & ~0xFFF; }
  }
  count(C_NESTED_TABLE_MISSES);
  return NO_HOST;
}

function tableCacheFill(parent: u32, gpa: u64, hostPage: u64, perms: u32): void {
  const desc = descAt(CACHE_NESTED_TABLE);
  const page = gpa >> 12;
  cacheInsert(desc, setIndex(page, parent, 0, load<u32>(desc + D_SET_MASK)), makeKey(page, 0), parent, stampNow, hostPage | perms, 0);
}

// --- stepping ----------------------------------------------------------------------

function beginParentWalk(lane: usize, gpa: u64, access: u32, purpose: u32): void {
  count(C_STAGE2_WALKS);
  store<u32>(lane + L_PURPOSE, purpose);
  store<u32>(lane + L_STATE, STATE_PARENT);
  const parent = <u32>load<i32>(lane + L_PARENT);
  if (startCursor(lane + PARENT_CURSOR, parent, gpa, access, load<u32>(lane + L_FLAGS)) != STEP_CONTINUE) {
    fail(lane, REASON_ADDRESS_SIZE, 2, <u32>load<i32>(lane + PARENT_CURSOR + C_LEVEL), gpa);
  }
}

/** One read of the lane's own walk. */
function stepOwn(lane: usize): void {
  const cur = lane + OWN;
  const parent = load<i32>(lane + L_PARENT);
  const entry = nextEntry(cur);
  let ptr: usize;
  if (parent >= 0) {
    if (!load<u32>(lane + L_HOST_READY)) {
      const flags = load<u32>(lane + L_FLAGS);
      const host = tableCacheOn(flags) ? tableCacheLookup(<u32>parent, entry, PERM_R) : NO_HOST;
      if (host == NO_HOST) { beginParentWalk(lane, entry, ACCESS_READ, PURPOSE_TABLE); return; }
      store<u64>(lane + L_HOST_PAGE, host);
    }
    store<u32>(lane + L_HOST_READY, 0);
    ptr = hostPointer(load<u64>(lane + L_HOST_PAGE) | (entry & 0xFFF));
  } else {
    ptr = hostPointer(entry);
  }
  const result = stepCursor(cur, entry, ptr, parent, lane);
  if (result == STEP_CONTINUE || result == STEP_PARENT_FAULT) return;
  const level = <u32>load<i32>(cur + C_LEVEL);
  if (result != STEP_LEAF) { fail(lane, result, 1, level, entry); return; }
  const access = load<u32>(cur + C_ACCESS);
  const perms = load<u32>(cur + C_PERMS);
  if ((perms & access) != access) { fail(lane, REASON_PERMISSION, 1, level, load<u64>(cur + C_INPUT)); return; }
  const output = leafOutput(cur);
  if (parent >= 0) { beginParentWalk(lane, output, access & ~ACCESS_USER, PURPOSE_OUTPUT); return; }
  let dirty = leafDirty(cur);
  if (load<u8>(cur + C_WRITE_AD) && (access & ACCESS_WRITE) && !dirty) {
    store<u64>(<usize>load<u32>(cur + C_PTR), load<u64>(cur + C_PTE) | dirtyBitOf(cur));
    count(C_AD_WRITES);
    dirty = true;
  }
  finish(lane, output, perms, levelShift(level), level, 0, !load<u8>(cur + C_TRACKS_DIRTY) || dirty);
}

/** One read of the parent walk; on its leaf, resumes the stage-1 walk or finishes. */
function stepParent(lane: usize): void {
  const cur = lane + PARENT_CURSOR;
  const entry = nextEntry(cur);
  const result = stepCursor(cur, entry, hostPointer(entry), -1, lane);
  if (result == STEP_CONTINUE) return;
  const gpa = load<u64>(cur + C_INPUT);
  const level = <u32>load<i32>(cur + C_LEVEL);
  if (result != STEP_LEAF) { fail(lane, result, 2, level, gpa); return; }
  const access = load<u32>(cur + C_ACCESS);
  const perms = load<u32>(cur + C_PERMS);
  if ((perms & access) != access) { fail(lane, REASON_PERMISSION, 2, level, gpa); return; }
  let dirty = leafDirty(cur);
  if (load<u8>(cur + C_WRITE_AD) && (access & ACCESS_WRITE) && !dirty) {
    store<u64>(<usize>load<u32>(cur + C_PTR), load<u64>(cur + C_PTE) | dirtyBitOf(cur));
    count(C_AD_WRITES);
    dirty = true;
  }
  const host = leafOutput(cur);
  const writable = !load<u8>(cur + C_TRACKS_DIRTY) || dirty;
  const parent = <u32>load<i32>(lane + L_PARENT);
  if (load<u32>(lane + L_PURPOSE) == PURPOSE_TABLE) {
    if (tableCacheOn(load<u32>(lane + L_FLAGS))) tableCacheFill(parent, gpa, host & ~0xFFF, writable ? perms : perms & ~PERM_W);
    store<u64>(lane + L_HOST_PAGE, host & ~0xFFF);
    store<u32>(lane + L_HOST_READY, 1);
    store<u32>(lane + L_STATE, STATE_OWN);
    return;
  }
  finishNested(lane, host, perms, levelShift(level), writable);
}

/** Stage 1's D goes last: a write the parent refused must leave the stage-1 leaf clean. */
function finishNested(lane: usize, host: u64, parentPerms: u32, parentShift: u32, parentWritable: bool): void {
  const own = lane + OWN;
  const access = load<u32>(own + C_ACCESS);
  let dirty = leafDirty(own);
  if (load<u8>(own + C_WRITE_AD) && (access & ACCESS_WRITE) && !dirty) {
    const parent = <u32>load<i32>(lane + L_PARENT);
    if (!storeThroughParent(lane, parent, load<u64>(own + C_ENTRY), load<u64>(own + C_PTE) | dirtyBitOf(own))) return;
    dirty = true;
  }
  const level = <u32>load<i32>(own + C_LEVEL);
  const perms = load<u32>(own + C_PERMS);
  const ownShift = levelShift(level);
  finish(lane, host, (perms & parentPerms & ~PERM_U) | (perms & PERM_U), ownShift < parentShift ? ownShift : parentShift,
    level, load<u64>(lane + PARENT_CURSOR + C_INPUT), parentWritable && (!load<u8>(own + C_TRACKS_DIRTY) || dirty));
}

/**
 * Writes `value` into a stage-1 entry at `gpa`: the parent must allow WRITE there
 * (and, with A/D on, records the write). On failure `lane` ends with a stage-2 fault.
 */
export function storeThroughParent(lane: usize, parent: u32, gpa: u64, value: u64): bool {
  const flags = load<u32>(lane + L_FLAGS);
  const need = PERM_R | PERM_W;
  let host = tableCacheOn(flags) ? tableCacheLookup(parent, gpa, need) : NO_HOST;
  if (host == NO_HOST) {
    count(C_STAGE2_WALKS);
    const helper = laneAt(WRITE_LANE);
    startLane(helper, parent, gpa, ACCESS_WRITE, flags, 0);
    while (!laneDone(helper)) stepLane(helper);
    if (load<u32>(helper + R_FAULT)) {
      fail(lane, load<u32>(helper + R_FAULT), 2, load<u32>(helper + R_LEVEL), gpa);
      return false;
    }
    host = load<u64>(helper + R_ADDR) & ~0xFFF;
    if (tableCacheOn(flags)) {
      const perms = load<u32>(helper + R_PERMS);
      tableCacheFill(parent, gpa, host, load<u32>(helper + R_WRITABLE) ? perms : perms & ~PERM_W);
    }
  }
  const ptr = hostPointer(host | (gpa & 0xFFF));
  if (!ptr) {
    fail(lane, REASON_EXTERNAL, 1, <u32>load<i32>(lane + OWN + C_LEVEL), gpa);
    return false;
  }
  store<u64>(ptr, value);
  count(C_AD_WRITES);
  return true;
}

export function stepLane(lane: usize): void {
  if (load<u32>(lane + L_STATE) == STATE_PARENT) stepParent(lane);
  else stepOwn(lane);
}

/** Advances lanes 0..count-1 round-robin until every one is done. */
export function runLanes(count: u32): void {
  let active = count;
  while (active) {
    active = 0;
    for (let slot: u32 = 0; slot < count; slot++) {
      const lane = laneAt(slot);
      if (laneDone(lane)) continue;
      stepLane(lane);
      if (!laneDone(lane)) active++;
    }
  }
}

/** One walk on the single-walk lane, to completion; returns the fault reason (0 = translated). */
export function walkOnce(space: u32, iova: u64, access: u32, flags: u32): u32 {
  const lane = laneAt(SINGLE_LANE);
  startLane(lane, space, iova, access, flags, 0);
  while (!laneDone(lane)) stepLane(lane);
  return load<u32>(lane + R_FAULT);
}
