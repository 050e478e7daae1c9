// Port of the kernel self-test fixture `iommufd` (spec §5.4): a plain /dev/iommu fd.
// cmd_length lives in dispatch.test.ts. The VFIO container ioctls of the
// vfio_ioas case await the compat layer; the IOMMU_VFIO_IOAS half is here.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as U from '../../src/index.js';
import { expectErrno, expectOk, Harness } from './helpers.js';
import { checkSystem } from './invariants.js';

describe('fixture iommufd', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await Harness.open();
  });
  afterEach(() => checkSystem(h.sys));

  it('simple_close', () => {
    expectOk(h.sys.close(h.fd));
  });

  it('cmd_fail', () => {
    expectErrno(U.ENOENT, h.destroy(0));
    expectErrno(U.EFAULT, h.sys.ioctl(h.fd, U.IOMMU_DESTROY, 0));
    expectErrno(U.ENOTTY, h.sys.ioctl(h.fd, U.ioctlIO(0x3b, 0x80 - 1), h.arg));
  });

  it('cmd_ex_fail', () => {
    // A 16-byte destroy: 8 known bytes + 8 "future" bytes.
    const future = (v: bigint) => {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setBigUint64(0, v, true);
      return b;
    };
    expectErrno(U.ENOENT, h.call(U.IOMMU_DESTROY, U.IommuDestroy, { id: 0 }, { size: 16, tail: future(0n) }).rc);
    expectErrno(U.E2BIG, h.call(U.IOMMU_DESTROY, U.IommuDestroy, { id: 0 }, { size: 16, tail: future(1n) }).rc);
    expectErrno(U.ENOENT, h.call(U.IOMMU_DESTROY, U.IommuDestroy, { id: 0 }, { size: 8, tail: future(1n) }).rc);
    expectErrno(U.EINVAL, h.call(U.IOMMU_DESTROY, U.IommuDestroy, { id: 0 }, { size: 7, tail: future(1n) }).rc);
  });

  it('global_options', () => {
    const opt = (op: number, option_id: number, val64: bigint, object_id = 0) =>
      h.call(U.IOMMU_OPTION, U.IommuOption, { option_id, op, val64, object_id });

    let r = opt(U.IOMMU_OPTION_OP_GET, U.IOMMU_OPTION_RLIMIT_MODE, 1n);
    expectOk(r.rc);
    expect(r.out.val64).toBe(0n);
    expectOk(opt(U.IOMMU_OPTION_OP_SET, U.IOMMU_OPTION_RLIMIT_MODE, 1n).rc);
    expectErrno(U.EINVAL, opt(U.IOMMU_OPTION_OP_SET, U.IOMMU_OPTION_RLIMIT_MODE, 2n).rc);
    r = opt(U.IOMMU_OPTION_OP_GET, U.IOMMU_OPTION_RLIMIT_MODE, 0n);
    expectOk(r.rc);
    expect(r.out.val64).toBe(1n);
    expectOk(opt(U.IOMMU_OPTION_OP_SET, U.IOMMU_OPTION_RLIMIT_MODE, 0n).rc);
    expectErrno(U.ENOENT, opt(U.IOMMU_OPTION_OP_GET, U.IOMMU_OPTION_HUGE_PAGES, 0n).rc);
    expectErrno(U.ENOENT, opt(U.IOMMU_OPTION_OP_SET, U.IOMMU_OPTION_HUGE_PAGES, 0n).rc);
  });

  it('global_options: RLIMIT_MODE needs CAP_SYS_RESOURCE and an empty file', async () => {
    const unprivileged = await Harness.open({ capSysResource: false });
    const set = (x: Harness, val64: bigint) =>
      x.call(U.IOMMU_OPTION, U.IommuOption, { option_id: U.IOMMU_OPTION_RLIMIT_MODE, op: U.IOMMU_OPTION_OP_SET, val64 });
    expectErrno(U.EPERM, set(unprivileged, 1n).rc);
    h.ioasAlloc();
    expectErrno(U.EBUSY, set(h, 1n).rc);
    expectErrno(U.EOPNOTSUPP, h.call(U.IOMMU_OPTION, U.IommuOption, { option_id: 0, op: 1, object_id: 1 }).rc);
    expectErrno(U.EOPNOTSUPP, h.call(U.IOMMU_OPTION, U.IommuOption, { option_id: 0, op: 2 }).rc);
    expectErrno(U.EOPNOTSUPP, h.call(U.IOMMU_OPTION, U.IommuOption, { option_id: 2, op: 1 }).rc);
    expectErrno(U.EOPNOTSUPP, h.call(U.IOMMU_OPTION, U.IommuOption, { option_id: 0, op: 1, __reserved: 1 }).rc);
  });

  it('vfio_ioas (IOMMU_VFIO_IOAS part; the VFIO container ioctls await the compat layer)', () => {
    const vfio = (op: number, ioas_id = 0) => h.call(U.IOMMU_VFIO_IOAS, U.IommuVfioIoas, { op, ioas_id });
    expectErrno(U.ENODEV, vfio(U.IOMMU_VFIO_IOAS_GET).rc);
    expectErrno(U.ENOENT, vfio(U.IOMMU_VFIO_IOAS_SET, 0).rc);
    const ioas = h.ioasAlloc();
    expectOk(vfio(U.IOMMU_VFIO_IOAS_SET, ioas).rc);
    const got = vfio(U.IOMMU_VFIO_IOAS_GET);
    expectOk(got.rc);
    expect(got.out.ioas_id).toBe(ioas);
    expectOk(vfio(U.IOMMU_VFIO_IOAS_CLEAR).rc);
    expectErrno(U.ENODEV, vfio(U.IOMMU_VFIO_IOAS_GET).rc);
  });

  it('vfio_ioas: destroying the compat IOAS clears the association; bad op and reserved', () => {
    const ioas = h.ioasAlloc();
    expectOk(h.call(U.IOMMU_VFIO_IOAS, U.IommuVfioIoas, { op: U.IOMMU_VFIO_IOAS_SET, ioas_id: ioas }).rc);
    expectOk(h.destroy(ioas));
    expectErrno(U.ENODEV, h.call(U.IOMMU_VFIO_IOAS, U.IommuVfioIoas, { op: U.IOMMU_VFIO_IOAS_GET }).rc);
    expectErrno(U.EOPNOTSUPP, h.call(U.IOMMU_VFIO_IOAS, U.IommuVfioIoas, { op: 3 }).rc);
    expectErrno(U.EOPNOTSUPP, h.call(U.IOMMU_VFIO_IOAS, U.IommuVfioIoas, { op: 0, __reserved: 1 }).rc);
  });
});
