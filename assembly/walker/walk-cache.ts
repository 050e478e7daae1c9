// Walk caches (paging-structure caches): per level, (space, level, input prefix) ->
// the next table and the permissions accumulated above it.
import { descAt, makeKey, setIndex, cacheLookup, cacheInsert, E_VALUE, D_SET_MASK } from '../cache';
import { stampNow } from '../spaces';
import { count, C_PWC_HITS, C_PWC_MISSES } from '../counters';

/**
 * Starts a walk below the root when a walk cache holds a non-leaf entry covering
 * `input`: writes the table, level and permissions into the lane fields given.
 */
export function probeWalkCaches<F>(
  f: F, lane: usize, tableField: u32, levelField: u32, permsField: u32,
  space: u32, input: u64, levels: u32, threshold: u32,
): void {
  const top = levels - 1 < 4 ? levels - 1 : 4;
  for (let level: u32 = 1; level <= top; level++) {
    const desc = descAt(level);
    const page = input >> <u64>f.levelShift(level);
    const at = cacheLookup(desc, makeKey(page, level), space, threshold, setIndex(page, space, level, load<u32>(desc + D_SET_MASK)));
    if (at) {
      const value = load<u64>(at + E_VALUE);
      store<u64>(lane + tableField, value & ~0xFFF);
      store<i32>(lane + levelField, level - 1);
      store<u32>(lane + permsField, <u32>(value & 0xF));
      count(C_PWC_HITS);
      return;
    }
  }
  count(C_PWC_MISSES);
}

/** Caches the non-leaf entry at `level` (1..4) that points at `table`. */
@inline export function fillWalkCache<F>(f: F, space: u32, input: u64, level: u32, table: u64, perms: u32): void {
  const desc = descAt(level);
  const page = input >> <u64>f.levelShift(level);
  cacheInsert(desc, setIndex(page, space, level, load<u32>(desc + D_SET_MASK)), makeKey(page, level), space, stampNow, table | perms, 0);
}
