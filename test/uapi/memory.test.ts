// The simulated address space, memfd files, the frame pool and the in-memory store.
import { describe, expect, it } from 'vitest';
import { FramePool, MemFile, MemoryFrameStore, UserMemory, EFAULT, ENOMEM } from '../../src/index.js';

const PAGE = 4096;

function setup(capacityFrames?: number) {
  const store = new MemoryFrameStore({ capacityFrames });
  const pool = new FramePool(store);
  return { store, pool, mem: new UserMemory(pool) };
}

describe('UserMemory', () => {
  it('NULL and low addresses never map', () => {
    const { mem } = setup();
    for (const addr of [0, 1, 0xfff, 0x1000, 0xffff]) {
      const r = mem.read(addr, 4);
      expect(r.ok).toBe(false);
      expect(!r.ok && r.errno).toBe(EFAULT);
    }
    expect(mem.write(0, new Uint8Array(1)).ok).toBe(false);
  });

  it('allocations are aligned, page-granular and separated by a faulting guard page', () => {
    const { mem } = setup();
    const a = mem.alloc(10);
    const b = mem.alloc(PAGE, 1 << 21);
    expect(a % PAGE).toBe(0);
    expect(b % (1 << 21)).toBe(0);
    expect(mem.read(a + PAGE - 1, 1).ok).toBe(true);
    expect(mem.read(a + PAGE, 1).ok).toBe(false);
    expect(mem.read(a + PAGE - 2, 4).ok).toBe(false);
    expect(() => mem.alloc(0)).toThrow(RangeError);
    expect(() => mem.alloc(PAGE, 3)).toThrow(RangeError);
  });

  it('untouched pages read as zeros without backing; writes back lazily and round-trip', () => {
    const { mem, store } = setup();
    const a = mem.alloc(4 * PAGE);
    expect(store.allocatedFrames).toBe(0);
    const zero = mem.read(a, 4 * PAGE);
    expect(zero.ok && zero.value.every((x) => x === 0)).toBe(true);
    expect(store.allocatedFrames).toBe(0);
    const data = Uint8Array.from({ length: 3 * PAGE }, (_, i) => i & 0xff);
    expect(mem.write(a + 100, data).ok).toBe(true);
    expect(store.allocatedFrames).toBe(4);
    const back = mem.read(a + 100, data.length);
    expect(back.ok && Buffer.from(back.value).equals(Buffer.from(data))).toBe(true);
    expect(mem.isZero(a, 100)).toEqual({ ok: true, value: true });
    expect(mem.isZero(a, 102)).toEqual({ ok: true, value: false });
  });

  it('a write that would cross into unmapped memory writes nothing', () => {
    const { mem } = setup();
    const a = mem.alloc(PAGE);
    expect(mem.write(a + PAGE - 2, new Uint8Array([1, 2, 3, 4])).ok).toBe(false);
    const r = mem.read(a + PAGE - 2, 2);
    expect(r.ok && [...r.value]).toEqual([0, 0]);
  });

  it('free unmaps and releases frames; pinned frames outlive the mapping', () => {
    const { mem, store, pool } = setup();
    const a = mem.alloc(2 * PAGE);
    mem.write(a, new Uint8Array([7]));
    mem.write(a + PAGE, new Uint8Array([9]));
    const pinned = mem.pinFrame(BigInt(a / PAGE));
    expect(pinned.ok).toBe(true);
    expect(mem.free(a)).toBe(0);
    expect(mem.read(a, 1).ok).toBe(false);
    expect(store.allocatedFrames).toBe(1);
    const pa = pinned.ok ? pinned.value : 0n;
    expect(store.read(pa, 1)[0]).toBe(7);
    pool.unpin(pa);
    expect(store.allocatedFrames).toBe(0);
  });

  it('pinning unmapped memory is EFAULT; exhausting frames is ENOMEM', () => {
    const { mem } = setup(1);
    expect(mem.pinFrame(0n)).toEqual({ ok: false, errno: EFAULT });
    const a = mem.alloc(2 * PAGE);
    expect(mem.pinFrame(BigInt(a / PAGE)).ok).toBe(true);
    expect(mem.pinFrame(BigInt(a / PAGE + 1))).toEqual({ ok: false, errno: ENOMEM });
    expect(mem.write(a + PAGE, new Uint8Array(1))).toEqual({ ok: false, errno: ENOMEM });
  });

  it('accepts bigint addresses and rejects ones beyond the address space', () => {
    const { mem } = setup();
    const a = mem.alloc(PAGE);
    expect(mem.writeU64(BigInt(a), 0x1122334455667788n).ok).toBe(true);
    expect(mem.readU64(a)).toEqual({ ok: true, value: 0x1122334455667788n });
    expect(mem.readU32(1n << 63n).ok).toBe(false);
    expect(mem.readU32(-1).ok).toBe(false);
    expect(mem.readU32(0.5).ok).toBe(false);
  });
});

describe('MemFile', () => {
  it('reads back what was written, grows, truncates to zeros', () => {
    const { pool } = setup();
    const f = new MemFile(pool, 2 * PAGE);
    expect(f.pwrite(PAGE - 1, new Uint8Array([1, 2]))).toEqual({ ok: true, value: 2 });
    expect([...f.pread(PAGE - 1, 2)]).toEqual([1, 2]);
    expect(f.pread(2 * PAGE, 10).length).toBe(0);
    expect(f.truncate(PAGE)).toBe(0);
    expect(f.size).toBe(PAGE);
    f.truncate(2 * PAGE);
    expect([...f.pread(PAGE - 1, 2)]).toEqual([1, 0]);
  });

  it('pins only inside the file; truncation keeps pinned frames alive', () => {
    const { pool, store } = setup();
    const f = new MemFile(pool, PAGE);
    f.pwrite(0, new Uint8Array([5]));
    expect(f.pinFrame(1n)).toEqual({ ok: false, errno: EFAULT });
    const p = f.pinFrame(0n);
    expect(p.ok).toBe(true);
    f.truncate(0);
    expect(store.allocatedFrames).toBe(1);
    pool.unpin(p.ok ? p.value : 0n);
    expect(store.allocatedFrames).toBe(0);
  });
});

describe('MemoryFrameStore', () => {
  it('reuses the lowest freed frame, honours capacity, throws on unbacked reads', () => {
    const s = new MemoryFrameStore({ capacityFrames: 3 });
    const a = s.allocFrame()!;
    const b = s.allocFrame()!;
    const c = s.allocFrame()!;
    expect(s.allocFrame()).toBeUndefined();
    s.freeFrame(c);
    s.freeFrame(a);
    expect(s.allocFrame()).toBe(a);
    expect(b > a).toBe(true);
    expect(() => s.read(c, 1)).toThrow(RangeError);
    expect(() => s.freeFrame(c)).toThrow();
  });
});
