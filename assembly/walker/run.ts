// Runs a group of lanes on one space with the kernel specialised for its format pair.
import { spaceAt, S_FORMAT, S_PARENT } from '../spaces';
import { entryPointer } from '../table-entry';
import { withFormatPair } from '../formats/registry';
import { PERM_R, PERM_W } from '../formats/common';
import { count, C_AD_WRITES, C_STAGE2_WALKS } from '../counters';
import { REASON_EXTERNAL, ACCESS_WRITE } from './codes';
import {
  enterRun, ctxSpace, ctxFlags, ctxParent, ctxTableCache, ctxParentThreshold, ctxWriteAd, ctxParentWriteAd, ctxWalkCaches,
} from './context';
import { LEAN_MODE, FULL_MODE } from './modes';
import {
  laneAt, setLane, fail, WRITE_SLOT, SINGLE_SLOT, L_LEVEL, R_FAULT, R_LEVEL, R_ADDR, R_PERMS, R_WRITABLE,
} from './lane';
import { tableCacheLookup, tableCacheFill, NO_HOST } from './table-cache';
import { runKernel } from './kernel';

/** Walks the requests set on lanes first..first+count-1, all of `space`. */
export function runLanes(space: u32, flags: u32, first: u32, count: u32): void {
  enterRun(space, flags);
  if (ctxWriteAd || ctxParentWriteAd || ctxWalkCaches || ctxTableCache) runFormats(FULL_MODE, space, first, count);
  else runFormats(LEAN_MODE, space, first, count);
}

/** Picks the kernel for the space's format and its parent's. */
@inline function runFormats<M>(m: M, space: u32, first: u32, count: u32): void {
  const sp = spaceAt(space);
  const parent = load<i32>(sp + S_PARENT);
  const parentFormat = parent < 0 ? -1 : <i32>load<u8>(spaceAt(<u32>parent) + S_FORMAT);
  // createSpace refuses ids no format has, so every live space dispatches.
  withFormatPair(load<u8>(sp + S_FORMAT), parentFormat, changetype<RunKernel<M>>(0), first, count);
}

@final @unmanaged class RunKernel<M> {
  @inline runPair<F, P>(f: F, p: P, first: u64, count: u64): i64 {
    runKernel(f, p, changetype<M>(0), <u32>first, <u32>count);
    return 0;
  }
}

/** One walk on a reserved lane, to completion; returns the fault reason (0 = translated). */
export function walkOnce(space: u32, iova: u64, access: u32, flags: u32, slot: u32 = SINGLE_SLOT): u32 {
  const lane = laneAt(slot);
  setLane(lane, iova, access, 0);
  runLanes(space, flags, slot, 1);
  return load<u32>(lane + R_FAULT);
}

/**
 * Sets `bits` (A or D) in the stage-1 entry at `gpa` of the running nested space: an
 * A/D update is a write through the parent, which must allow WRITE there (and, with
 * its own A/D on, records it). On failure `lane` ends with a stage-2 fault.
 */
export function storeThroughParent(lane: usize, gpa: u64, bits: u64): bool {
  const parent = <u32>ctxParent;
  let host = ctxTableCache ? tableCacheLookup(parent, gpa, PERM_R | PERM_W, ctxParentThreshold) : NO_HOST;
  if (host == NO_HOST) {
    count(C_STAGE2_WALKS);
    const space = ctxSpace;
    const flags = ctxFlags;
    const reason = walkOnce(parent, gpa, ACCESS_WRITE, flags, WRITE_SLOT);
    enterRun(space, flags);
    const helper = laneAt(WRITE_SLOT);
    if (reason) {
      fail(lane, reason, 2, load<u32>(helper + R_LEVEL), gpa);
      return false;
    }
    host = load<u64>(helper + R_ADDR) & ~0xFFF;
    if (ctxTableCache) {
      const perms = load<u32>(helper + R_PERMS);
      tableCacheFill(parent, gpa, host, load<u32>(helper + R_WRITABLE) ? perms : perms & ~PERM_W);
    }
  }
  const frame = entryPointer(host | (gpa & 0xFFF));
  if (!frame) {
    fail(lane, REASON_EXTERNAL, 1, <u32>load<i32>(lane + L_LEVEL), gpa);
    return false;
  }
  store<u64>(frame, load<u64>(frame) | bits);
  count(C_AD_WRITES);
  return true;
}
