// IOMMU_FAULT_QUEUE_ALLOC and the fault fd protocol (spec §2.18, §3.7). Faults are
// queued directly on the object here; devices that raise them come with the mock driver.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as U from '../../src/index.js';
import { FaultQueue } from '../../src/uapi/fault/fault-queue.js';
import { expectErrno, expectOk, Harness, PAGE } from './helpers.js';
import { checkSystem } from './invariants.js';

describe('fault queue', () => {
  let h: Harness;
  let buf: number;
  beforeEach(async () => {
    h = await Harness.open();
    buf = h.sys.mem.alloc(PAGE);
  });
  afterEach(() => checkSystem(h.sys));

  const alloc = () => {
    const r = h.call(U.IOMMU_FAULT_QUEUE_ALLOC, U.IommuFaultAlloc, {});
    expectOk(r.rc);
    return { id: r.out.out_fault_id, fd: r.out.out_fault_fd };
  };
  const record = (grpid: number): Omit<U.StructValue<typeof U.IommuHwptPgfault.fields>, 'cookie'> => ({
    flags: U.IOMMU_PGFAULT_FLAGS_LAST_PAGE,
    dev_id: 7,
    pasid: 0,
    grpid,
    perm: U.IOMMU_PGFAULT_PERM_READ,
    __reserved: 0,
    addr: 0xdeadbeafn,
    length: 0,
  });

  it('allocates an object and an fd; the open fd keeps the object (EBUSY)', () => {
    expectErrno(U.EOPNOTSUPP, h.call(U.IOMMU_FAULT_QUEUE_ALLOC, U.IommuFaultAlloc, { flags: 1 }).rc);
    const { id, fd } = alloc();
    expect(id).toBe(1);
    expect(fd).toBe(4);
    expectErrno(U.EBUSY, h.destroy(id));
    expectOk(h.sys.close(fd));
    expectOk(h.destroy(id));
  });

  it('read and write sizes: whole records and responses only (ESPIPE)', () => {
    const { fd } = alloc();
    expect(h.sys.read(fd, buf, 0)).toBe(0);
    expect(h.sys.read(fd, buf, 40)).toBe(0);
    expectErrno(U.ESPIPE, h.sys.read(fd, buf, 41));
    expectErrno(U.ESPIPE, h.sys.write(fd, buf, 7));
    expect(h.sys.write(fd, buf, 0)).toBe(0);
    h.sys.mem.write(buf, U.packStruct(U.IommuHwptPageResponse, { cookie: 1, code: 0 }));
    expectErrno(U.EINVAL, h.sys.write(fd, buf, 8));
    expectErrno(U.EFAULT, h.sys.read(fd, 0, 40));
  });

  it('delivers whole groups with a cookie and completes them on response', () => {
    const { id, fd } = alloc();
    const queue = h.ctx.objects.get<FaultQueue>(id, U.ObjectType.FAULT)!;
    const codes: number[] = [];
    queue.report([record(2), record(2)], (code) => codes.push(code));
    expect(h.sys.read(fd, buf, 40)).toBe(0); // the group of two does not fit
    expect(h.sys.read(fd, buf, 80)).toBe(80);
    const got = h.sys.mem.read(buf, 80);
    const recs = got.ok ? [0, 40].map((o) => U.unpackStruct(U.IommuHwptPgfault, got.value.subarray(o))) : [];
    expect(recs.map((r) => [r.grpid, r.cookie, r.addr])).toEqual([
      [2, 1, 0xdeadbeafn],
      [2, 1, 0xdeadbeafn],
    ]);
    h.sys.mem.write(buf, U.packStruct(U.IommuHwptPageResponse, { cookie: 1, code: 2 }));
    expectErrno(U.EINVAL, h.sys.write(fd, buf, 8));
    h.sys.mem.write(buf, U.packStruct(U.IommuHwptPageResponse, { cookie: 1, code: U.IOMMUFD_PAGE_RESP_SUCCESS }));
    expect(h.sys.write(fd, buf, 8)).toBe(8);
    expect(codes).toEqual([U.IOMMUFD_PAGE_RESP_SUCCESS]);
    expectErrno(U.EINVAL, h.sys.write(fd, buf, 8));
  });

  it('groups still owed an answer are answered INVALID when the queue goes', () => {
    const { id, fd } = alloc();
    const queue = h.ctx.objects.get<FaultQueue>(id, U.ObjectType.FAULT)!;
    const codes: number[] = [];
    queue.report([record(1)], (c) => codes.push(c));
    queue.report([record(2)], (c) => codes.push(c));
    expect(h.sys.read(fd, buf, 40)).toBe(40);
    expectOk(h.sys.close(fd));
    expectOk(h.destroy(id));
    expect(codes).toEqual([U.IOMMUFD_PAGE_RESP_INVALID, U.IOMMUFD_PAGE_RESP_INVALID]);
  });

  it('the fault fd keeps the iommufd alive after its own fd is closed', () => {
    const ioas = h.ioasAlloc();
    expect(ioas).toBe(1);
    const { fd } = alloc();
    const ctx = h.ctx;
    expectOk(h.sys.close(h.fd));
    expect(ctx.alive).toBe(true);
    expect(ctx.objects.size).toBe(2);
    expectOk(h.sys.close(fd));
    expect(ctx.alive).toBe(false);
    expect(ctx.objects.size).toBe(0);
    expect(h.sys.liveContexts()).toEqual([]);
  });
});
