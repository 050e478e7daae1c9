// Resolving an address of a space's input to a host physical address without
// touching any cache or A/D bit: what the builder needs to write tables that live
// in a guest's memory.
import { walkOnce } from './walker/run';
import { laneAt, SINGLE_SLOT, R_ADDR } from './walker/lane';
import { saveCounters, restoreCounters } from './counters';
import { spaceValid } from './spaces';

export const UNRESOLVED: u64 = 0xFFFF_FFFF_FFFF_FFFF;

export function resolveThroughSpace(space: u32, addr: u64): u64 {
  // An exported entry: a host may pass any id (a dead one, or one past the records).
  if (!spaceValid(space)) return UNRESOLVED;
  // Building tables is not DMA: it must not show in the translation counters.
  saveCounters();
  // READ | WRITE: the builder writes what it resolves.
  const reason = walkOnce(space, addr, 3, 0);
  restoreCounters();
  return reason ? UNRESOLVED : load<u64>(laneAt(SINGLE_SLOT) + R_ADDR);
}
