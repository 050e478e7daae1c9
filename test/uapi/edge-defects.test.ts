// Regression tests for defects found at the edges (issue 17): each failed before its
// fix. The kernel facts they rest on are cited next to each case.
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as U from '../../src/index.js';
import { IommufdObject, ObjectTable, ObjectType } from '../../src/index.js';
import * as AH from './access-helpers.js';
import { expectErrno, expectOk, Harness } from './helpers.js';
import { checkSystem } from './invariants.js';
import * as MH from './mock-helpers.js';
import { stateSnapshot } from './snapshot.js';

describe('issue 17 defect 1: ACCESS_REPLACE_IOAS from another iommufd', () => {
  let h: Harness;

  beforeEach(async () => {
    h = await Harness.open();
  });
  afterEach(() => {
    checkSystem(h.sys);
    for (const fd of h.sys.openFds()) expectOk(h.sys.close(fd));
    expect(h.sys.liveContexts().length).toBe(0);
    expect(h.sys.pool.totalPins).toBe(0);
  });

  it('looks the IOAS up in the access\'s own iommufd, and closing the other one succeeds', () => {
    // selftest.c iommufd_test_access_replace_ioas → iommufd_access_replace: the IOAS ID
    // is resolved in access->ictx, whatever file the command came in on.
    const fdA = h.fd;
    const ctxA = h.ctx;
    const ioasA1 = h.ioasAlloc();
    const access = AH.createAccessOk(h, ioasA1, 0);
    const ioasA3 = h.ioasAlloc();
    expect(ioasA3).toBe(3);

    const fdB = h.sys.open('/dev/iommu');
    h.fd = fdB;
    const ctxB = h.ctx;
    const idsB = [h.ioasAlloc(), h.ioasAlloc(), h.ioasAlloc()];
    expect(idsB).toEqual([1, 2, 3]);
    expectOk(AH.accessReplaceIoas(h, access, 3));

    const accessObj = [...ctxA.objects.values()].find((o) => o.type === ObjectType.ACCESS) as unknown as { ioas: U.IoasObject };
    expect(accessObj.ioas === ctxA.objects.get(ioasA3, ObjectType.IOAS)).toBe(true);
    for (const id of idsB) expect(ctxB.objects.get<U.IoasObject>(id, ObjectType.IOAS)!.users).toBe(1);
    // ID 2 of A is the access itself, not an IOAS.
    expectErrno(U.ENOENT, AH.accessReplaceIoas(h, access, 2));

    expect(() => h.sys.close(fdB)).not.toThrow();
    expect(ctxB.alive).toBe(false);
    expect(ctxB.objects.size).toBe(0);
    h.fd = fdA;
    // A keeps the access on its IOAS 3: IOAS 1 is free, IOAS 3 is busy.
    expectOk(h.destroy(ioasA1));
    expectErrno(U.EBUSY, h.destroy(ioasA3));
    AH.destroyAccess(h, access);
    expectOk(h.destroy(ioasA3));
  });
});

class Node extends IommufdObject {
  readonly type = ObjectType.SELFTEST;
  static order: number[] = [];
  override onDestroy(): void {
    Node.order.push(this.id);
  }
}

describe('issue 17 defect 1: closing a file never throws', () => {
  const table = () => new ObjectTable();
  const add = (t: ObjectTable, o: IommufdObject) => {
    const r = t.add(o);
    if (!r.ok) throw new Error('add');
    return o;
  };

  it('breaks a reference cycle at its lowest ID and destroys everything', () => {
    const t = table();
    const [a, b, c, d] = [0, 1, 2, 3].map(() => add(t, new Node()));
    // a → b → c → a is a cycle; d hangs off c.
    t.hold(a, b);
    t.hold(b, c);
    t.hold(c, a);
    t.hold(c, d);
    Node.order = [];
    expect(() => t.destroyAll()).not.toThrow();
    expect(t.size).toBe(0);
    // Deterministic: the cycle is cut at the lowest ID (a), then leaf-first.
    expect(Node.order).toEqual([a.id, b.id, c.id, d.id]);
  });

  it('frees an object held only from another table first, and the outside holder can still let go', () => {
    const mine = table();
    const theirs = table();
    const x = add(mine, new Node());
    const y = add(mine, new Node());
    const holder = add(theirs, new Node());
    mine.hold(y, x);
    theirs.hold(holder, y); // a hold across files: y is never a leaf of `mine`
    Node.order = [];
    expect(() => mine.destroyAll()).not.toThrow();
    expect(mine.size).toBe(0);
    expect(Node.order).toEqual([y.id, x.id]);
    expect(() => theirs.release(holder, y)).not.toThrow();
    expect(() => theirs.destroyAll()).not.toThrow();
  });

  it('System.close with a cross-file hold returns 0 and leaves no object behind', async () => {
    const sys = await U.System.create();
    const fdA = sys.open('/dev/iommu');
    const fdB = sys.open('/dev/iommu');
    const ctxA = sys.contextOf(fdA)!;
    const ctxB = sys.contextOf(fdB)!;
    const ioasA = new U.IoasObject();
    const ioasB = new U.IoasObject();
    expect(ctxA.objects.add(ioasA).ok).toBe(true);
    expect(ctxB.objects.add(ioasB).ok).toBe(true);
    ctxA.objects.hold(ioasA, ioasB);
    let rc = -1;
    expect(() => (rc = sys.close(fdB))).not.toThrow();
    expect(rc).toBe(0);
    expect(ctxB.objects.size).toBe(0);
    expect(sys.close(fdA)).toBe(0);
    expect(sys.liveContexts().length).toBe(0);
  });
});

describe('issue 17 defect 2: a failed VFIO call changes nothing', () => {
  let h: Harness;
  let ioas: number;
  let arg: number;
  const A = U.MOCK_APERTURE_START;
  const PAGE = 4096;

  beforeEach(async () => {
    h = await Harness.open();
    ioas = h.ioasAlloc();
    MH.mockDomainOk(h, ioas);
    expectOk(h.call(U.IOMMU_VFIO_IOAS, U.IommuVfioIoas, { ioas_id: ioas, op: U.IOMMU_VFIO_IOAS_SET }).rc);
    arg = h.sys.mem.alloc(2 * PAGE);
  });
  afterEach(() => {
    checkSystem(h.sys);
    for (const fd of h.sys.openFds()) expectOk(h.sys.close(fd));
    expect(h.sys.pool.totalPins).toBe(0);
  });

  const mapDma = (vaddr: number, iova: bigint, size: number) => {
    h.sys.mem.write(arg, U.packStruct(U.VfioIommuType1DmaMap, { argsz: 32, flags: U.VFIO_DMA_MAP_FLAG_READ | U.VFIO_DMA_MAP_FLAG_WRITE, vaddr: BigInt(vaddr), iova, size: BigInt(size) }));
    return h.sys.ioctl(h.fd, U.VFIO_IOMMU_MAP_DMA, arg);
  };
  const unmapDma = (iova: bigint, size: bigint) => {
    h.sys.mem.write(arg, U.packStruct(U.VfioIommuType1DmaUnmap, { argsz: 24, flags: 0, iova, size }));
    return h.sys.ioctl(h.fd, U.VFIO_IOMMU_UNMAP_DMA, arg);
  };
  const areas = () => h.ctx.objects.get<U.IoasObject>(ioas, U.ObjectType.IOAS)!.iopt.areas.map((a) => [a.start, a.last]);

  it('SET_IOMMU(TYPE1) refused with EINVAL leaves type1v2 unmap: a half unmap is still ENOENT', () => {
    // vfio_compat.c: type-1 unmap cuts only once iopt_disable_large_pages succeeded;
    // with a domain holding areas it fails, and the container stays as it was.
    const buffer = h.sys.mem.alloc(2 * PAGE);
    expectOk(mapDma(buffer, A, 2 * PAGE));
    expectErrno(U.EINVAL, h.sys.ioctl(h.fd, U.VFIO_SET_IOMMU, U.VFIO_TYPE1_IOMMU));
    expectErrno(U.ENOENT, unmapDma(A, BigInt(PAGE)));
    expect(areas()).toEqual([[A, A + 2n * BigInt(PAGE) - 1n]]);
  });

  it('a type-1 UNMAP_DMA whose end cut is EINVAL leaves the mapping uncut', () => {
    expectOk(h.sys.ioctl(h.fd, U.VFIO_SET_IOMMU, U.VFIO_TYPE1_IOMMU));
    const buffer = h.sys.mem.alloc(2 * PAGE);
    expectOk(mapDma(buffer, A, 2 * PAGE));
    const before = stateSnapshot(h.sys, { frames: false });
    // The start (A + PAGE) could be cut; the end (A + PAGE + 100) is not page aligned.
    expectErrno(U.EINVAL, unmapDma(A + BigInt(PAGE), 100n));
    expect(areas()).toEqual([[A, A + 2n * BigInt(PAGE) - 1n]]);
    expect(stateSnapshot(h.sys, { frames: false })).toBe(before);
    // Through iommufd (which never cuts) half of it is still not a whole mapping.
    expectErrno(U.ENOENT, h.unmap(ioas, A, BigInt(PAGE)).rc);
    // The same unmap with an aligned end works and cuts.
    expectOk(unmapDma(A + BigInt(PAGE), BigInt(PAGE)));
    expect(areas()).toEqual([[A, A + BigInt(PAGE) - 1n]]);
  });
});

describe('issue 17 defect 3: huge user lengths are EFAULT (or another errno), never a throw', () => {
  let h: Harness;
  let ioas: number;
  let hwpt: number;
  let buffer: number;
  let memfd: number;
  let accessFd: number;
  const A = U.MOCK_APERTURE_START;

  beforeEach(async () => {
    h = await Harness.open();
    ioas = h.ioasAlloc();
    const dom = MH.mockDomainOk(h, ioas);
    const r = MH.hwptAlloc(h, dom.idev, ioas, { flags: U.IOMMU_HWPT_ALLOC_DIRTY_TRACKING });
    expectOk(r.rc);
    hwpt = r.id;
    MH.mockDomainOk(h, hwpt);
    expectOk(h.call(U.IOMMU_HWPT_SET_DIRTY_TRACKING, U.IommuHwptSetDirtyTracking, { hwpt_id: hwpt, flags: U.IOMMU_HWPT_DIRTY_TRACKING_ENABLE }).rc);
    buffer = h.sys.mem.alloc(4 * 4096);
    memfd = h.sys.memfdCreate(8192);
    accessFd = AH.createAccessOk(h, ioas, 0);
  });
  afterEach(() => {
    checkSystem(h.sys);
    for (const fd of h.sys.openFds()) expectOk(h.sys.close(fd));
    expect(h.sys.pool.totalPins).toBe(0);
  });

  const getDirty = (length: bigint, pageSize: bigint, data: number | bigint) =>
    h.call(U.IOMMU_HWPT_GET_DIRTY_BITMAP, U.IommuHwptGetDirtyBitmap, { hwpt_id: hwpt, iova: A, length, page_size: pageSize, data: BigInt(data) }).rc;
  const selftestDirty = (length: bigint, pageSize: bigint, uptr: number | bigint) =>
    MH.testCmd(h, U.IOMMU_TEST_OP.DIRTY, hwpt, U.TestDirty, { iova: A, length, page_size: pageSize, uptr: BigInt(uptr) }).rc;
  const oneOf = (rc: number, ...errnos: number[]) => expect(errnos.map((e) => -e), `rc ${rc}`).toContain(rc);

  it('GET_DIRTY_BITMAP of 2^47 bytes at page size 2048 into a small buffer is EFAULT', () => {
    expectErrno(U.EFAULT, getDirty(2n ** 47n, 2048n, buffer));
    expectErrno(U.EFAULT, getDirty(2n ** 47n, 2048n, 0x1000));
  });

  it('write and read of 2^33 bytes from a small buffer are EFAULT', () => {
    expectErrno(U.EFAULT, h.sys.write(memfd, buffer, 2 ** 33));
    expectErrno(U.EFAULT, h.sys.write(accessFd, buffer, 2 ** 33));
    // Reading from a short file copies what the file has: 8192 bytes fit in the buffer.
    expect(h.sys.read(memfd, buffer, 2 ** 33)).toBe(8192);
    expect(h.sys.read(memfd, buffer, 2 ** 33)).toBe(0);
    // A huge count into a small buffer, from a file that has that much, is EFAULT.
    expect(h.sys.ftruncate(memfd, 2 ** 40)).toBe(0);
    expectErrno(U.EFAULT, h.sys.read(memfd, buffer, 2 ** 33));
  });

  const EDGE_LENGTHS = [0, 1, 4095, 4096, 16384, 16385, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 33, 2 ** 47, 2 ** 53 - 1, 2 ** 53, -1, NaN, 1.5, Infinity];

  it.each(EDGE_LENGTHS.map((n) => [n]))('read/write of length %s on a memfd and an access fd return a number', (n) => {
    for (const addr of [buffer, buffer + 4096 * 3, 0, 0x1000, 2 ** 47 - 4096]) {
      for (const fd of [memfd, accessFd]) {
        let rc = 0;
        expect(() => (rc = h.sys.write(fd, addr, n))).not.toThrow();
        if (rc < 0) oneOf(rc, U.EFAULT, U.EINVAL, U.ENOMEM);
        expect(() => (rc = h.sys.read(fd, addr, n))).not.toThrow();
        if (rc < 0) oneOf(rc, U.EFAULT, U.EINVAL, U.ENOMEM);
      }
      expect(() => h.sys.mem.read(addr, n)).not.toThrow();
      expect(() => h.sys.mem.isZero(addr, n)).not.toThrow();
    }
  });

  it('ioctls taking a user length never throw (property over length, page size and pointer)', () => {
    const bigLengths = fc.oneof(
      fc.constantFrom(0n, 1n, 2048n, 4096n, 2n ** 31n, 2n ** 32n, 2n ** 33n, 2n ** 40n, 2n ** 47n, 2n ** 63n, 2n ** 64n - 2048n),
      fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((x) => (x / 2048n) * 2048n),
    );
    const pageSizes = fc.constantFrom(0n, 1n, 2048n, 4096n, 2n ** 20n);
    const pointers = fc.constantFrom(0, 0x1000, buffer, buffer + 4096 * 3, 2 ** 47 - 4096);
    fc.assert(
      fc.property(bigLengths, pageSizes, pointers, (length, pageSize, ptr) => {
        let rc = 0;
        expect(() => (rc = getDirty(length, pageSize, ptr))).not.toThrow();
        if (rc < 0) oneOf(rc, U.EFAULT, U.EINVAL, U.EOVERFLOW, U.ENOMEM);
        expect(() => (rc = selftestDirty(length, pageSize, ptr))).not.toThrow();
        if (rc < 0) oneOf(rc, U.EFAULT, U.EINVAL, U.ENOMEM);
        expect(() => (rc = AH.accessRw(h, accessFd, A, Number(length & 0xffffffffn), ptr, 0))).not.toThrow();
        expect(() => (rc = h.map(ioas, ptr, length, A).rc)).not.toThrow();
        if (rc === 0) expectOk(h.unmap(ioas, A, length).rc);
      }),
      { numRuns: 300, seed: 17 },
    );
  });
});
