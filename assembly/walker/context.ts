// What every lane of one run shares: a run walks misses of a single space, so its
// flags, roots, thresholds and the parent's are read once here instead of per step.
import { paBits } from '../layout';
import { frameOffset } from '../phys';
import {
  spaceAt, S_LEVELS, S_FLAGS, S_ROOT, S_PARENT, FLAG_AD, walkThreshold, translationThreshold, spaceGeneration,
} from '../spaces';
import { cacheEnabled } from '../cache';
import { CACHE_NESTED_TABLE } from '../layout';
import { WALK_CACHES, WALK_WRITE_AD } from './codes';
import { aboveWidthMask } from '../formats/common';

export let ctxSpace: u32 = 0;
export let ctxFlags: u32 = 0;
export let ctxLevels: u32 = 0;
export let ctxRoot: u64 = 0;
export let ctxWriteAd: bool = false;
export let ctxTracksDirty: bool = false;
export let ctxWalkCaches: bool = false;
export let ctxWalkThreshold: u32 = 0;
export let ctxParent: i32 = -1;
export let ctxParentLevels: u32 = 0;
export let ctxParentRoot: u64 = 0;
export let ctxParentWriteAd: bool = false;
export let ctxParentTracksDirty: bool = false;
export let ctxParentWalkThreshold: u32 = 0;
export let ctxParentThreshold: u32 = 0;
export let ctxTableCache: bool = false;
/** Entry address bits at or above the physical width (formats' fastOk). */
export let ctxAboveWidth: u64 = 0;
/**
 * Linear offset of a nested space's parent's root table, or 0 (no parent, an
 * unaligned or unbacked root: walks then find the entry as any other). Read at the
 * start of every run (enterRun): the context outlives runs, and memory may be backed
 * between them.
 */
export let ctxParentRootTable: usize = 0;
/** The space generation the context was loaded under; -1 = never loaded. */
let ctxGeneration: i64 = -1;

/** Loads the context for walking `space` with `flags` (nothing to do when it is current). */
export function enterContext(space: u32, flags: u32): void {
  if (space == ctxSpace && flags == ctxFlags && ctxGeneration == <i64>spaceGeneration) return;
  ctxGeneration = spaceGeneration;
  const sp = spaceAt(space);
  const spaceAd = (load<u8>(sp + S_FLAGS) & FLAG_AD) != 0;
  const parent = load<i32>(sp + S_PARENT);
  const parentAd = parent >= 0 && (load<u8>(spaceAt(<u32>parent) + S_FLAGS) & FLAG_AD) != 0;
  // A walk that sets no A bit where A/D is tracked (engine.walk without writeAd) must
  // leave the caches alone: a later walk starting from an entry it cached would skip
  // the entries above it, whose A bits nobody set.
  const caches = (flags & WALK_CACHES) != 0 && ((flags & WALK_WRITE_AD) != 0 || !(spaceAd || parentAd));
  ctxSpace = space;
  ctxFlags = flags;
  ctxLevels = <u32>load<u8>(sp + S_LEVELS);
  ctxRoot = load<u64>(sp + S_ROOT);
  ctxTracksDirty = spaceAd;
  ctxWriteAd = spaceAd && (flags & WALK_WRITE_AD) != 0;
  ctxWalkCaches = caches && cacheEnabled(1);
  ctxWalkThreshold = ctxWalkCaches ? walkThreshold(space) : 0;
  ctxAboveWidth = aboveWidthMask((<u64>1 << paBits) - 1);
  ctxParent = parent;
  if (parent >= 0) {
    const pp = spaceAt(<u32>parent);
    ctxParentLevels = <u32>load<u8>(pp + S_LEVELS);
    ctxParentRoot = load<u64>(pp + S_ROOT);
    ctxParentTracksDirty = parentAd;
    ctxParentWriteAd = parentAd && (flags & WALK_WRITE_AD) != 0;
    ctxParentWalkThreshold = ctxWalkCaches ? walkThreshold(<u32>parent) : 0;
    ctxTableCache = caches && cacheEnabled(CACHE_NESTED_TABLE);
    ctxParentThreshold = ctxTableCache ? translationThreshold(<u32>parent) : 0;
  }
}

/** Loads the context (enterContext) and what may change between two runs under it. */
export function enterRun(space: u32, flags: u32): void {
  enterContext(space, flags);
  ctxParentRootTable = ctxParent >= 0 && (ctxParentRoot & 0xFFF) == 0 ? frameOffset(ctxParentRoot) : 0;
}
