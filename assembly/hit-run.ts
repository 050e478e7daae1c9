// The IOTLB hit loop for the common case: a run of requests of one space whose
// IOTLB entries are all of one page size. Kept apart from translateRequests so the
// loop carries few live values (the general loop's walk and stale-check paths make
// the compiler spill its registers on every request).
import { CACHE_ENTRY } from './layout';
import { E_VALUE, KEY_PAGE_MASK, makeKey, setSalt, setIndexSalted, entryMatches, moveToFront } from './cache';

/** Index of the request the last run stopped at because it missed (0xFFFFFFFF: none). */
export let runMissAt: u32 = 0xFFFF_FFFF;

/** How many requests ahead the loop touches IOTLB sets. */
const LOOKAHEAD: u32 = 6;
/** Keeps the look-ahead loads alive. */
let touchSink: u64 = 0;

/** Which of the two ways of the 64-byte line at `at` hold the entry (bit 0, bit 1), without a branch between them. */
@inline function lineHits(at: usize, key: u64, space: u32, threshold: u32): u32 {
  return <u32>entryMatches(at, key, space, threshold) | (<u32>entryMatches(at + CACHE_ENTRY, key, space, threshold) << 1);
}

/**
 * Set associativity as a compile-time hook. With four ways (the default IOTLB) a set
 * is two lines matched in one step with no inner loop, and the way count, the set
 * size and the loop's state need no registers: TurboFan otherwise spills the loop's
 * bases and recomputes the set salt on every request.
 */
@final @unmanaged class FourWays {
  @inline four(): bool { return true; }
}
@final @unmanaged class AnyWays {
  @inline four(): bool { return false; }
}

/**
 * Translates requests from `i` on while they name `space` and hit an entry of page
 * size class `sizeClass`; returns the index of the first request that did not (a
 * miss is noted in runMissAt, so it is not probed twice).
 */
export function hitRun(
  i: u32, count: u32, space: u32, threshold: u32, sizeClass: u32,
  iovaBase: usize, spaceBase: usize, accessBase: usize, outBase: usize, statusBase: usize,
  base: usize, setMask: u32, ways: u32, lru: bool,
): u32 {
  if (ways == 4) {
    return hitRunOf(changetype<FourWays>(0), i, count, space, threshold, sizeClass,
      iovaBase, spaceBase, accessBase, outBase, statusBase, base, setMask, 4, lru);
  }
  return hitRunOf(changetype<AnyWays>(0), i, count, space, threshold, sizeClass,
    iovaBase, spaceBase, accessBase, outBase, statusBase, base, setMask, ways, lru);
}

function hitRunOf<W>(
  w: W, i: u32, count: u32, space: u32, threshold: u32, sizeClass: u32,
  iovaBase: usize, spaceBase: usize, accessBase: usize, outBase: usize, statusBase: usize,
  base: usize, setMask: u32, ways: u32, lru: bool,
): u32 {
  const shift = <u64>(sizeClass + 12);
  const keyClass = makeKey(0, sizeClass);
  const offsetMask = (<u64>1 << shift) - 1;
  const setBytes = w.four() ? <usize>4 * CACHE_ENTRY : <usize>ways * CACHE_ENTRY;
  const salt = setSalt(space, sizeClass);
  const pairs = (ways & 1) == 0;
  let touched: u64 = 0;
  for (; i < count; i++) {
    // Touch the set of a request a few places ahead so its cache miss overlaps this
    // one's work (Wasm has no prefetch: a plain load whose value is kept).
    const ahead = i + LOOKAHEAD;
    if (ahead < count) {
      const aheadPage = load<u64>(iovaBase + (<usize>ahead << 3)) >> shift;
      touched ^= load<u64>(base + <usize>setIndexSalted(aheadPage, salt, setMask) * setBytes);
    }
    if (load<u32>(spaceBase + (<usize>i << 2)) != space) { touchSink ^= touched; return i; }
    const iova = load<u64>(iovaBase + (<usize>i << 3));
    const page = iova >> shift;
    const key = keyClass | (page & KEY_PAGE_MASK);
    const first = base + <usize>setIndexSalted(page, salt, setMask) * setBytes;
    let at = first;
    if (w.four()) {
      // The two lines of the set in turn, the two ways of a line without a branch
      // between them (which of them hits is random); move-to-front keeps most hits in
      // the first line, so the second is often never loaded.
      let both = lineHits(first, key, space, threshold);
      if (!both) {
        at += 2 * CACHE_ENTRY;
        both = lineHits(at, key, space, threshold);
        if (!both) { runMissAt = i; touchSink ^= touched; return i; }
      }
      at += <usize>ctz(both) * CACHE_ENTRY;
    } else {
      const end = first + setBytes;
      if (pairs) {
        // Two ways (one 64-byte line) per step, matched without a branch between them.
        while (at < end) {
          const both = lineHits(at, key, space, threshold);
          if (both) { at += <usize>ctz(both) * CACHE_ENTRY; break; }
          at += 2 * CACHE_ENTRY;
        }
      } else {
        while (at < end) {
          if (entryMatches(at, key, space, threshold)) break;
          at += CACHE_ENTRY;
        }
      }
      if (at == end) { runMissAt = i; touchSink ^= touched; return i; }
    }
    const value = load<u64>(at + E_VALUE);
    const access = load<u32>(accessBase + (<usize>i << 2));
    if ((<u32>value & access) != access) { runMissAt = i; touchSink ^= touched; return i; }
    if (lru && at != first) moveToFront(first, at);
    store<u64>(outBase + (<usize>i << 3), (value & ~0xFFF) | (iova & offsetMask));
    store<u32>(statusBase + (<usize>i << 2), 0);
  }
  touchSink ^= touched;
  return i;
}

/** Forgets the noted miss: a new call, or a walk that may have filled its page. */
@inline export function forgetRunMiss(): void { runMissAt = 0xFFFF_FFFF; }
