// The memory map. Every region is a named offset/size pair computed from the one
// before it, once, at engine creation (`computeLayout`). Regions never move and
// memory never grows afterwards, so TypeScript views made at creation stay valid.
//
//   COUNTERS | LIVE SPACES (bitmap) | SPACE EPOCHS | SPACES | GROUPS | ALLOCATORS | TABLE RECORDS | CACHE DESCRIPTORS | FAULT RING |
//   BATCH (iova, space, access, out, status) | IOTLB | IOTLB RR | WALK CACHES (per level) |
//   NESTED TABLE CACHE | FRAME DIRECTORY L1 | FRAME POOL (simulated physical memory)

export const PAGE_SHIFT: u32 = 12;
export const PAGE_SIZE: u32 = 4096;

export const COUNTER_SLOTS: u32 = 64;
export const SPACE_RECORD: u32 = 64;
export const GROUP_RECORD: u32 = 8;
/** An allocator: 40 bytes of state and the first record of each of its 22 record chunks. */
export const ALLOCATOR_RECORD: u32 = 128;
export const CACHE_DESCRIPTOR: u32 = 32;
export const CACHE_ENTRY: u32 = 32;
export const FAULT_RECORD: u32 = 32;
/** Walk-cache levels 1..4 (the level-0 entries are leaves, held by the IOTLB). */
export const WALK_CACHE_LEVELS: u32 = 4;
/** Cache descriptor slots: 0 IOTLB, 1..4 walk caches per level, 5 nested table cache. */
export const CACHE_IOTLB: u32 = 0;
export const CACHE_NESTED_TABLE: u32 = 5;
export const CACHE_COUNT: u32 = 6;
/** Frame directory: L1 indexed by PA[paBits-1:22], L2 blocks of 1024 frames (one 4 KiB frame each). */
export const DIR_L2_SHIFT: u32 = 22;

export let countersBase: usize = 0;
/** One bit per space id, set while the space lives (spaces.ts: spaceValid). */
export let liveSpacesBase: usize = 0;
/** One u32 epoch per space id, dense (spaces.ts: spaceEpoch). */
export let spaceEpochsBase: usize = 0;
export let spacesBase: usize = 0;
export let maxSpaces: u32 = 0;
export let groupsBase: usize = 0;
export let maxGroups: u32 = 0;
export let allocatorsBase: usize = 0;
export let maxAllocators: u32 = 0;
/** u32 records of the table pages allocators hand out (table-records.ts). */
export let tableRecordsBase: usize = 0;
export let tableRecordsCapacity: u32 = 0;
export let cacheDescBase: usize = 0;
export let faultRingBase: usize = 0;
export let faultRingCapacity: u32 = 0;
export let batchCapacity: u32 = 0;
export let batchIovaBase: usize = 0;
export let batchSpaceBase: usize = 0;
export let batchAccessBase: usize = 0;
export let batchOutBase: usize = 0;
export let batchStatusBase: usize = 0;
export let dirL1Base: usize = 0;
export let dirL1Entries: u32 = 0;
export let framePoolBase: usize = 0;
export let framePoolFrames: u32 = 0;
export let layoutEnd: usize = 0;
export let paBits: u32 = 40;

@inline function alignUp(value: u64, alignment: u64): u64 {
  return (value + alignment - 1) & ~(alignment - 1);
}

/** Linear memory a Wasm32 instance can have: 65,536 pages of 64 KiB. */
export const LINEAR_MEMORY_LIMIT: u64 = <u64>1 << 32;

/**
 * Lays out every region from `start`. Returns the end address; the caller grows
 * memory to it once. Cache regions are laid out by `cacheLayout` (cache.ts) within
 * the span reserved here. The arithmetic is 64-bit: a configuration past
 * LINEAR_MEMORY_LIMIT returns an end the caller refuses, where 32-bit sums would have
 * wrapped into a small layout whose regions overlap. The bases are only meaningful
 * when the end fits.
 */
export function computeLayout(
  start: usize, spaces: u32, groups: u32, allocators: u32, tableRecords: u32, faults: u32, batch: u32,
  cacheSpan: u64, physBits: u32, frames: u32,
): u64 {
  let at = alignUp(<u64>start, 64);
  countersBase = <usize>at; at += <u64>COUNTER_SLOTS * 8;
  liveSpacesBase = <usize>at; at += alignUp(<u64>((spaces + 31) >> 5) << 2, 64);
  spaceEpochsBase = <usize>at; at += alignUp(<u64>spaces << 2, 64);
  spacesBase = <usize>at; maxSpaces = spaces; at += <u64>spaces * SPACE_RECORD;
  groupsBase = <usize>at; maxGroups = groups; at += <u64>groups * GROUP_RECORD;
  allocatorsBase = <usize>at; maxAllocators = allocators; at += <u64>allocators * ALLOCATOR_RECORD;
  tableRecordsBase = <usize>at; tableRecordsCapacity = tableRecords; at += <u64>tableRecords * 4;
  cacheDescBase = <usize>at; at += <u64>CACHE_COUNT * CACHE_DESCRIPTOR;
  faultRingBase = <usize>at; faultRingCapacity = faults; at += <u64>faults * FAULT_RECORD;
  at = alignUp(at, 64);
  batchCapacity = batch;
  batchIovaBase = <usize>at; at += <u64>batch * 8;
  batchOutBase = <usize>at; at += <u64>batch * 8;
  batchSpaceBase = <usize>at; at += <u64>batch * 4;
  batchAccessBase = <usize>at; at += <u64>batch * 4;
  batchStatusBase = <usize>at; at += <u64>batch * 4;
  at = alignUp(at, 64);
  cacheRegionBase = <usize>at; at += cacheSpan;
  at = alignUp(at, <u64>PAGE_SIZE);
  paBits = physBits;
  dirL1Base = <usize>at; dirL1Entries = 1 << (physBits - DIR_L2_SHIFT); at += <u64>dirL1Entries * 4;
  at = alignUp(at, <u64>PAGE_SIZE);
  framePoolBase = <usize>at; framePoolFrames = frames; at += <u64>frames * PAGE_SIZE;
  layoutEnd = <usize>at;
  return at;
}

export let cacheRegionBase: usize = 0;
