// Simulated host physical memory: a sparse space of 2^paBits bytes whose 4 KiB frames
// are backed on demand from the frame pool through a two-level frame directory.
// Every guest-controlled address goes through `frameOffset`, which answers 0 for an
// address outside backed memory — so a walk faults instead of reading engine state.
//
// A directory entry is either 0 (nothing backed in that 4 MiB), the offset of an L2
// block of 1024 frame offsets, or — with bit 0 set — the offset of a contiguous 4 MiB
// chunk of frames. Dense regions (the tables the engine allocates for itself) are
// backed chunk-wise, which takes one dependent load out of every table read.
import {
  PAGE_SIZE, DIR_L2_SHIFT, dirL1Base, framePoolBase, framePoolFrames, paBits,
} from './layout';
import { count, C_FRAMES_BACKED } from './counters';

let nextUnusedFrame: u32 = 0;
/** Head of the list of returned frames, linked through their first word (0 = empty). */
let freeFrameHead: usize = 0;
let framesInUse: u32 = 0;

export function physFramesInUse(): u32 { return framesInUse; }

const CHUNK: u32 = 1;
const CHUNK_FRAMES: u32 = 1024;

/** Linear-memory offset of the frame holding `pa`, or 0 when not backed. */
@inline export function frameOffset(pa: u64): usize {
  if (pa >> paBits) return 0;
  return frameOffsetInWidth(pa);
}

/** frameOffset for an address the caller already knows is below 2^paBits. */
@inline export function frameOffsetInWidth(pa: u64): usize {
  const entry = load<u32>(dirL1Base + (<usize>(pa >> DIR_L2_SHIFT) << 2));
  const frameIndex = <usize>(pa >> 12) & 1023;
  if (entry & CHUNK) return <usize>(entry - CHUNK) + (frameIndex << 12);
  if (!entry) return 0;
  return load<u32>(<usize>entry + (frameIndex << 2));
}

// The window: physical addresses [windowLo, windowLo + windowSpan) backed by chunks
// that lie one after the other in linear memory as well, so an address there is at
// pa + windowDelta. Tables the engine allocates are backed chunk by chunk from the
// front of the pool, so most of them fall in it. A walk step that finds its entry in
// the window computes the pointer with an add the CPU can run ahead on (the range
// test is a predicted branch), instead of waiting for the directory load: that load
// was half of every table read's dependent chain.
export let windowLo: u64 = 0;
export let windowSpan: u64 = 0;
export let windowDelta: u64 = 0;

/** Linear offset of the 8-byte entry at `pa` (below 2^paBits), or 0 when its frame is not backed. */
@inline export function entryOffsetInWidth(pa: u64): usize {
  if (pa - windowLo < windowSpan) return <usize>(pa + windowDelta) & ~7;
  const frame = frameOffsetInWidth(pa);
  return frame ? frame + (<usize>pa & 0xFF8) : 0;
}

function growWindow(l1: usize, chunk: usize): void {
  const base = <u64>((l1 - dirL1Base) >> 2) << DIR_L2_SHIFT;
  const delta = <u64>chunk - base;
  if (!windowSpan) { windowLo = base; windowDelta = delta; }
  else if (base != windowLo + windowSpan || delta != windowDelta) return;
  windowSpan += <u64>CHUNK_FRAMES << 12;
}

/** Chunks are worth their granularity only in a pool of at least this many frames (64 MiB). */
const CHUNK_MIN_POOL: u32 = 16 * CHUNK_FRAMES;

/**
 * Backs the whole 4 MiB around `pa` with one contiguous chunk when nothing in it is
 * backed yet, the pool is large, and at least four chunks' worth of never-used frames
 * remain (a small pool must not be eaten by table chunks); false otherwise.
 */
function backChunk(l1: usize): bool {
  if (load<u32>(l1) != 0 || framePoolFrames < CHUNK_MIN_POOL) return false;
  if (framePoolFrames - nextUnusedFrame < 4 * CHUNK_FRAMES) return false;
  const chunk = framePoolBase + (<usize>nextUnusedFrame << 12);
  nextUnusedFrame += CHUNK_FRAMES;
  framesInUse += CHUNK_FRAMES;
  memory.fill(chunk, 0, <usize>CHUNK_FRAMES << 12);
  store<u32>(l1, <u32>chunk | CHUNK);
  growWindow(l1, chunk);
  return true;
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

/**
 * Backs the frame of `pa` (and its directory block) if needed; 0 on exhaustion or out
 * of range. `dense` asks for chunk backing (for regions filled front to back).
 */
export function backFrame(pa: u64, dense: bool = false): usize {
  if (pa >> paBits) return 0;
  const l1 = dirL1Base + (<usize>(pa >> DIR_L2_SHIFT) << 2);
  if (dense) backChunk(l1);
  let block = <usize>load<u32>(l1);
  if (block & CHUNK) return (block - CHUNK) + ((<usize>(pa >> 12) & 1023) << 12);
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

/**
 * Drops the backing of the frame holding `pa` (its contents are lost). A frame of a
 * chunk stays backed (chunks are never split) but is zeroed.
 */
export function unbackFrame(pa: u64): void {
  if (pa >> paBits) return;
  const block = <usize>load<u32>(dirL1Base + (<usize>(pa >> DIR_L2_SHIFT) << 2));
  if (!block) return;
  if (block & CHUNK) {
    memory.fill((block - CHUNK) + ((<usize>(pa >> 12) & 1023) << 12), 0, PAGE_SIZE);
    return;
  }
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
