// The raw Wasm ABI: everything the TypeScript engine (or any Wasm host) calls.
// Hot entry points take and return plain numbers (translateBatch, translateOne);
// cold ones (setup, mapping, invalidation) may take u64 values (BigInt in JS).
// docs/wasm-abi.md documents each export.
import {
  computeLayout, countersBase, faultRingBase, faultRingCapacity, batchCapacity,
  batchIovaBase, batchSpaceBase, batchAccessBase, batchOutBase, batchStatusBase, layoutEnd,
  paBits, CACHE_IOTLB, LINEAR_MEMORY_LIMIT,
} from './layout';
import { layoutCaches, cacheSpan, descAt, D_SETS } from './cache';
import { MAX_ALLOCATOR_PAGES } from './table-records';
import { frameOffset, backFrame, unbackFrame, physFramesInUse, physFramesFree } from './phys';
import { spaceAt, spaceValid, S_FORMAT, debugSetStamp, stampNow } from './spaces';
import { withFormat, UNKNOWN_FORMAT } from './formats/registry';
import { mapRange, unmapRange, BUILD_BAD_SPACE } from './build';
import { spaceOwned } from './space-table';
import { setRangeProbeLimit } from './invalidate';
import { MAX_LANES, setWalkerLanes } from './walker/lane';
import { faultsWritten, faultsConsumed, consumeFaults } from './faults';
export { faultsLost } from './faults';
import { COUNTER_COUNT } from './counters';
export { syncCounters, resetCounters } from './counters';
import { walkDetailed } from './translate';
import './abort';

export {
  translateBatch, translateOne, lastPerms, lastShift, lastLevel, lastGpa, lastFault, lastAddr, lastStage,
} from './translate';
export { createSpace, destroySpace, setSpaceRoot, setSpaceOptions, spaceOptions, spaceRoot } from './space-table';
export { allocatorCreate, allocatorPages, allocatorPagesInUse, allocatorPagesFree } from './allocators';
export { tableRecordsLeft } from './table-records';
/** Pages of its range an allocator uses at most (a host checking ranges for overlap needs it). */
export function allocatorPageLimit(): u32 { return MAX_ALLOCATOR_PAGES; }
export { invalidateRange, invalidateSpace, invalidateSpaceList, invalidateWalkCaches, invalidateGroup, invalidateAll } from './invalidate';
export { resolveThroughSpace } from './resolve';
export { nextLiveSpace } from './spaces';
export { leafEntry, leafValue, leafAddress, leafLevel, leafPageShift } from './leaf-entry';
export {
  readDirty, dirtyBitmap, dirtyLeaves, dirtySkips, dirtySkipReason, dirtySkipLevel, dirtySkipAddr, dirtySkipIova,
} from './dirty';

const INIT_OK: i32 = 0;
const INIT_BAD_GEOMETRY: i32 = -1;
const INIT_NO_MEMORY: i32 = -2;
const MAX_SPACES: u32 = 1 << 24;
const MAX_TABLE_RECORDS: u32 = 1 << 28;

let initialised = false;

@inline function isPowerOfTwo(x: u32): bool { return x != 0 && (x & (x - 1)) == 0; }

/**
 * Lays out memory and grows it once. Geometry: sets are powers of two (0 = cache
 * off), ways 1..64. `physBits` 32..46. `tableRecords`: u32 records for the pages
 * table allocators hand out (table-records.ts). Returns 0 or a negative code.
 */
export function init(
  physBits: u32, frames: u32, spaces: u32, groups: u32, allocators: u32, tableRecords: u32, faults: u32, batch: u32,
  iotlbSets: u32, iotlbWays: u32, policy: u32, walkSets: u32, walkWays: u32, tableSets: u32, tableWays: u32,
  probeLimit: u32, walkers: u32,
): i32 {
  if (initialised) return INIT_BAD_GEOMETRY;
  if (physBits < 32 || physBits > 46 || spaces == 0 || groups == 0 || allocators == 0 || faults == 0 || batch == 0) return INIT_BAD_GEOMETRY;
  // Table records hold a space id + 1 below bit 31; 2^24 spaces are already 1 GiB of space records.
  if (policy > 2 || spaces > MAX_SPACES || walkers == 0 || walkers > MAX_LANES) return INIT_BAD_GEOMETRY;
  // Records past this could not fit with anything else (and would wrap the layout arithmetic).
  if (tableRecords > MAX_TABLE_RECORDS) return INIT_NO_MEMORY;
  if (iotlbSets && (!isPowerOfTwo(iotlbSets) || iotlbWays == 0 || iotlbWays > 64)) return INIT_BAD_GEOMETRY;
  if (walkSets && (!isPowerOfTwo(walkSets) || walkWays == 0 || walkWays > 64)) return INIT_BAD_GEOMETRY;
  if (tableSets && (!isPowerOfTwo(tableSets) || tableWays == 0 || tableWays > 64)) return INIT_BAD_GEOMETRY;
  const span = cacheSpan(iotlbSets, iotlbWays, walkSets, walkWays, tableSets, tableWays);
  const end = computeLayout(__heap_base, spaces, groups, allocators, tableRecords, faults, batch, span, physBits, frames);
  // At the limit itself the end would read as address 0: refuse it too.
  if (end >= LINEAR_MEMORY_LIMIT) return INIT_NO_MEMORY;
  const pagesNeeded = <i32>((end + 0xFFFF) >> 16);
  const pagesNow = memory.size();
  if (pagesNeeded > pagesNow && memory.grow(pagesNeeded - pagesNow) < 0) return INIT_NO_MEMORY;
  layoutCaches(iotlbSets, iotlbWays, policy, walkSets, walkWays, tableSets, tableWays);
  setRangeProbeLimit(probeLimit ? probeLimit : iotlbSets);
  setWalkerLanes(walkers);
  initialised = true;
  return INIT_OK;
}

// Memory-map getters: TypeScript builds its views from these once.
export function counters(): usize { return countersBase; }
export function counterCount(): u32 { return COUNTER_COUNT; }
export function faultRing(): usize { return faultRingBase; }
export function faultRingSize(): u32 { return faultRingCapacity; }
export function faultsProduced(): u32 { return faultsWritten; }
export function faultsTaken(): u32 { return faultsConsumed; }
export function faultsConsume(n: u32): void { consumeFaults(n); }
export function batchSize(): u32 { return batchCapacity; }
export function batchIova(): usize { return batchIovaBase; }
export function batchSpace(): usize { return batchSpaceBase; }
export function batchAccess(): usize { return batchAccessBase; }
export function batchOut(): usize { return batchOutBase; }
export function batchStatus(): usize { return batchStatusBase; }
export function memoryEnd(): usize { return layoutEnd; }
export function physAddressBits(): u32 { return paBits; }
export function iotlbEntries(): u32 {
  const desc = descAt(CACHE_IOTLB);
  return load<u32>(desc + D_SETS) * load<u32>(desc + 8);
}
export function currentStamp(): u32 { return stampNow; }
export function debugStamp(value: u32): void { debugSetStamp(value); }

/** Linear-memory offset of the frame holding `pa` (0 = not backed); `back` backs it first. */
export function physFrame(pa: u64, back: bool): usize {
  return back ? backFrame(pa) : frameOffset(pa);
}
export function physUnback(pa: u64): void { unbackFrame(pa); }
export function physFramesUsed(): u32 { return physFramesInUse(); }
export function physFramesAvailable(): u32 { return physFramesFree(); }

@final @unmanaged class MapOp {
  @inline run<F>(f: F, space: u64, iova: u64, pa: u64, size: u64, perms: u64): i64 {
    return mapRange(f, <u32>space, iova, pa, size, <u32>perms);
  }
}
@final @unmanaged class UnmapOp {
  @inline run<F>(f: F, space: u64, iova: u64, size: u64, d: u64, e: u64): i64 { return unmapRange(f, <u32>space, iova, size); }
}

/** Maps into an owned space; 0 or a negative BUILD_* code. */
export function map(space: u32, iova: u64, pa: u64, size: u64, perms: u32): i32 {
  if (!spaceOwned(space)) return BUILD_BAD_SPACE;
  const rc = withFormat(load<u8>(spaceAt(space) + S_FORMAT), changetype<MapOp>(0), space, iova, pa, size, perms);
  return rc == UNKNOWN_FORMAT ? BUILD_BAD_SPACE : <i32>rc;
}

/** Unmaps from an owned space; bytes unmapped or a negative BUILD_* code. */
export function unmap(space: u32, iova: u64, size: u64): i64 {
  if (!spaceOwned(space)) return BUILD_BAD_SPACE;
  const rc = withFormat(load<u8>(spaceAt(space) + S_FORMAT), changetype<UnmapOp>(0), space, iova, size, 0, 0);
  return rc == UNKNOWN_FORMAT ? BUILD_BAD_SPACE : rc;
}

export function spaceLive(space: u32): bool { return spaceValid(space); }

/**
 * One walk with no IOTLB: `flags` bit 0 uses the walk caches, bit 1 writes A/D bits.
 * Returns the fault reason (0 = translated); details via the last* getters.
 */
export function walkOnly(space: u32, iova: u64, access: u32, flags: u32): u32 {
  if (!spaceValid(space)) return 7;
  return walkDetailed(space, iova, access, flags);
}
