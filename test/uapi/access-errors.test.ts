// The in-kernel access ops' own error paths (beyond the self-test's cases): each one
// with the errno the self-test driver and the access core return, and state unchanged.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as U from '../../src/index.js';
import * as AH from './access-helpers.js';
import { BUFFER_SIZE, expectErrno, expectOk, Harness, HUGEPAGE, PAGE, PAGE_N } from './helpers.js';
import { checkSystem } from './invariants.js';
import { checkRefs, testCmd } from './mock-helpers.js';
import { stateSnapshot } from './snapshot.js';

const A = U.MOCK_APERTURE_START;
const NEEDS_PIN = U.MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES;

describe('in-kernel access error paths', () => {
  let h: Harness;
  let ioas: number;
  let buffer: number;

  beforeEach(async () => {
    h = await Harness.open();
    ioas = h.ioasAlloc();
    buffer = h.sys.mem.alloc(BUFFER_SIZE, HUGEPAGE);
  });
  afterEach(() => {
    checkSystem(h.sys);
    for (const fd of h.sys.openFds()) expectOk(h.sys.close(fd));
    expect(h.sys.liveContexts()).toEqual([]);
    expect(h.sys.pool.totalPins).toBe(0);
  });

  const unchanged = (rc: () => number, errno: number) => {
    const before = stateSnapshot(h.sys, { frames: false });
    expectErrno(errno, rc());
    expect(stateSnapshot(h.sys, { frames: false })).toBe(before);
  };

  it('CREATE_ACCESS: unknown flags EOPNOTSUPP, missing IOAS ENOENT, misaligned areas EADDRINUSE', () => {
    unchanged(() => AH.createAccess(h, ioas, 2).rc, U.EOPNOTSUPP);
    unchanged(() => AH.createAccess(h, 99, 0).rc, U.ENOENT);
    expectOk(h.map(ioas, buffer + 2048, 2048, 0x10000n).rc);
    // A pinning access needs page alignment, which the existing area breaks.
    unchanged(() => AH.createAccess(h, ioas, NEEDS_PIN).rc, U.EADDRINUSE);
    const rw = AH.createAccessOk(h, ioas, 0);
    AH.destroyAccess(h, rw);
  });

  it('the access object is held by its fd and holds its IOAS', () => {
    const fd = AH.createAccessOk(h, ioas, NEEDS_PIN);
    const access = [...h.ctx.objects.values()].find((o) => o.type === U.ObjectType.ACCESS)!;
    expect(access.id).toBe(ioas + 1);
    expectErrno(U.EBUSY, h.destroy(access.id));
    expectErrno(U.EBUSY, h.destroy(ioas));
    // The iommufd stays alive while the access fd is open.
    const ctx = h.ctx;
    expectOk(h.sys.close(h.fd));
    expect(h.sys.liveContexts()).toEqual([ctx]);
    AH.destroyAccess(h, fd);
    expect(h.sys.liveContexts()).toEqual([]);
  });

  it('ACCESS_PAGES: size cap, flags, fd kind, pin capability, range and identity checks', () => {
    const rwOnly = AH.createAccessOk(h, ioas, 0);
    const access = AH.createAccessOk(h, ioas, NEEDS_PIN);
    expectOk(h.map(ioas, buffer, BUFFER_SIZE, A, U.IOMMU_IOAS_MAP_READABLE | U.IOMMU_IOAS_MAP_FIXED_IOVA).rc);
    unchanged(() => AH.accessPages(h, access, A, 16 * 1024 * 1024 + 1, buffer).rc, U.ENOMEM);
    unchanged(() => AH.accessPages(h, access, A, PAGE, buffer, 2).rc, U.EOPNOTSUPP);
    unchanged(() => AH.accessPages(h, h.fd, A, PAGE, buffer).rc, U.EBADFD);
    unchanged(() => AH.accessPages(h, 99, A, PAGE, buffer).rc, U.EBADFD);
    unchanged(() => AH.accessPages(h, rwOnly, A, PAGE, buffer).rc, U.EOPNOTSUPP);
    unchanged(() => AH.accessPages(h, access, A, 0, buffer).rc, U.EINVAL);
    unchanged(() => AH.accessPages(h, access, U.U64_MAX, 2, buffer).rc, U.EOVERFLOW);
    unchanged(() => AH.accessPages(h, access, A - PAGE_N, PAGE, buffer).rc, U.ENOENT);
    unchanged(() => AH.accessPages(h, access, A, BUFFER_SIZE + PAGE, buffer).rc, U.ENOENT);
    // The area is read-only.
    unchanged(() => AH.accessPages(h, access, A, PAGE, buffer, U.MOCK_FLAGS_ACCESS_WRITE).rc, U.EPERM);
    // uptr names other pages than the ones pinned, or unmapped memory.
    unchanged(() => AH.accessPages(h, access, A, PAGE, buffer + PAGE).rc, U.EBADE);
    unchanged(() => AH.accessPages(h, access, A, PAGE, 0x1000).rc, U.EFAULT);
    // uptr 0 skips the comparison; SYZ addresses area 0 at offset one page.
    const syz = AH.accessPages(h, access, 1n << 32n << 12n, PAGE, 0, U.MOCK_FLAGS_ACCESS_SYZ);
    expectOk(syz.rc);
    expect(syz.id).toBe(0);
    expect(h.sys.pool.pinCount(h.sys.mem.frameOf(buffer + PAGE)!)).toBe(1);
    expectErrno(U.ENOENT, AH.destroyAccessPages(h, access, 1));
    expectOk(AH.destroyAccessPages(h, access, 0));
    expectErrno(U.EBADFD, AH.destroyAccessPages(h, h.fd, 0));
    AH.destroyAccess(h, rwOnly);
    AH.destroyAccess(h, access);
  });

  it('ACCESS_RW: size cap, flags, fd kind, EFAULT on both copies, holes, read-only areas', () => {
    const access = AH.createAccessOk(h, ioas, 0);
    expectOk(h.map(ioas, buffer, PAGE, A, U.IOMMU_IOAS_MAP_READABLE | U.IOMMU_IOAS_MAP_FIXED_IOVA).rc);
    const tmp = h.sys.mem.alloc(PAGE);
    unchanged(() => AH.accessRw(h, access, A, 16 * 1024 * 1024 + 1, tmp, 0), U.ENOMEM);
    unchanged(() => AH.accessRw(h, access, A, 8, tmp, 2), U.EOPNOTSUPP);
    unchanged(() => AH.accessRw(h, h.fd, A, 8, tmp, 0), U.EBADFD);
    unchanged(() => AH.accessRw(h, access, A, 8, 0x1000, U.MOCK_ACCESS_RW_WRITE), U.EFAULT);
    unchanged(() => AH.accessRw(h, access, A, 8, 0x1000, 0), U.EFAULT);
    unchanged(() => AH.accessRw(h, access, A, 0, tmp, 0), U.EINVAL);
    unchanged(() => AH.accessRw(h, access, A + PAGE_N - 4n, 8, tmp, 0), U.ENOENT);
    unchanged(() => AH.accessRw(h, access, A, 8, tmp, U.MOCK_ACCESS_RW_WRITE), U.EPERM);
    h.sys.mem.write(buffer + 16, Uint8Array.of(1, 2, 3, 4));
    expectOk(AH.accessRw(h, access, A + 16n, 4, tmp, 0));
    expect([...(h.sys.mem.read(tmp, 4) as { ok: true; value: Uint8Array }).value]).toEqual([1, 2, 3, 4]);
    AH.destroyAccess(h, access);
  });

  it('ACCESS_PAGES and ACCESS_RW walk the areas in IOVA order: a permission error after a hole is ENOENT', () => {
    const pins = AH.createAccessOk(h, ioas, NEEDS_PIN);
    const rw = AH.createAccessOk(h, ioas, 0);
    const fixed = U.IOMMU_IOAS_MAP_FIXED_IOVA;
    // [read-write][hole][read-only][write-only]
    expectOk(h.map(ioas, buffer, PAGE, A, U.IOMMU_IOAS_MAP_READABLE | U.IOMMU_IOAS_MAP_WRITEABLE | fixed).rc);
    expectOk(h.map(ioas, buffer + 2 * PAGE, PAGE, A + 2n * PAGE_N, U.IOMMU_IOAS_MAP_READABLE | fixed).rc);
    expectOk(h.map(ioas, buffer + 3 * PAGE, PAGE, A + 3n * PAGE_N, U.IOMMU_IOAS_MAP_WRITEABLE | fixed).rc);
    const tmp = h.sys.mem.alloc(3 * PAGE);
    const W = U.MOCK_FLAGS_ACCESS_WRITE;
    unchanged(() => AH.accessPages(h, pins, A, 3 * PAGE, 0, W).rc, U.ENOENT);
    unchanged(() => AH.accessRw(h, rw, A, 3 * PAGE, tmp, U.MOCK_ACCESS_RW_WRITE), U.ENOENT);
    // Contiguous: the read-only area refuses a write, the write-only one a read.
    unchanged(() => AH.accessPages(h, pins, A + 2n * PAGE_N, 2 * PAGE, 0, W).rc, U.EPERM);
    unchanged(() => AH.accessPages(h, pins, A + 2n * PAGE_N, 2 * PAGE, 0).rc, U.EPERM);
    unchanged(() => AH.accessRw(h, rw, A + 3n * PAGE_N, 8, tmp, 0), U.EPERM);
    expectOk(AH.accessRw(h, rw, A + 3n * PAGE_N, 8, tmp, U.MOCK_ACCESS_RW_WRITE));
    AH.destroyAccess(h, pins);
    AH.destroyAccess(h, rw);
  });

  it('MD_CHECK_REFS: whole pages that do not wrap (EINVAL), then page by page: unmapped EFAULT, wrong count EIO', () => {
    expectOk(h.map(ioas, buffer + PAGE, PAGE, A).rc);
    const access = AH.createAccessOk(h, ioas, NEEDS_PIN);
    expectOk(AH.accessPages(h, access, A, PAGE, buffer + PAGE).rc);
    expectErrno(U.EINVAL, checkRefs(h, buffer + 1, PAGE, 0));
    expectErrno(U.EINVAL, checkRefs(h, buffer, PAGE + 1, 0));
    expectErrno(U.EINVAL, checkRefs(h, Number(U.U64_MAX - PAGE_N + 1n), PAGE, 0));
    expectOk(checkRefs(h, buffer, 0, 7));
    expectOk(checkRefs(h, buffer + PAGE, PAGE, 1));
    // Page 0 has no pin: EIO before anything after it is looked at.
    expectErrno(U.EIO, checkRefs(h, buffer, 2 * PAGE, 1));
    expectErrno(U.EFAULT, checkRefs(h, 0x1000, PAGE, 0));
    AH.destroyAccess(h, access);
  });

  it('ACCESS_REPLACE_IOAS: EBADFD, ENOENT, same IOAS is a no-op, moving drops every pin', () => {
    const access = AH.createAccessOk(h, ioas, NEEDS_PIN);
    expectOk(h.map(ioas, buffer, BUFFER_SIZE, A).rc);
    const item = AH.accessPages(h, access, A, PAGE, buffer);
    expectOk(item.rc);
    unchanged(() => AH.accessReplaceIoas(h, h.fd, ioas), U.EBADFD);
    unchanged(() => AH.accessReplaceIoas(h, access, 99), U.ENOENT);
    expectOk(AH.accessReplaceIoas(h, access, ioas));
    expectOk(AH.destroyAccessPages(h, access, item.id));
    const again = AH.accessPages(h, access, A, PAGE, buffer);
    const other = h.ioasAlloc();
    expectOk(AH.accessReplaceIoas(h, access, other));
    expectErrno(U.ENOENT, AH.destroyAccessPages(h, access, again.id));
    // The old IOAS is free to go; the new one is held.
    expectOk(h.destroy(ioas));
    expectErrno(U.EBUSY, h.destroy(other));
    AH.destroyAccess(h, access);
  });

  it('an unknown self-test op is still EOPNOTSUPP', () => {
    expectErrno(U.EOPNOTSUPP, testCmd(h, 99, 0, U.TestMemoryLimit, {}).rc);
  });
});
