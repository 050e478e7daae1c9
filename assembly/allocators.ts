// Table allocators: where the builder puts the tables it creates. An allocator hands
// out 4 KiB pages of [base, base + pages * 4 KiB) of one address space — host physical
// memory (`tableSpace` = -1) or the input space of a parent (a guest's RAM, for tables a
// nested stage 1 reads through its stage 2) — first from its free list, then in
// address order. Which pages are free or whose they are is kept in table records
// (table-records.ts), so freeing never touches the freed page and a page whose memory
// is unreachable when it is freed is still handed out again once it is reachable.
import { allocatorsBase, maxAllocators, ALLOCATOR_RECORD } from './layout';
import { backFrame } from './phys';
import { count, C_TABLES_ALLOCATED, C_TABLES_FREED } from './counters';
import { resolveThroughSpace, UNRESOLVED } from './resolve';
import {
  recordAt, ensureRecord, RECORD_FREE, RECORD_END, MAX_ALLOCATOR_PAGES,
} from './table-records';

const A_BASE: u32 = 0;         // u64
const A_PAGES: u32 = 8;        // u32: pages in the range
const A_BUMPED: u32 = 12;      // u32: pages handed out at least once (indices below it have records)
const A_FREE_HEAD: u32 = 16;   // u32: page index, RECORD_END = empty
const A_FREE_TAIL: u32 = 20;   // u32
const A_FREE_COUNT: u32 = 24;  // u32
const A_IN_USE: u32 = 28;      // u32: pages some space holds
const A_TABLE_SPACE: u32 = 32; // i32
const A_LIVE: u32 = 36;        // u32
const A_CHUNKS: u32 = 40;      // u32[MAX_CHUNKS]: first record of each chunk

export const NO_PAGE: u64 = 0xFFFF_FFFF_FFFF_FFFF;

export const ALLOCATOR_BAD: i32 = -1;

/** Why the last allocTable returned NO_PAGE. */
export const ALLOC_EXHAUSTED: u32 = 1;   // range used up, or its memory not reachable
export const ALLOC_NO_RECORDS: u32 = 2;  // the table-record region is full
export let allocFailure: u32 = 0;

@inline function allocatorAt(id: u32): usize {
  return allocatorsBase + <usize>id * ALLOCATOR_RECORD;
}

@inline function record(at: usize, index: u32): usize {
  return recordAt(at + A_CHUNKS, index);
}

@inline function pageAddr(at: usize, index: u32): u64 {
  return load<u64>(at + A_BASE) + (<u64>index << 12);
}

export function allocatorValid(id: u32): bool {
  return id < maxAllocators && load<u32>(allocatorAt(id) + A_LIVE) != 0;
}

/**
 * Creates an allocator over [base, limit); returns its id or -1 when none is free or
 * the range is bad. It uses at most the first MAX_ALLOCATOR_PAGES pages (8 TiB).
 */
export function allocatorCreate(base: u64, limit: u64, tableSpace: i32): i32 {
  if ((base & 0xFFF) || (limit & 0xFFF) || limit <= base) return ALLOCATOR_BAD;
  let pages = (limit - base) >> 12;
  if (pages > <u64>MAX_ALLOCATOR_PAGES) pages = MAX_ALLOCATOR_PAGES;
  for (let id: u32 = 0; id < maxAllocators; id++) {
    const at = allocatorAt(id);
    if (load<u32>(at + A_LIVE)) continue;
    store<u64>(at + A_BASE, base);
    store<u32>(at + A_PAGES, <u32>pages);
    store<u32>(at + A_BUMPED, 0);
    store<u32>(at + A_FREE_HEAD, RECORD_END);
    store<u32>(at + A_FREE_TAIL, RECORD_END);
    store<u32>(at + A_FREE_COUNT, 0);
    store<u32>(at + A_IN_USE, 0);
    store<i32>(at + A_TABLE_SPACE, tableSpace);
    store<u32>(at + A_LIVE, 1);
    return <i32>id;
  }
  return ALLOCATOR_BAD;
}

export function allocatorTableSpace(id: u32): i32 {
  return load<i32>(allocatorAt(id) + A_TABLE_SPACE);
}

/** The backed host frame holding `addr` of a table space (-1 = host memory); 0 when there is none. */
export function hostFrameFor(tableSpace: i32, addr: u64): usize {
  // Host table regions fill front to back: back them in contiguous chunks.
  if (tableSpace < 0) return backFrame(addr, true);
  const hpa = resolveThroughSpace(<u32>tableSpace, addr);
  return hpa == UNRESOLVED ? 0 : backFrame(hpa);
}

// The free list is singly linked through the records, with a tail so that a page
// whose memory is unreachable can be moved behind the others.

/** Freed pages go first: the most recently used table page is reused first. */
function pushFront(at: usize, index: u32): void {
  const head = load<u32>(at + A_FREE_HEAD);
  store<u32>(record(at, index), RECORD_FREE | head);
  store<u32>(at + A_FREE_HEAD, index);
  if (head == RECORD_END) store<u32>(at + A_FREE_TAIL, index);
  store<u32>(at + A_FREE_COUNT, load<u32>(at + A_FREE_COUNT) + 1);
}

function pushBack(at: usize, index: u32): void {
  store<u32>(record(at, index), RECORD_FREE | RECORD_END);
  const tail = load<u32>(at + A_FREE_TAIL);
  if (tail == RECORD_END) store<u32>(at + A_FREE_HEAD, index);
  else store<u32>(record(at, tail), RECORD_FREE | index);
  store<u32>(at + A_FREE_TAIL, index);
  store<u32>(at + A_FREE_COUNT, load<u32>(at + A_FREE_COUNT) + 1);
}

function popFree(at: usize): u32 {
  const index = load<u32>(at + A_FREE_HEAD);
  const next = load<u32>(record(at, index)) & ~RECORD_FREE;
  store<u32>(at + A_FREE_HEAD, next);
  if (next == RECORD_END) store<u32>(at + A_FREE_TAIL, RECORD_END);
  store<u32>(at + A_FREE_COUNT, load<u32>(at + A_FREE_COUNT) - 1);
  return index;
}

/** Frame of the page handed out by the last successful take. */
let takenFrame: usize = 0;

/**
 * The first free page whose memory is reachable; the unreachable ones it passes go to
 * the back of the list (a guest may map their RAM again). RECORD_END when none is.
 */
function takeFree(at: usize, tableSpace: i32): u32 {
  for (let tries = load<u32>(at + A_FREE_COUNT); tries > 0; tries--) {
    const index = popFree(at);
    takenFrame = hostFrameFor(tableSpace, pageAddr(at, index));
    if (takenFrame) return index;
    pushBack(at, index);
  }
  return RECORD_END;
}

/** Never-used pages one allocation looks at before giving up (each costs a walk when in guest RAM). */
const FRESH_TRIES: u32 = 16;

/**
 * The next never-used page whose memory is reachable (mapped writable through the
 * parent). Unreachable ones are passed over onto the back of the free list, at most
 * FRESH_TRIES per call, so one unmapped page does not stop the allocator for good.
 */
function takeFresh(at: usize, tableSpace: i32): u32 {
  for (let tries: u32 = 0; tries < FRESH_TRIES; tries++) {
    const index = load<u32>(at + A_BUMPED);
    if (index >= load<u32>(at + A_PAGES)) { allocFailure = ALLOC_EXHAUSTED; return RECORD_END; }
    if (!ensureRecord(at + A_CHUNKS, index)) { allocFailure = ALLOC_NO_RECORDS; return RECORD_END; }
    takenFrame = hostFrameFor(tableSpace, pageAddr(at, index));
    // Host memory fails only when the frame pool is empty: the next page would too.
    if (!takenFrame && tableSpace < 0) break;
    store<u32>(at + A_BUMPED, index + 1);
    if (takenFrame) return index;
    pushBack(at, index);
  }
  allocFailure = ALLOC_EXHAUSTED;
  return RECORD_END;
}

/** A zeroed table page for `owner` (a space id); NO_PAGE when none can be had (why: allocFailure). */
export function allocTable(id: u32, owner: u32): u64 {
  const at = allocatorAt(id);
  const tableSpace = load<i32>(at + A_TABLE_SPACE);
  let index = takeFree(at, tableSpace);
  if (index == RECORD_END) index = takeFresh(at, tableSpace);
  if (index == RECORD_END) return NO_PAGE;
  store<u32>(record(at, index), owner + 1);
  store<u32>(at + A_IN_USE, load<u32>(at + A_IN_USE) + 1);
  memory.fill(takenFrame, 0, 4096);
  count(C_TABLES_ALLOCATED);
  return pageAddr(at, index);
}

/** The index of `page` when this allocator handed it to `owner` and it is still theirs; RECORD_END otherwise. */
function ownedIndex(at: usize, owner: u32, page: u64): u32 {
  const offset = page - load<u64>(at + A_BASE);
  if ((page & 0xFFF) || offset >= (<u64>load<u32>(at + A_BUMPED) << 12)) return RECORD_END;
  const index = <u32>(offset >> 12);
  return load<u32>(record(at, index)) == owner + 1 ? index : RECORD_END;
}

/** Whether `page` is a table this allocator handed to `owner` (the builder follows only those). */
export function tableOwned(id: u32, owner: u32, page: u64): bool {
  return ownedIndex(allocatorAt(id), owner, page) != RECORD_END;
}

/**
 * Returns `owner`'s table page to its allocator. False, changing nothing, when the
 * page is not one the allocator handed to `owner` and still in use: a double free, a
 * page outside the allocator, or another space's page (only a rewritten table names those).
 */
export function freeTable(id: u32, owner: u32, page: u64): bool {
  const at = allocatorAt(id);
  const index = ownedIndex(at, owner, page);
  if (index == RECORD_END) return false;
  releaseIndex(at, index);
  return true;
}

function releaseIndex(at: usize, index: u32): void {
  pushFront(at, index);
  store<u32>(at + A_IN_USE, load<u32>(at + A_IN_USE) - 1);
  count(C_TABLES_FREED);
}

/** Returns every page `owner` holds to the allocator, without reading any of them (a destroyed space's tables). */
export function freeAllOf(id: u32, owner: u32): void {
  const at = allocatorAt(id);
  const bumped = load<u32>(at + A_BUMPED);
  for (let index: u32 = 0; index < bumped; index++) {
    if (load<u32>(record(at, index)) == owner + 1) releaseIndex(at, index);
  }
}

// Introspection for the host: -1 for an allocator that does not exist.
export function allocatorPages(id: u32): i32 {
  return allocatorValid(id) ? <i32>load<u32>(allocatorAt(id) + A_PAGES) : -1;
}
export function allocatorPagesInUse(id: u32): i32 {
  return allocatorValid(id) ? <i32>load<u32>(allocatorAt(id) + A_IN_USE) : -1;
}
export function allocatorPagesFree(id: u32): i32 {
  return allocatorValid(id) ? <i32>load<u32>(allocatorAt(id) + A_FREE_COUNT) : -1;
}
