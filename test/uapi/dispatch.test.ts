// The checks every command goes through before its handler (spec §1.2, §1.3) and the
// self-test's cmd_length case (TEST_LENGTH) for every command in the table.
import { describe, expect, it } from 'vitest';
import * as U from '../../src/index.js';
import { Ucmd } from '../../src/uapi/ucmd.js';
import { expectErrno, expectOk, Harness, PAGE } from './helpers.js';
import { TEST_OP } from '../../src/selftest/index.js';

const ALL_OPS = [...U.IOCTL_OPS, TEST_OP];

/**
 * What each command answers for an all-zero struct on a fresh file (after the
 * IOAS_ALLOC of the same loop has created an object).
 */
const ZEROED_RESULT: Record<string, number> = {
  IOMMU_DESTROY: U.ENOENT,
  IOMMU_IOAS_ALLOC: 0,
  IOMMU_IOAS_ALLOW_IOVAS: U.ENOENT,
  IOMMU_IOAS_COPY: U.EINVAL,
  IOMMU_IOAS_IOVA_RANGES: U.ENOENT,
  IOMMU_IOAS_MAP: U.EINVAL,
  IOMMU_IOAS_UNMAP: U.ENOENT,
  IOMMU_OPTION: U.EBUSY,
  IOMMU_VFIO_IOAS: U.ENODEV,
  IOMMU_HWPT_ALLOC: U.ENOENT,
  IOMMU_GET_HW_INFO: U.ENOENT,
  IOMMU_HWPT_SET_DIRTY_TRACKING: U.ENOENT,
  IOMMU_HWPT_GET_DIRTY_BITMAP: U.ENOENT,
  IOMMU_HWPT_INVALIDATE: U.ENOENT,
  IOMMU_FAULT_QUEUE_ALLOC: 0,
  IOMMU_IOAS_MAP_FILE: U.EINVAL,
  IOMMU_VIOMMU_ALLOC: U.EOPNOTSUPP,
  IOMMU_VDEVICE_ALLOC: U.ENOENT,
  IOMMU_IOAS_CHANGE_PROCESS: 0,
  IOMMU_VEVENTQ_ALLOC: U.EOPNOTSUPP,
  IOMMU_HW_QUEUE_ALLOC: U.EOPNOTSUPP,
  IOMMU_TEST_CMD: U.EOPNOTSUPP,
};

/** Raw ioctl with `bytes` at the harness's argument buffer. */
function raw(h: Harness, request: number, bytes: Uint8Array): number {
  expect(h.sys.mem.write(h.arg, bytes).ok).toBe(true);
  return h.sys.ioctl(h.fd, request, h.arg);
}

function structWithExtra(layout: U.StructLayout, size: number, extra: number): Uint8Array {
  const b = new Uint8Array(layout.sizeof + 1);
  new DataView(b.buffer).setUint32(0, size, true);
  b[layout.sizeof] = extra;
  return b;
}

describe('fixture iommufd: cmd_length (TEST_LENGTH for every command)', () => {
  it.each(ALL_OPS.map((o) => [o.name, o] as const))('%s', async (name, op) => {
    const h = await Harness.open();
    h.ioasAlloc(); // the kernel test runs the commands one after another on one fd
    const { layout, request } = op;
    expectErrno(U.EINVAL, raw(h, request, structWithExtra(layout, layout.minSize - 1, 0xff)));
    expectErrno(U.E2BIG, raw(h, request, structWithExtra(layout, layout.sizeof + 1, 0xff)));
    const exact = raw(h, request, structWithExtra(layout, layout.sizeof, 0xff));
    const longer = raw(h, request, structWithExtra(layout, layout.sizeof + 1, 0));
    expect(longer).toBe(exact);
    const expected = ZEROED_RESULT[name];
    expect(expected, `no expectation for ${name}`).toBeDefined();
    if (expected === 0) expect(exact).toBeGreaterThanOrEqual(0);
    else expectErrno(expected, exact);
  });
});

describe('dispatch order (spec §1.2)', () => {
  it('nr below 0x80 goes to VFIO compat and ends ENOTTY, even with a NULL pointer', async () => {
    const h = await Harness.open();
    expectErrno(U.ENOTTY, h.sys.ioctl(h.fd, 0x3b7f, 0));
    expectErrno(U.ENOTTY, h.sys.ioctl(h.fd, 0x3b00, 0));
  });

  it('nr beyond the table is ENOTTY without touching the pointer', async () => {
    const h = await Harness.open();
    expectErrno(U.ENOTTY, h.sys.ioctl(h.fd, 0x3ba1, 0));
    expectErrno(U.ENOTTY, h.sys.ioctl(h.fd, 0x3bff, 0));
  });

  it('a hole inside the table reads the size first: NULL is EFAULT, else ENOTTY', async () => {
    const h = await Harness.open();
    for (let nr = 0x95; nr <= 0x9f; nr++) {
      expectErrno(U.EFAULT, h.sys.ioctl(h.fd, 0x3b00 | nr, 0));
      expectErrno(U.ENOTTY, raw(h, 0x3b00 | nr, new Uint8Array([8, 0, 0, 0, 0, 0, 0, 0])));
    }
  });

  it('without the self-test command the table ends at 0x94', async () => {
    const h = await Harness.open({ selfTest: false });
    expectErrno(U.ENOTTY, h.sys.ioctl(h.fd, U.IOMMU_TEST_CMD, 0));
  });

  it('a request with direction/size bits or another type is not the table entry: ENOTTY', async () => {
    const h = await Harness.open();
    const destroy = U.packStruct(U.IommuDestroy, { id: 0 });
    expectErrno(U.ENOTTY, raw(h, 0xc0083b80, destroy));
    expectErrno(U.ENOTTY, raw(h, 0x3c80, destroy));
    expectErrno(U.ENOENT, raw(h, 0x3b80, destroy));
  });

  it('a NULL or unmapped argument is EFAULT (cmd_fail)', async () => {
    const h = await Harness.open();
    expectErrno(U.EFAULT, h.sys.ioctl(h.fd, U.IOMMU_DESTROY, 0));
    expectErrno(U.EFAULT, h.sys.ioctl(h.fd, U.IOMMU_DESTROY, 0x1000));
    expectErrno(U.EFAULT, h.sys.ioctl(h.fd, U.IOMMU_DESTROY, 2 ** 60));
  });

  it('size is checked before the rest is read; the rest faulting is EFAULT', async () => {
    const h = await Harness.open();
    // A struct whose tail runs into the guard page after its allocation.
    const region = h.sys.mem.alloc(PAGE);
    const at = region + PAGE - 4;
    expect(h.sys.mem.writeU32(at, 8).ok).toBe(true);
    expectErrno(U.EFAULT, h.sys.ioctl(h.fd, U.IOMMU_DESTROY, at));
    expect(h.sys.mem.writeU32(at, 3).ok).toBe(true);
    expectErrno(U.EINVAL, h.sys.ioctl(h.fd, U.IOMMU_DESTROY, at));
  });

  it('a longer struct with an unmapped zero-check tail is EFAULT', async () => {
    const h = await Harness.open();
    const region = h.sys.mem.alloc(PAGE);
    const at = region + PAGE - 8;
    expect(h.sys.mem.write(at, U.packStruct(U.IommuDestroy, { size: 16, id: 0 })).ok).toBe(true);
    expectErrno(U.EFAULT, h.sys.ioctl(h.fd, U.IOMMU_DESTROY, at));
  });

  it('a huge size over zeroed memory is accepted (no cap on usize)', async () => {
    const h = await Harness.open();
    const region = h.sys.mem.alloc(64 * PAGE);
    expect(h.sys.mem.write(region, U.packStruct(U.IommuDestroy, { size: 64 * PAGE, id: 0 })).ok).toBe(true);
    expectErrno(U.ENOENT, h.sys.ioctl(h.fd, U.IOMMU_DESTROY, region));
    expect(h.sys.mem.write(region + 63 * PAGE, new Uint8Array([1])).ok).toBe(true);
    expectErrno(U.E2BIG, h.sys.ioctl(h.fd, U.IOMMU_DESTROY, region));
  });

  it('write-back copies min(size, sizeof) bytes: an old short struct is not overrun', async () => {
    const h = await Harness.open();
    const at = h.sys.mem.alloc(PAGE);
    const sentinel = new Uint8Array(48).fill(0xaa);
    expect(h.sys.mem.write(at, sentinel).ok).toBe(true);
    const kernelCopy = U.packStruct(U.IommuHwptAlloc, { size: 24, fault_id: 0x1234 });
    const u = new Ucmd(h.ctx, U.IommuHwptAlloc, at, 24, kernelCopy);
    expectOk(u.respond());
    const back = h.sys.mem.read(at, 48);
    expect(back.ok && [...back.value.subarray(24)].every((b) => b === 0xaa)).toBe(true);
    expect(back.ok && new DataView(back.value.buffer).getUint32(0, true)).toBe(24);
  });

  it('ioctl on a non-iommufd fd is ENOTTY; on a closed fd EBADF', async () => {
    const h = await Harness.open();
    const mfd = h.sys.memfdCreate(PAGE);
    expectErrno(U.ENOTTY, h.sys.ioctl(mfd, U.IOMMU_DESTROY, h.arg));
    expectOk(h.sys.close(mfd));
    expectErrno(U.EBADF, h.sys.ioctl(mfd, U.IOMMU_DESTROY, h.arg));
    expectErrno(U.EBADF, h.sys.close(mfd));
  });
});
