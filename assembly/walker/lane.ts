// A lane: one walk in progress (and, for a nested space, the parent walk it is
// waiting on) plus its result. Lanes live in a small static region.
import { PERM_ALL } from '../formats/common';

/** The most walks a group can run at once (the `walkers` option's ceiling). */
export const MAX_LANES: u32 = 32;
/** Walks one group runs at once: set at init (engine option `walkers`). */
export let walkerLanes: u32 = 24;
/** Slot MAX_LANES writes A/D bits through a parent; slot MAX_LANES + 1 serves single walks. */
export const WRITE_SLOT: u32 = MAX_LANES;
export const SINGLE_SLOT: u32 = MAX_LANES + 1;
const SLOTS: u32 = MAX_LANES + 2;

export function setWalkerLanes(n: u32): void { walkerLanes = n; }
const LANE_BYTES: u32 = 192;  // fields below end at 172
const laneBase = memory.data(SLOTS * LANE_BYTES, 64);

// The lane's own walk.
export const L_INPUT: u32 = 0;       // u64
export const L_TABLE: u32 = 8;       // u64 table to read next
export const L_PTE: u32 = 16;        // u64 leaf entry (nested: kept for stage 1's D)
export const L_ENTRY: u32 = 24;      // u64 leaf entry address (nested)
export const L_LEVEL: u32 = 36;      // i32 level of the entry to read next (or of the leaf)
export const L_PERMS: u32 = 40;      // u32
export const L_ACCESS: u32 = 44;     // u32
export const L_STATE: u32 = 48;      // u32
export const L_INDEX: u32 = 52;      // u32 request index, for the caller
export const L_PURPOSE: u32 = 56;    // u32 what the parent walk is for
// The parent walk.
export const P_INPUT: u32 = 72;      // u64
export const P_TABLE: u32 = 80;      // u64
export const P_LEVEL: u32 = 88;      // i32
export const P_PERMS: u32 = 92;      // u32
export const P_ACCESS: u32 = 96;     // u32
// The next entry the lane reads: computed at the end of each step, loaded ahead by
// the gather pass (kernel.ts).
// A stage-1 entry is resolved to its host pointer before it becomes the next read.
export const N_PTR: u32 = 104;       // u32 linear offset; 0 = not backed
export const N_ENTRY: u32 = 152;     // u64 its address (nested: the GPA)
export const N_PTE: u32 = 160;       // u64 its value, loaded by the gather pass
// Result.
export const R_FAULT: u32 = 112;     // u32 0 = translated
export const R_STAGE: u32 = 116;     // u32
export const R_LEVEL: u32 = 120;     // u32
export const R_PERMS: u32 = 124;     // u32
export const R_ADDR: u32 = 128;      // u64 output, or the fault address
export const R_GPA: u32 = 136;       // u64 nested: the stage-1 output
export const R_SHIFT: u32 = 144;     // u32 log2 of the page size
export const R_WRITABLE: u32 = 148;  // u32 a cached copy may grant W
export const R_ORIGIN: u32 = 168;    // u32 log2 of the stage-1 page the output comes from (nested: may exceed R_SHIFT)

export const STATE_DONE: u32 = 0;
export const STATE_OWN: u32 = 1;
export const STATE_PARENT: u32 = 2;
export const PURPOSE_TABLE: u32 = 1;
export const PURPOSE_OUTPUT: u32 = 2;

@inline export function laneAt(slot: u32): usize { return laneBase + <usize>slot * LANE_BYTES; }

/** Queues a request on a lane; the run that walks it starts it (walker/run.ts). */
@inline export function setLane(lane: usize, iova: u64, access: u32, index: u32): void {
  store<u64>(lane + L_INPUT, iova);
  store<u32>(lane + L_ACCESS, access);
  store<u32>(lane + L_INDEX, index);
}

export function fail(lane: usize, reason: u32, stage: u32, level: u32, addr: u64): void {
  store<u32>(lane + R_FAULT, reason);
  store<u32>(lane + R_STAGE, stage);
  store<u32>(lane + R_LEVEL, level);
  store<u64>(lane + R_ADDR, addr);
  store<u32>(lane + R_PERMS, 0);
  store<u32>(lane + R_SHIFT, 0);
  store<u32>(lane + L_STATE, STATE_DONE);
}

export function finish(lane: usize, addr: u64, perms: u32, shift: u32, level: u32, gpa: u64, writable: bool, origin: u32): void {
  store<u32>(lane + R_FAULT, 0);
  store<u32>(lane + R_STAGE, 0);
  store<u32>(lane + R_LEVEL, level);
  store<u64>(lane + R_ADDR, addr);
  store<u32>(lane + R_PERMS, perms);
  store<u32>(lane + R_SHIFT, shift);
  store<u32>(lane + R_ORIGIN, origin);
  store<u64>(lane + R_GPA, gpa);
  store<u32>(lane + R_WRITABLE, writable ? 1 : 0);
  store<u32>(lane + L_STATE, STATE_DONE);
}

/** Positions a walk at the root: the caller then consults the walk caches. */
@inline export function resetWalk(lane: usize, tableField: u32, levelField: u32, permsField: u32, root: u64, levels: u32): void {
  store<u64>(lane + tableField, root);
  store<i32>(lane + levelField, <i32>levels - 1);
  store<u32>(lane + permsField, PERM_ALL);
}
