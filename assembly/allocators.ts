// Table allocators: where the builder puts the tables it creates. An allocator hands
// out 4 KiB pages from [next, limit) of one address space — host physical memory
// (`tableSpace` = -1) or the input space of a parent (a guest's RAM, for tables a
// nested stage 1 reads through its stage 2) — and keeps returned pages on a list.
import { allocatorsBase, maxAllocators, ALLOCATOR_RECORD } from './layout';
import { backFrame } from './phys';
import { count, C_TABLES_ALLOCATED, C_TABLES_FREED } from './counters';
import { resolveThroughSpace, UNRESOLVED } from './resolve';

const A_NEXT: u32 = 0;       // u64
const A_LIMIT: u32 = 8;      // u64
const A_FREE_HEAD: u32 = 16; // u64, 0 = empty (page 0 is never handed out twice)
const A_TABLE_SPACE: u32 = 24; // i32
const A_IN_USE: u32 = 28;    // u32

export const NO_PAGE: u64 = 0xFFFF_FFFF_FFFF_FFFF;

@inline function allocatorAt(id: u32): usize {
  return allocatorsBase + <usize>id * ALLOCATOR_RECORD;
}

export function allocatorValid(id: u32): bool {
  return id < maxAllocators && load<u32>(allocatorAt(id) + A_IN_USE) != 0;
}

/** Creates an allocator over [base, limit); returns its id or -1 when none is free or the range is bad. */
export function allocatorCreate(base: u64, limit: u64, tableSpace: i32): i32 {
  if ((base & 0xFFF) || (limit & 0xFFF) || limit <= base) return -1;
  for (let id: u32 = 0; id < maxAllocators; id++) {
    const at = allocatorAt(id);
    if (load<u32>(at + A_IN_USE)) continue;
    store<u64>(at + A_NEXT, base);
    store<u64>(at + A_LIMIT, limit);
    store<u64>(at + A_FREE_HEAD, NO_PAGE);
    store<i32>(at + A_TABLE_SPACE, tableSpace);
    store<u32>(at + A_IN_USE, 1);
    return <i32>id;
  }
  return -1;
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

/** A zeroed table page from the allocator; NO_PAGE when exhausted. */
export function allocTable(id: u32): u64 {
  const at = allocatorAt(id);
  const tableSpace = load<i32>(at + A_TABLE_SPACE);
  let page = load<u64>(at + A_FREE_HEAD);
  let fromList = page != NO_PAGE;
  if (!fromList) {
    page = load<u64>(at + A_NEXT);
    if (page >= load<u64>(at + A_LIMIT)) return NO_PAGE;
  }
  const frame = hostFrameFor(tableSpace, page);
  if (!frame) return NO_PAGE;
  if (fromList) store<u64>(at + A_FREE_HEAD, load<u64>(frame));
  else store<u64>(at + A_NEXT, page + 4096);
  memory.fill(frame, 0, 4096);
  count(C_TABLES_ALLOCATED);
  return page;
}

/** Returns a table page to its allocator (its first word links the free list). */
export function freeTable(id: u32, page: u64): void {
  const at = allocatorAt(id);
  const frame = hostFrameFor(load<i32>(at + A_TABLE_SPACE), page);
  if (!frame) return;
  store<u64>(frame, load<u64>(at + A_FREE_HEAD));
  store<u64>(at + A_FREE_HEAD, page);
  count(C_TABLES_FREED);
}
