// The nested table cache: parent translations of the pages holding stage-1 tables,
// keyed (parent, GPA page). A parent range invalidation probes it page by page.
import { CACHE_NESTED_TABLE } from '../layout';
import { descAt, makeKey, setIndex, cacheLookup, cacheInsert, E_VALUE, D_SET_MASK } from '../cache';
import { stampNow } from '../spaces';
import { count, C_NESTED_TABLE_HITS, C_NESTED_TABLE_MISSES } from '../counters';

export const NO_HOST: u64 = 0xFFFF_FFFF_FFFF_FFFF;

/** Host page of the stage-1 table page holding `gpa` when cached with `need` permissions, else NO_HOST. */
export function tableCacheLookup(parent: u32, gpa: u64, need: u32, threshold: u32): u64 {
  const desc = descAt(CACHE_NESTED_TABLE);
  const page = gpa >> 12;
  const at = cacheLookup(desc, makeKey(page, 0), parent, threshold, setIndex(page, parent, 0, load<u32>(desc + D_SET_MASK)));
  if (at) {
    const value = load<u64>(at + E_VALUE);
    if ((<u32>value & need) == need) { count(C_NESTED_TABLE_HITS); return value & ~0xFFF; }
  }
  count(C_NESTED_TABLE_MISSES);
  return NO_HOST;
}

export function tableCacheFill(parent: u32, gpa: u64, hostPage: u64, perms: u32): void {
  const desc = descAt(CACHE_NESTED_TABLE);
  const page = gpa >> 12;
  cacheInsert(desc, setIndex(page, parent, 0, load<u32>(desc + D_SET_MASK)), makeKey(page, 0), parent, stampNow, hostPage | perms, 0);
}
