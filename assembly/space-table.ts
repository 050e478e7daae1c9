// Creating and destroying spaces. A space either owns its tables (the builder maps
// into them and frees them) or reads tables somebody else wrote (a guest's, given by
// its root address).
import { maxSpaces } from './layout';
import {
  spaceAt, spaceValid, markSpaceLive, groupValid, nextEpoch, S_FORMAT, S_LEVELS, S_FLAGS, S_PARENT, S_ROOT, S_GROUP,
  S_WALK_EPOCH, S_ALLOCATOR, S_CHILDREN, S_CTL, FLAG_AD, FLAG_STALE_CHECK, renewSpaceEpoch,
  NO_PARENT, noteSpaceChange,
} from './spaces';
import {
  allocatorValid, allocatorTableSpace, allocTable, freeAllOf, allocFailure, NO_PAGE, ALLOC_NO_RECORDS,
} from './allocators';
import { levelsSupported, pairAllowed } from './formats/registry';

export const FLAG_OWNED: u8 = 8;

export const SPACE_BAD_ARGUMENT: i32 = -1;
export const SPACE_NONE_FREE: i32 = -2;
export const SPACE_NO_MEMORY: i32 = -3;
export const SPACE_BUSY: i32 = -4;
/** The table-record region (engine metadata for table pages) is full. */
export const SPACE_NO_RECORDS: i32 = -5;

/** Option bits of createSpace, as TypeScript passes them. */
export const OPTION_AD: u32 = 1;
export const OPTION_STALE_CHECK: u32 = 2;

/**
 * Creates a space. With `root` = all ones the engine allocates and owns the tables
 * (from `allocator`, whose table space must be `parent`); otherwise `root` is the
 * address of tables the caller (a guest) maintains. Returns the id or a negative code.
 */
export function createSpace(format: u32, levels: u32, parent: i32, group: u32, allocator: u32, options: u32, root: u64): i32 {
  if (!levelsSupported(<u8>format, levels) || !groupValid(group)) return SPACE_BAD_ARGUMENT;
  if (parent != NO_PARENT) {
    if (parent < 0 || !spaceValid(<u32>parent) || load<i32>(spaceAt(<u32>parent) + S_PARENT) != NO_PARENT) return SPACE_BAD_ARGUMENT;
    if (!pairAllowed(<u8>format, load<u8>(spaceAt(<u32>parent) + S_FORMAT))) return SPACE_BAD_ARGUMENT;
  }
  const owned = root == NO_PAGE;
  if (owned && (!allocatorValid(allocator) || allocatorTableSpace(allocator) != parent)) return SPACE_BAD_ARGUMENT;
  if (!owned && (root & 0xFFF) != 0) return SPACE_BAD_ARGUMENT;
  let id: u32 = 0;
  while (id < maxSpaces && spaceValid(id)) id++;
  if (id == maxSpaces) return SPACE_NONE_FREE;
  let tableRoot = root;
  if (owned) {
    tableRoot = allocTable(allocator, id);
    if (tableRoot == NO_PAGE) return allocFailure == ALLOC_NO_RECORDS ? SPACE_NO_RECORDS : SPACE_NO_MEMORY;
  }
  const at = spaceAt(id);
  let flags: u8 = 0;
  if (options & OPTION_AD) flags |= FLAG_AD;
  if (options & OPTION_STALE_CHECK) flags |= FLAG_STALE_CHECK;
  if (owned) flags |= FLAG_OWNED;
  store<u8>(at + S_FORMAT, <u8>format);
  store<u8>(at + S_LEVELS, <u8>levels);
  store<u8>(at + S_FLAGS, flags);
  markSpaceLive(id, true);
  store<i32>(at + S_PARENT, parent);
  store<u64>(at + S_ROOT, tableRoot);
  store<u32>(at + S_GROUP, group);
  // A fresh epoch: entries a previous user of this id left behind are dead, and so
  // is the page-size mask it wrote (sizeMaskOf reads a mask older than the epoch as empty).
  renewSpaceEpoch(id);
  store<u32>(at + S_WALK_EPOCH, 0);
  store<u32>(at + S_ALLOCATOR, allocator);
  store<u32>(at + S_CHILDREN, 0);
  store<u32>(at + S_CTL, 0);
  if (parent != NO_PARENT) {
    const p = spaceAt(<u32>parent) + S_CHILDREN;
    store<u32>(p, load<u32>(p) + 1);
  }
  return <i32>id;
}

export function spaceOwned(space: u32): bool {
  return spaceValid(space) && (load<u8>(spaceAt(space) + S_FLAGS) & FLAG_OWNED) != 0;
}

export function destroySpace(space: u32): i32 {
  if (!spaceValid(space)) return SPACE_BAD_ARGUMENT;
  const at = spaceAt(space);
  if (load<u32>(at + S_CHILDREN)) return SPACE_BUSY;
  // By the allocator's records, not by walking the tables: those may be unreachable
  // (guest RAM the parent unmapped) or rewritten by a guest.
  if (load<u8>(at + S_FLAGS) & FLAG_OWNED) freeAllOf(load<u32>(at + S_ALLOCATOR), space);
  const parent = load<i32>(at + S_PARENT);
  if (parent != NO_PARENT) {
    const p = spaceAt(<u32>parent) + S_CHILDREN;
    store<u32>(p, load<u32>(p) - 1);
  }
  store<u8>(at + S_FLAGS, 0);
  markSpaceLive(space, false);
  renewSpaceEpoch(space);
  return 0;
}

/** Points a guest-maintained space at another root; everything cached for it is dropped. */
export function setSpaceRoot(space: u32, root: u64): i32 {
  if (!spaceValid(space) || spaceOwned(space) || (root & 0xFFF) != 0) return SPACE_BAD_ARGUMENT;
  const at = spaceAt(space);
  store<u64>(at + S_ROOT, root);
  renewSpaceEpoch(space);
  store<u32>(at + S_WALK_EPOCH, nextEpoch());
  return 0;
}

/**
 * Switches A/D tracking and the stale check. Switching A/D drops everything cached
 * for the space and, through thresholds, for its nested children (a new epoch,
 * counted as no invalidation): an IOTLB entry filled without tracking carries W
 * whatever D says and was filled by a walk that set no A, and a walk-cache entry
 * would let a walk skip A bits above it — so after the switch every translation
 * walks once and sets what the oracle sets (docs/formats.md).
 */
export function setSpaceOptions(space: u32, options: u32): i32 {
  if (!spaceValid(space)) return SPACE_BAD_ARGUMENT;
  const at = spaceAt(space);
  const old = load<u8>(at + S_FLAGS);
  let flags = old & ~(FLAG_AD | FLAG_STALE_CHECK);
  if (options & OPTION_AD) flags |= FLAG_AD;
  if (options & OPTION_STALE_CHECK) flags |= FLAG_STALE_CHECK;
  store<u8>(at + S_FLAGS, flags);
  if ((old ^ flags) & FLAG_AD) renewSpaceEpoch(space);
  noteSpaceChange();
  return 0;
}

/** The space's options word (OPTION_AD | OPTION_STALE_CHECK), or -1 for no such space. */
export function spaceOptions(space: u32): i32 {
  if (!spaceValid(space)) return SPACE_BAD_ARGUMENT;
  const flags = load<u8>(spaceAt(space) + S_FLAGS);
  return <i32>((flags & FLAG_AD ? OPTION_AD : 0) | (flags & FLAG_STALE_CHECK ? OPTION_STALE_CHECK : 0));
}

export function spaceRoot(space: u32): u64 {
  return spaceValid(space) ? load<u64>(spaceAt(space) + S_ROOT) : NO_PAGE;
}
