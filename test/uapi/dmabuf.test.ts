// The self-test dma-buf beyond the kernel cases: DMABUF_GET/REVOKE and MD_CHECK_DMABUF
// argument checks, the fd's file operations, its lifetime (closed while an IOAS maps
// it), and what a revoke does to existing mappings: every domain stops translating at
// once, the area stays, and making the buffer valid again only helps new imports.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as U from '../../src/index.js';
import * as MK from '../../src/iommu/abi/selftest.js';
import * as AH from './access-helpers.js';
import { expectErrno, expectOk, Harness, MAP_RW, PAGE, PAGE_N } from './helpers.js';
import { checkSystem } from './invariants.js';
import * as MH from './mock-helpers.js';

const A = U.MOCK_APERTURE_START;
const O_WRONLY = 1;
const O_RDWR = 2;

describe('test dma-buf', () => {
  let h: Harness;
  let ioas: number;
  let dom: MH.MockDomain;

  beforeEach(async () => {
    h = await Harness.open();
    ioas = h.ioasAlloc();
    dom = MH.mockDomainOk(h, ioas);
  });
  afterEach(() => {
    checkSystem(h.sys);
    for (const fd of h.sys.openFds()) expectOk(h.sys.close(fd));
    expect(h.sys.pool.totalPins).toBe(0);
  });

  const dma = (iova: bigint, length = 8) => h.sys.dma(dom.idev, { iova, length });

  it('DMABUF_GET rounds the length up to pages and refuses 0 or more than 512 pages', () => {
    const fds = h.sys.openFds();
    for (const bad of [0, 512 * PAGE + 1, 0xffff_ffff]) expectErrno(U.EINVAL, MH.dmabufGet(h, bad));
    expect(h.sys.openFds()).toEqual(fds);
    const one = MH.dmabufGet(h, 1);
    expectOk(h.mapFile(ioas, one, 0, PAGE).rc);
    expectErrno(U.EINVAL, h.mapFile(ioas, one, 0, PAGE + 1).rc);
    const most = MH.dmabufGet(h, 512 * PAGE);
    expect(most).toBe(one + 1);
    expectOk(h.mapFile(ioas, most, 511 * PAGE, PAGE).rc);
  });

  it('DMABUF_REVOKE and MD_CHECK_DMABUF want a dma-buf fd: closed EBADF, another kind EINVAL', () => {
    const mfd = h.sys.memfdCreate(PAGE);
    for (const fd of [99, -1]) {
      expectErrno(U.EBADF, MH.dmabufRevoke(h, fd, true));
      expectErrno(U.EBADF, MH.checkDmabuf(h, dom.hwpt, fd, A, 0));
    }
    for (const fd of [mfd, h.fd]) {
      expectErrno(U.EINVAL, MH.dmabufRevoke(h, fd, true));
      expectErrno(U.EINVAL, MH.checkDmabuf(h, dom.hwpt, fd, A, 0));
    }
  });

  it('MD_CHECK_DMABUF: the HWPT, alignment to the IO page, the range inside the buffer, the pages behind it', () => {
    const dfd = MH.dmabufGet(h, 8 * PAGE);
    const r = h.mapFile(ioas, dfd, 2 * PAGE, 4 * PAGE);
    expectOk(r.rc);
    expectOk(MH.checkDmabuf(h, dom.hwpt, dfd, r.iova, 4 * PAGE, 2 * PAGE));
    expectOk(MH.checkDmabuf(h, dom.hwpt, dfd, r.iova + 2048n, 2048, 2 * PAGE + 2048));
    expectErrno(U.ENOENT, MH.checkDmabuf(h, 0, dfd, r.iova, PAGE));
    expectErrno(U.ENOENT, MH.checkDmabuf(h, ioas, dfd, r.iova, PAGE));
    expectErrno(U.EINVAL, MH.checkDmabuf(h, dom.hwpt, dfd, r.iova + 1n, 2048, 2 * PAGE));
    expectErrno(U.EINVAL, MH.checkDmabuf(h, dom.hwpt, dfd, r.iova, 2047, 2 * PAGE));
    expectErrno(U.EINVAL, MH.checkDmabuf(h, dom.hwpt, dfd, r.iova, 2048, 2 * PAGE + 1));
    expectErrno(U.EINVAL, MH.checkDmabuf(h, dom.hwpt, dfd, r.iova, 8 * PAGE, 2 * PAGE));
    expectErrno(U.EINVAL, MH.checkDmabuf(h, dom.hwpt, dfd, r.iova, 2048, U.U64_MAX - 2047n));
    // Another offset of the buffer is other pages.
    expectErrno(U.EINVAL, MH.checkDmabuf(h, dom.hwpt, dfd, r.iova, 4 * PAGE, 0));
  });

  it('the fd has no read or write (EINVAL, or EBADF when its access mode forbids it), seeks only to 0', () => {
    const at = h.sys.mem.alloc(PAGE);
    const ro = MH.dmabufGet(h, PAGE);
    expectErrno(U.EINVAL, h.sys.read(ro, at, 8));
    expectErrno(U.EBADF, h.sys.write(ro, at, 8));
    const rw = MH.dmabufGet(h, PAGE, MH.O_CLOEXEC | O_RDWR);
    expectErrno(U.EINVAL, h.sys.read(rw, at, 8));
    expectErrno(U.EINVAL, h.sys.write(rw, at, 8));
    const wo = MH.dmabufGet(h, PAGE, O_WRONLY);
    expectErrno(U.EBADF, h.sys.read(wo, at, 8));
    expectErrno(U.EINVAL, h.sys.write(wo, at, 8));
    expect(h.sys.lseek(ro, 0)).toBe(0);
    expectErrno(U.EINVAL, h.sys.lseek(ro, PAGE));
    expectErrno(U.EINVAL, h.sys.ftruncate(ro, 0));
    expectErrno(U.ENOTTY, h.sys.ioctl(ro, U.IOMMU_IOAS_ALLOC, h.arg));
    expectErrno(U.EINVAL, h.sys.mmap(PAGE, U.PROT_READ, U.MAP_SHARED, ro, 0));
  });

  it('closing the fd while an IOAS maps the buffer keeps it until the last area goes', () => {
    const frames = h.sys.pool.liveFrames;
    const dfd = MH.dmabufGet(h, 2 * PAGE);
    const r = h.mapFile(ioas, dfd, 0, 2 * PAGE);
    expectOk(r.rc);
    expectOk(h.sys.close(dfd));
    const stamp = new Uint8Array(2 * PAGE).fill(0x3c);
    expect('data' in h.sys.dma(dom.idev, { iova: r.iova, write: true, data: stamp })).toBe(true);
    const back = dma(r.iova, 2 * PAGE);
    expect('data' in back && back.data.every((b) => b === 0x3c)).toBe(true);
    expectOk(h.unmap(ioas, r.iova, 2n * PAGE_N).rc);
    expect(h.sys.pool.liveFrames).toBe(frames);
  });

  it('a failed MAP_FILE leaves no import behind', () => {
    const frames = h.sys.pool.liveFrames;
    const dfd = MH.dmabufGet(h, PAGE);
    expectOk(h.mapFile(ioas, dfd, 0, PAGE, A).rc);
    expectErrno(U.EEXIST, h.mapFile(ioas, dfd, 0, PAGE, A).rc);
    expectOk(h.unmap(ioas, A, PAGE_N).rc);
    expectOk(h.sys.close(dfd));
    expect(h.sys.pool.liveFrames).toBe(frames);
  });

  it('revoke: every domain stops translating, the area stays, un-revoking does not bring it back', () => {
    const dfd = MH.dmabufGet(h, 2 * PAGE);
    const r = h.mapFile(ioas, dfd, 0, 2 * PAGE);
    expectOk(r.rc);
    const second = MH.hwptAlloc(h, dom.idev, ioas);
    expectOk(second.rc);
    for (const hwpt of [dom.hwpt, second.id]) expectOk(MH.checkDmabuf(h, hwpt, dfd, r.iova, 2 * PAGE));
    expect('data' in dma(r.iova)).toBe(true);

    expectOk(MH.dmabufRevoke(h, dfd, true));
    for (const hwpt of [dom.hwpt, second.id]) expectErrno(U.EINVAL, MH.checkDmabuf(h, hwpt, dfd, r.iova, 2 * PAGE));
    expect('fault' in dma(r.iova)).toBe(true);
    // The IOVA is still taken; a revoke twice is no different.
    expectErrno(U.EEXIST, h.mapFile(ioas, h.sys.memfdCreate(2 * PAGE), 0, 2 * PAGE, r.iova).rc);
    expectOk(MH.dmabufRevoke(h, dfd, true));
    // A domain created now fills around the revoked area.
    const third = MH.hwptAlloc(h, dom.idev, ioas);
    expectOk(third.rc);
    expectErrno(U.EINVAL, MH.checkDmabuf(h, third.id, dfd, r.iova, PAGE));

    expectOk(MH.dmabufRevoke(h, dfd, false));
    expect('fault' in dma(r.iova)).toBe(true);
    const again = h.mapFile(ioas, dfd, 0, 2 * PAGE);
    expectOk(again.rc);
    for (const hwpt of [dom.hwpt, second.id, third.id]) expectOk(MH.checkDmabuf(h, hwpt, dfd, again.iova, 2 * PAGE));
    expectOk(h.unmap(ioas, r.iova, 2n * PAGE_N).rc);
  });

  it('revoke reaches copies of the area in other IOASes', () => {
    const dfd = MH.dmabufGet(h, PAGE);
    expectOk(h.mapFile(ioas, dfd, 0, PAGE, A).rc);
    const dst = h.ioasAlloc();
    const other = MH.mockDomainOk(h, dst);
    const copy = h.call(U.IOMMU_IOAS_COPY, U.IommuIoasCopy, {
      flags: MAP_RW | U.IOMMU_IOAS_MAP_FIXED_IOVA,
      dst_ioas_id: dst,
      src_ioas_id: ioas,
      length: PAGE_N,
      dst_iova: A + 0x10000n,
      src_iova: A,
    });
    expectOk(copy.rc);
    expectOk(MH.checkDmabuf(h, other.hwpt, dfd, A + 0x10000n, PAGE));
    expectOk(MH.dmabufRevoke(h, dfd, true));
    expectErrno(U.EINVAL, MH.checkDmabuf(h, other.hwpt, dfd, A + 0x10000n, PAGE));
    expectErrno(U.EINVAL, MH.checkDmabuf(h, dom.hwpt, dfd, A, PAGE));
  });

  it('in-kernel accesses cannot use dma-buf memory (EINVAL); CHANGE_PROCESS refuses it (EINVAL)', () => {
    const dfd = MH.dmabufGet(h, PAGE);
    expectOk(h.mapFile(ioas, dfd, 0, PAGE, A).rc);
    const access = AH.createAccessOk(h, ioas, U.MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES);
    expectErrno(U.EINVAL, AH.accessPages(h, access, A, PAGE, 0).rc);
    const buf = h.sys.mem.alloc(PAGE);
    expectErrno(U.EINVAL, AH.accessRw(h, access, A, 16, buf, 0));
    expectErrno(U.EINVAL, AH.accessRw(h, access, A, 16, buf, U.MOCK_ACCESS_RW_WRITE));
    AH.destroyAccess(h, access);
    expectErrno(U.EINVAL, h.call(U.IOMMU_IOAS_CHANGE_PROCESS, U.IommuIoasChangeProcess, {}).rc);
  });

  it('in-kernel users walk the areas in order: dma-buf memory is EINVAL before a hole after it is ENOENT', () => {
    const dfd = MH.dmabufGet(h, PAGE);
    expectOk(h.mapFile(ioas, dfd, 0, PAGE, A).rc);
    const access = AH.createAccessOk(h, ioas, U.MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES);
    const buf = h.sys.mem.alloc(2 * PAGE);
    // [dma-buf page][hole]: the dma-buf area comes first and decides.
    expectErrno(U.EINVAL, AH.accessPages(h, access, A, 2 * PAGE, 0).rc);
    expectErrno(U.EINVAL, AH.accessRw(h, access, A + PAGE_N - 8n, 16, buf, 0));
    // [hole][dma-buf page]: the walk stops at the hole.
    expectErrno(U.ENOENT, AH.accessPages(h, access, A - PAGE_N, 2 * PAGE, 0).rc);
    expectErrno(U.ENOENT, AH.accessRw(h, access, A - 8n, 16, buf, 0));
    AH.destroyAccess(h, access);
  });

  it('HW_QUEUE_ALLOC pins like an access: dma-buf memory is EINVAL, before the driver looks at the queue', () => {
    const parent = MH.hwptAlloc(h, dom.idev, ioas, { flags: U.IOMMU_HWPT_ALLOC_NEST_PARENT });
    expectOk(parent.rc);
    const viommu = MH.viommuAlloc(h, dom.idev, parent.id);
    expectOk(viommu.rc);
    const alloc = (index: number, base: bigint, length: bigint) =>
      h.call(U.IOMMU_HW_QUEUE_ALLOC, U.IommuHwQueueAlloc, { viommu_id: viommu.id, type: MK.IOMMU_HW_QUEUE_TYPE_SELFTEST, index, nesting_parent_iova: base, length }).rc;
    const dfd = MH.dmabufGet(h, 2 * PAGE);
    expectOk(h.mapFile(ioas, dfd, 0, 2 * PAGE, A).rc);
    const objects = [...h.ctx.objects.values()].length;
    expectErrno(U.EINVAL, alloc(0, A, PAGE_N));
    // Index 1 without queue 0 would be the driver's EIO; the pin fails first.
    expectErrno(U.EINVAL, alloc(1, A, PAGE_N));
    // [dma-buf page][hole] is EINVAL; [hole][dma-buf page] is ENOENT.
    expectErrno(U.EINVAL, alloc(0, A + PAGE_N, 2n * PAGE_N));
    expectErrno(U.ENOENT, alloc(0, A - PAGE_N, 2n * PAGE_N));
    expect([...h.ctx.objects.values()].length).toBe(objects);
    // Nothing was locked: the area unmaps.
    expectOk(h.unmap(ioas, A, 2n * PAGE_N).rc);
  });

  it('MAP_FILE checks of the dma-buf path in order: length 0, wrap, size, revoked', () => {
    const dfd = MH.dmabufGet(h, PAGE);
    expectOk(MH.dmabufRevoke(h, dfd, true));
    expectErrno(U.EINVAL, h.mapFile(ioas, dfd, 0, 0).rc);
    expectErrno(U.EOVERFLOW, h.mapFile(ioas, dfd, U.U64_MAX, 2).rc);
    expectErrno(U.EINVAL, h.mapFile(ioas, dfd, 0, PAGE + 1).rc);
    expectErrno(U.ENODEV, h.mapFile(ioas, dfd, 0, PAGE).rc);
  });
});
