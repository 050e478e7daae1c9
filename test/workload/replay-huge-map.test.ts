// Issue 17 defect 5: one map record of 2^36 bytes in `replay --via iommufd` cost about
// 1 GB and 11 s, because the process memory behind it made one entry per 4 KiB page.
// The cost must follow what is touched: the measure here is the number of page
// entries the process memory creates (deterministic), not time.
import { describe, expect, it } from 'vitest';
import * as U from '../../src/index.js';
import type { TraceRecord } from '../../src/trace/records.js';
import { UserMemory } from '../../src/uapi/user-memory.js';
import { FramePool } from '../../src/uapi/frame-pool.js';
import { MemoryFrameStore } from '../../src/uapi/testing/memory-frame-store.js';
import { replayViaIommufd } from '../../src/workload/replay-iommufd.js';

const A = U.MOCK_APERTURE_START;
const GIB64 = 2 ** 36;

describe('issue 17 defect 5: process memory costs what is touched', () => {
  it('a 2^36-byte anonymous region is one range until pages are written', () => {
    const mem = new UserMemory(new FramePool(new MemoryFrameStore()));
    const addr = mem.alloc(GIB64);
    expect(mem.mappedPages).toBe(GIB64 / 4096);
    expect(mem.pageEntries).toBe(0);
    expect(mem.isMapped(addr, GIB64)).toBe(true);
    expect(mem.canRead(addr, GIB64)).toBe(true);
    expect(mem.isZero(addr, GIB64)).toEqual({ ok: true, value: true });
    // One byte at the very end backs one page.
    expect(mem.write(addr + GIB64 - 1, Uint8Array.of(7)).ok).toBe(true);
    expect(mem.pageEntries).toBe(1);
    expect(mem.isZero(addr, GIB64)).toEqual({ ok: true, value: false });
    expect(mem.read(addr + GIB64 - 2, 2)).toEqual({ ok: true, value: Uint8Array.of(0, 7) });
    // Past the end is the guard page; a read over it is EFAULT without allocating.
    expect(mem.read(addr, GIB64 + 1).ok).toBe(false);
    // Unmapping the middle keeps both ends mapped.
    expect(mem.free(addr + 4096, GIB64 - 8192)).toBe(0);
    expect(mem.mappedPages).toBe(2);
    expect(mem.isMapped(addr, 4096)).toBe(true);
    expect(mem.isMapped(addr, 4097)).toBe(false);
    expect(mem.read(addr + GIB64 - 1, 1)).toEqual({ ok: true, value: Uint8Array.of(7) });
    expect(mem.free(addr)).toBe(0);
    expect(mem.free(addr + GIB64 - 4096, 4096)).toBe(0);
    expect(mem.mappedPages).toBe(0);
    expect(mem.pageEntries).toBe(0);
    expect(mem.pool.liveFrames).toBe(0);
  });

  it('a 2^36-byte map record is refused before IOAS_MAP (it would pin every page) and creates no page entries', async () => {
    const records: TraceRecord[] = [
      { type: 'map', space: 0, iova: A, addr: 0n, length: BigInt(GIB64), perms: 3 },
      { type: 'map', space: 0, iova: A, addr: 0n, length: 0x2000n, perms: 3 },
    ];
    const { summary, sys } = await replayViaIommufd(records);
    expect(summary.maps).toEqual({ ok: 1, failed: 1 });
    expect(summary.tooLong).toBe(1);
    expect(summary.ioctlFailuresByCommand).toEqual({});
    expect(summary.userMemoryFailures).toBe(0);
    expect(summary.notes.some((n) => /68719476736 bytes/.test(n) && /pins every page/.test(n))).toBe(true);
    // Page entries ever made: the typed API's scratch page(s) and the 2 pages pinned for the small map.
    expect(sys.mem.pageEntriesCreated).toBeLessThan(16);
  });

  it('a map record larger than the process address space is refused before IOAS_MAP, with a note', async () => {
    const records: TraceRecord[] = [{ type: 'map', space: 0, iova: A, addr: 0n, length: 1n << 60n, perms: 3 }];
    const { summary, sys } = await replayViaIommufd(records, { maxMapBytes: 1n << 62n });
    expect(summary.maps).toEqual({ ok: 0, failed: 1 });
    expect(summary.userMemoryFailures).toBe(1);
    expect(summary.ioctlFailures).toEqual({});
    expect(summary.notes.some((n) => /does not fit/.test(n) && /1152921504606846976/.test(n))).toBe(true);
    expect(sys.mem.pageEntriesCreated).toBeLessThan(16);
  });
});
