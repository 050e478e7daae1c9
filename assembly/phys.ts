// Simulated host physical memory: a sparse space of 2^paBits bytes whose 4 KiB frames
// are backed on demand from the frame pool through a two-level frame directory.
// Every guest-controlled address goes through `frameOffset`, which answers 0 for an
// address outside backed memory — so a walk faults instead of reading engine state.
import {
  PAGE_SIZE, DIR_L2_SHIFT, dirL1Base, framePoolBase, framePoolFrames, paBits,
} from './layout';
import { count, C_FRAMES_BACKED } from './counters';

let nextUnusedFrame: u32 = 0;
/** Head of the list of returned frames, linked through their first word (0 = empty). */
let freeFrameHead: usize = 0;
let framesInUse: u32 = 0;

export function resetPhys(): void {
  nextUnusedFrame = 0;
  freeFrameHead = 0;
  framesInUse = 0;
}

export function physFramesInUse(): u32 { return framesInUse; }

/** Linear-memory offset of the frame holding `pa`, or 0 when not backed. */
@inline export function frameOffset(pa: u64): usize {
  if (pa >> paBits) return 0;
  const block = load<u32>(dirL1Base + (<usize>(pa >> DIR_L2_SHIFT) << 2));
  if (!block) return 0;
  return load<u32>(<usize>block + ((<usize>(pa >> 12) & 1023) << 2));
}

/** Takes one zeroed frame from the pool; 0 when the pool is exhausted. */
function takeFrame(): usize {
  let frame: usize;
  if (freeFrameHead) {
    frame = freeFrameHead;
    freeFrameHead = load<u32>(frame);
  } else {
    if (nextUnusedFrame >= framePoolFrames) return 0;
    frame = framePoolBase + (<usize>nextUnusedFrame << 12);
    nextUnusedFrame++;
  }
  memory.fill(frame, 0, PAGE_SIZE);
  framesInUse++;
  return frame;
}

/** Backs the frame of `pa` (and its directory block) if needed; 0 on exhaustion or out of range. */
export function backFrame(pa: u64): usize {
  if (pa >> paBits) return 0;
  const l1 = dirL1Base + (<usize>(pa >> DIR_L2_SHIFT) << 2);
  let block = <usize>load<u32>(l1);
  if (!block) {
    block = takeFrame();
    if (!block) return 0;
    store<u32>(l1, <u32>block);
  }
  const slot = block + ((<usize>(pa >> 12) & 1023) << 2);
  let frame = <usize>load<u32>(slot);
  if (!frame) {
    frame = takeFrame();
    if (!frame) return 0;
    store<u32>(slot, <u32>frame);
    count(C_FRAMES_BACKED);
  }
  return frame;
}

/** Drops the backing of the frame holding `pa` (its contents are lost). */
export function unbackFrame(pa: u64): void {
  if (pa >> paBits) return;
  const block = <usize>load<u32>(dirL1Base + (<usize>(pa >> DIR_L2_SHIFT) << 2));
  if (!block) return;
  const slot = block + ((<usize>(pa >> 12) & 1023) << 2);
  const frame = <usize>load<u32>(slot);
  if (!frame) return;
  store<u32>(slot, 0);
  store<u32>(frame, <u32>freeFrameHead);
  freeFrameHead = frame;
  framesInUse--;
}

/** Frames the pool can still hand out. */
export function physFramesFree(): u32 {
  let free: u32 = framePoolFrames - nextUnusedFrame;
  let at = freeFrameHead;
  while (at) { free++; at = load<u32>(at); }
  return free;
}

/** Reads the 8-byte-aligned word at `pa`; `ok` reports whether it was backed. */
export let physReadOk: bool = true;
@inline export function physRead64(pa: u64): u64 {
  const frame = frameOffset(pa);
  if (!frame) { physReadOk = false; return 0; }
  physReadOk = true;
  return load<u64>(frame + (<usize>pa & 0xFF8));
}

/** Writes the 8-byte-aligned word at `pa`, backing the frame; false on exhaustion. */
export function physWrite64(pa: u64, value: u64): bool {
  const frame = backFrame(pa);
  if (!frame) return false;
  store<u64>(frame + (<usize>pa & 0xFF8), value);
  return true;
}
