// mmap/munmap of the simulated process: argument checks, anonymous memory with a
// protection, memfd mappings (shared: the file's pages; private: copy-on-write, and a
// long-term pin unshares), and the iommufd's driver regions (exact offset and length,
// owner busy and iommufd kept open while mapped, never pinnable).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as U from '../../src/index.js';
import * as MK from '../../src/iommu/abi/selftest.js';
import { expectErrno, expectOk, Harness, MAP_FIXED_RW, PAGE, PAGE_N } from './helpers.js';
import { checkSystem } from './invariants.js';
import * as MH from './mock-helpers.js';

const RW = U.PROT_READ | U.PROT_WRITE;
const A = U.MOCK_APERTURE_START;

function bytes(h: Harness, addr: number, length: number): Uint8Array {
  const r = h.sys.mem.read(addr, length);
  if (!r.ok) throw new Error(`read at ${addr.toString(16)}: errno ${r.errno}`);
  return r.value;
}

/** A memfd of `pages` pages, page i filled with 0x10 + i. */
function memfdWithPattern(h: Harness, pages: number): number {
  const fd = h.sys.memfdCreate(pages * PAGE);
  const src = h.sys.mem.alloc(pages * PAGE);
  for (let i = 0; i < pages; i++) h.sys.mem.write(src + i * PAGE, new Uint8Array(PAGE).fill(0x10 + i));
  expect(h.sys.write(fd, src, pages * PAGE)).toBe(pages * PAGE);
  expectOk(h.sys.mem.free(src));
  return fd;
}

describe('mmap and munmap', () => {
  let h: Harness;
  let ioas: number;

  beforeEach(async () => {
    h = await Harness.open();
    ioas = h.ioasAlloc();
  });
  afterEach(() => {
    checkSystem(h.sys);
    for (const fd of h.sys.openFds()) expectOk(h.sys.close(fd));
    expect(h.sys.pool.totalPins).toBe(0);
  });

  it('argument checks in the kernel order', () => {
    const mfd = h.sys.memfdCreate(PAGE);
    expectErrno(U.EINVAL, h.sys.mmap(PAGE, RW, U.MAP_SHARED, mfd, 100));
    expectErrno(U.EBADF, h.sys.mmap(PAGE, RW, U.MAP_SHARED, 99, 0));
    expectErrno(U.EINVAL, h.sys.mmap(0, RW, U.MAP_SHARED, mfd, 0));
    expectErrno(U.EOVERFLOW, h.sys.mmap(PAGE, RW, U.MAP_SHARED, mfd, 1n << 63n));
    expectErrno(U.EINVAL, h.sys.mmap(PAGE, RW, 0, mfd, 0));
    expectErrno(U.EINVAL, h.sys.mmap(PAGE, RW, U.MAP_SHARED | 0x4, mfd, 0));
    expectErrno(U.EOPNOTSUPP, h.sys.mmap(PAGE, RW, U.MAP_SHARED_VALIDATE | 0x100000, mfd, 0));
    expectErrno(U.EINVAL, h.sys.mmap(PAGE, RW, U.MAP_SHARED | U.MAP_FIXED, mfd, 0));
    // An access fd is an anonymous-inode file without mmap.
    const access = MH.testCmd(h, U.IOMMU_TEST_OP.CREATE_ACCESS, ioas, U.TestCreateAccess, { flags: 0 }).out.out_access_fd;
    expectErrno(U.ENODEV, h.sys.mmap(PAGE, RW, U.MAP_SHARED, access, 0));
    expectErrno(U.EINVAL, h.sys.munmap(h.arg + 1, PAGE));
    expectErrno(U.EINVAL, h.sys.munmap(h.arg, 0));
    // Unmapping a hole is fine.
    expectOk(h.sys.munmap(h.arg + 16 * PAGE, PAGE));
  });

  it('anonymous memory keeps its protection', () => {
    const rw = h.sys.mmap(3000, RW, U.MAP_PRIVATE | U.MAP_ANONYMOUS, -1, 0);
    expect(h.sys.mem.write(rw, new Uint8Array(PAGE).fill(7)).ok).toBe(true);
    expect(bytes(h, rw, PAGE).every((b) => b === 7)).toBe(true);
    const ro = h.sys.mmap(PAGE, U.PROT_READ, U.MAP_PRIVATE | U.MAP_ANONYMOUS, -1, 0);
    expect(bytes(h, ro, 8).every((b) => b === 0)).toBe(true);
    expect(h.sys.mem.write(ro, new Uint8Array(1)).ok).toBe(false);
    const none = h.sys.mmap(PAGE, U.PROT_NONE, U.MAP_PRIVATE | U.MAP_ANONYMOUS, -1, 0);
    expect(h.sys.mem.read(none, 1).ok).toBe(false);
    // The kernel's copy_from_user faults the same way: an ioctl struct there is EFAULT.
    expectErrno(U.EFAULT, h.sys.ioctl(h.fd, U.IOMMU_IOAS_ALLOC, none));
    for (const at of [rw, ro, none]) expectOk(h.sys.munmap(at, PAGE));
  });

  it('MAP_SHARED of a memfd is the file: both ways, pins the file page, beyond the end faults', () => {
    const mfd = memfdWithPattern(h, 2);
    const buf = h.sys.mmap(2 * PAGE, RW, U.MAP_SHARED, mfd, 0);
    expect(bytes(h, buf + PAGE, 4)).toEqual(new Uint8Array(4).fill(0x11));
    h.sys.mem.write(buf, new Uint8Array([1, 2, 3]));
    const at = h.sys.mem.alloc(PAGE);
    h.sys.lseek(mfd, 0);
    expect(h.sys.read(mfd, at, 3)).toBe(3);
    expect(bytes(h, at, 3)).toEqual(new Uint8Array([1, 2, 3]));

    const dom = MH.mockDomainOk(h, ioas);
    const r = h.map(ioas, buf, 2 * PAGE);
    expectOk(r.rc);
    expectOk(MH.checkMap(h, dom.hwpt, r.iova, 2 * PAGE, buf));
    expectOk(MH.checkRefs(h, buf, 2 * PAGE, 1));
    // A device write shows up in the file and in the mapping.
    expect('data' in h.sys.dma(dom.idev, { iova: r.iova, write: true, data: new Uint8Array([9]) })).toBe(true);
    expect(bytes(h, buf, 1)[0]).toBe(9);

    expectOk(h.sys.ftruncate(mfd, PAGE));
    expect(h.sys.mem.read(buf + PAGE, 1).ok).toBe(false);
    expect(h.sys.mem.write(buf + PAGE, new Uint8Array(1)).ok).toBe(false);
    expectOk(h.unmap(ioas, r.iova, 2n * PAGE_N).rc);
    expectErrno(U.EFAULT, h.map(ioas, buf, 2 * PAGE).rc);
    expectOk(h.sys.munmap(buf, 2 * PAGE));
  });

  it('a mapping keeps its memfd after close; the last munmap lets it go', () => {
    const frames = h.sys.pool.liveFrames;
    const mfd = memfdWithPattern(h, 2);
    const buf = h.sys.mmap(2 * PAGE, RW, U.MAP_SHARED, mfd, 0);
    expectOk(h.sys.close(mfd));
    expect(bytes(h, buf, 1)[0]).toBe(0x10);
    expectOk(h.sys.munmap(buf, PAGE));
    expect(bytes(h, buf + PAGE, 1)[0]).toBe(0x11);
    expectOk(h.sys.munmap(buf + PAGE, PAGE));
    expect(h.sys.pool.liveFrames).toBe(frames);
  });

  it('MAP_PRIVATE copies on write: the file never sees it, and an untouched page still follows the file', () => {
    const mfd = memfdWithPattern(h, 2);
    const buf = h.sys.mmap(2 * PAGE, RW, U.MAP_PRIVATE, mfd, 0);
    h.sys.mem.write(buf, new Uint8Array([0xaa]));
    const at = h.sys.mem.alloc(PAGE);
    h.sys.mem.write(at, new Uint8Array(2).fill(0xee));
    // The file changes under both pages.
    h.sys.lseek(mfd, 1);
    expect(h.sys.write(mfd, at, 1)).toBe(1);
    h.sys.lseek(mfd, PAGE);
    expect(h.sys.write(mfd, at, 1)).toBe(1);
    expect([...bytes(h, buf, 2)]).toEqual([0xaa, 0x10]);
    expect(bytes(h, buf + PAGE, 1)[0]).toBe(0xee);
    h.sys.lseek(mfd, 0);
    expect(h.sys.read(mfd, at, 1)).toBe(1);
    expect(bytes(h, at, 1)[0]).toBe(0x10);
    expectOk(h.sys.munmap(buf, 2 * PAGE));
  });

  it('a long-term pin of a private page unshares it, for reading too; the device then sees the process', () => {
    const mfd = memfdWithPattern(h, 1);
    const buf = h.sys.mmap(PAGE, RW, U.MAP_PRIVATE, mfd, 0);
    const dom = MH.mockDomainOk(h, ioas);
    const r = h.map(ioas, buf, PAGE, undefined, U.IOMMU_IOAS_MAP_READABLE);
    expectOk(r.rc);
    expectOk(MH.checkMap(h, dom.hwpt, r.iova, PAGE, buf));
    h.sys.mem.write(buf, new Uint8Array([0x77]));
    const seen = h.sys.dma(dom.idev, { iova: r.iova, length: 2 });
    expect('data' in seen && [...seen.data]).toEqual([0x77, 0x10]);
    // The file kept its byte.
    const at = h.sys.mem.alloc(PAGE);
    h.sys.lseek(mfd, 0);
    expect(h.sys.read(mfd, at, 1)).toBe(1);
    expect(bytes(h, at, 1)[0]).toBe(0x10);
    // munmap while pinned: the pinned copy outlives the mapping.
    expectOk(h.sys.munmap(buf, PAGE));
    const still = h.sys.dma(dom.idev, { iova: r.iova, length: 1 });
    expect('data' in still && still.data[0]).toBe(0x77);
  });

  it('a read-only mapping cannot be pinned for writing (EFAULT when a domain pins it)', () => {
    const mfd = memfdWithPattern(h, 1);
    const buf = h.sys.mmap(PAGE, U.PROT_READ, U.MAP_PRIVATE, mfd, 0);
    expect(h.sys.mem.write(buf, new Uint8Array(1)).ok).toBe(false);
    MH.mockDomainOk(h, ioas);
    expectErrno(U.EFAULT, h.map(ioas, buf, PAGE).rc);
    expectOk(h.map(ioas, buf, PAGE, undefined, U.IOMMU_IOAS_MAP_READABLE).rc);
  });
});

describe('mmap of the iommufd', () => {
  let h: Harness;
  let dom: MH.MockDomain;
  let parent: number;

  beforeEach(async () => {
    h = await Harness.open();
    const ioas = h.ioasAlloc();
    dom = MH.mockDomainOk(h, ioas);
    const p = MH.hwptAlloc(h, dom.idev, ioas, { flags: U.IOMMU_HWPT_ALLOC_NEST_PARENT });
    expectOk(p.rc);
    parent = p.id;
  });
  afterEach(() => {
    checkSystem(h.sys);
    for (const fd of h.sys.openFds()) expectOk(h.sys.close(fd));
    expect(h.sys.liveContexts()).toEqual([]);
    expect(h.sys.pool.totalPins).toBe(0);
  });

  /** A vIOMMU with selftest data: its ID and the mmap offset and length it reports. */
  const viommuWithData = (inData: number) => {
    const data = h.sys.mem.alloc(PAGE);
    h.sys.mem.writeU32(data, inData);
    const r = h.call(U.IOMMU_VIOMMU_ALLOC, U.IommuViommuAlloc, {
      dev_id: dom.idev,
      hwpt_id: parent,
      type: MK.IOMMU_VIOMMU_TYPE_SELFTEST,
      data_len: 24,
      data_uptr: BigInt(data),
    });
    expectOk(r.rc);
    const v = new DataView(bytes(h, data, 24).buffer);
    return { id: r.out.out_viommu_id, offset: v.getBigUint64(8, true), length: Number(v.getBigUint64(16, true)) };
  };

  it('shared and never executable; offsets are handed out lowest first and reused', () => {
    const first = viommuWithData(1);
    const second = viommuWithData(2);
    expect(first.offset).toBe(PAGE_N);
    expect(second.offset).toBe(PAGE_N + BigInt(first.length));
    expectErrno(U.EINVAL, h.sys.mmap(first.length, RW, U.MAP_PRIVATE, h.fd, first.offset));
    expectErrno(U.EPERM, h.sys.mmap(first.length, RW | U.PROT_EXEC, U.MAP_SHARED, h.fd, first.offset));
    expectErrno(U.ENXIO, h.sys.mmap(first.length, RW, U.MAP_SHARED, h.fd, 0));
    expectOk(h.destroy(first.id));
    expectErrno(U.ENXIO, h.sys.mmap(first.length, RW, U.MAP_SHARED, h.fd, first.offset));
    expect(viommuWithData(3).offset).toBe(PAGE_N);
    // A vIOMMU without data registers nothing.
    expectOk(MH.viommuAlloc(h, dom.idev, parent).rc);
    expect(h.ctx.mmaps.size).toBe(2);
  });

  it('the mapping reaches the driver pages, cannot be pinned, and holds the iommufd open', () => {
    const v = viommuWithData(0xbeef);
    const buf = h.sys.mmap(v.length, RW, U.MAP_SHARED, h.fd, v.offset);
    expect(buf).toBeGreaterThan(0);
    h.sys.mem.writeU32(buf + PAGE, 0x1234);
    const again = h.sys.mmap(v.length, U.PROT_READ, U.MAP_SHARED, h.fd, v.offset);
    expect(h.sys.mem.readU32(again + PAGE)).toEqual({ ok: true, value: 0x1234 });
    expectOk(h.sys.munmap(again, v.length));

    const ioas = h.ioasAlloc();
    MH.mockDomainOk(h, ioas);
    expectErrno(U.EFAULT, h.map(ioas, buf, PAGE, A, MAP_FIXED_RW).rc);

    // Closing the iommufd keeps it alive while mapped; a partial munmap keeps it too.
    const ctx = h.ctx;
    expectOk(h.sys.close(h.fd));
    expect(h.sys.liveContexts()).toEqual([ctx]);
    expectOk(h.sys.munmap(buf, PAGE));
    expect(h.sys.liveContexts()).toEqual([ctx]);
    expectErrno(U.EBUSY, ctx.objects.destroy(v.id));
    expectOk(h.sys.munmap(buf + PAGE, PAGE));
    expect(h.sys.liveContexts()).toEqual([]);
  });
});
