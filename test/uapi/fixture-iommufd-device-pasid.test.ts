// Port of the kernel self-test fixture `iommufd_device_pasid` (spec §5.4): a
// PASID-capable mock device on an IOAS; variant no_pasid adds a second device without
// PASID support.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as U from '../../src/index.js';
import * as MK from '../../src/iommu/abi/selftest.js';
import { expectErrno, expectOk, Harness } from './helpers.js';
import { checkSystem } from './invariants.js';
import * as MH from './mock-helpers.js';

const OP = U.IOMMU_TEST_OP;

describe.each([
  { name: 'no_pasid', noPasidDevice: true },
  { name: 'has_pasid', noPasidDevice: false },
])('fixture iommufd_device_pasid ($name)', (variant) => {
  let h: Harness;
  let ioas: number;
  let dev: MH.MockDomain;
  let noPasid: MH.MockDomain | undefined;

  beforeEach(async () => {
    h = await Harness.open();
    ioas = h.ioasAlloc();
    dev = MH.mockDomainOk(h, ioas, MK.MOCK_FLAGS_DEVICE_PASID);
    noPasid = variant.noPasidDevice ? MH.mockDomainOk(h, ioas) : undefined;
  });
  afterEach(() => {
    checkSystem(h.sys);
    expectOk(h.sys.close(h.fd));
    for (const fd of h.sys.openFds()) h.sys.close(fd);
    expect(h.sys.pool.totalPins).toBe(0);
  });

  const attach = (pasid: number, pt: number, stdev = dev.stdev) => MH.pasidOp(h, OP.PASID_ATTACH, stdev, pasid, pt);
  const replacePasid = (pasid: number, pt: number) => MH.pasidOp(h, OP.PASID_REPLACE, dev.stdev, pasid, pt);
  const detach = (pasid: number) => MH.pasidOp(h, OP.PASID_DETACH, dev.stdev, pasid);
  const check = (pasid: number, hwpt: number) => MH.pasidOp(h, OP.PASID_CHECK_HWPT, dev.stdev, pasid, hwpt);

  it('pasid_attach', () => {
    expectOk(detach(100));
    const PASID = U.IOMMU_HWPT_ALLOC_PASID;
    const parent = MH.hwptAlloc(h, dev.idev, ioas, { flags: U.IOMMU_HWPT_ALLOC_NEST_PARENT });
    expectOk(parent.rc);
    const nested = [MH.hwptAllocNested(h, dev.idev, parent.id, PASID), MH.hwptAllocNested(h, dev.idev, parent.id, PASID)];
    nested.forEach((n) => expectOk(n.rc));
    const fault = MH.faultAlloc(h);
    const iopf = MH.hwptAllocNested(h, dev.idev, parent.id, U.IOMMU_HWPT_FAULT_ID_VALID | PASID, fault.id);
    expectOk(iopf.rc);
    const viommu = MH.viommuAlloc(h, dev.idev, parent.id);
    expectOk(viommu.rc);
    const nestedV = MH.hwptAllocNested(h, dev.idev, viommu.id, PASID);
    expectOk(nestedV.rc);
    const s2 = MH.hwptAlloc(h, dev.idev, ioas, { flags: PASID });
    expectOk(s2.rc);

    expectOk(MH.replace(h, dev.stdev, parent.id).rc);
    expectErrno(U.EINVAL, attach(100, s2.id));
    expectOk(MH.replace(h, dev.stdev, s2.id).rc);
    expectOk(attach(100, nested[0].id));
    expectErrno(U.EINVAL, MH.replace(h, dev.stdev, parent.id).rc);
    expectOk(detach(100));
    expectOk(check(100, 0));

    if (noPasid) {
      expectOk(MH.replace(h, noPasid.stdev, nested[0].id).rc);
      expectOk(MH.replace(h, noPasid.stdev, ioas).rc);
      expectErrno(U.EINVAL, attach(100, parent.id, noPasid.stdev));
      expectErrno(U.EINVAL, attach(100, s2.id, noPasid.stdev));
    }

    expectErrno(U.EINVAL, attach(100, parent.id));
    expectOk(check(100, 0));
    expectErrno(U.EINVAL, attach(100, ioas));
    expectOk(check(100, 0));
    expectOk(attach(100, s2.id));
    expectOk(check(100, s2.id));
    expectErrno(U.EBUSY, attach(100, nested[0].id));
    expectOk(check(100, s2.id));
    expectOk(detach(100));
    expectOk(check(100, 0));
    expectOk(attach(100, nested[0].id));
    expectOk(check(100, nested[0].id));
    expectErrno(U.EBUSY, attach(100, nested[0].id));
    expectOk(detach(100));

    expectErrno(U.EINVAL, replacePasid(200, s2.id));
    expectOk(attach(200, s2.id));
    expectErrno(U.EINVAL, replacePasid(200, ioas));
    expectOk(check(200, s2.id));
    expectOk(replacePasid(200, nested[0].id));
    expectOk(check(200, nested[0].id));
    expectOk(replacePasid(200, nested[1].id));
    expectOk(check(200, nested[1].id));
    expectOk(detach(200));

    expectOk(attach(MK.IOMMU_TEST_PASID_RESERVED, s2.id));
    expectErrno(U.ENOMEM, replacePasid(MK.IOMMU_TEST_PASID_RESERVED, nested[0].id));
    expectOk(check(MK.IOMMU_TEST_PASID_RESERVED, s2.id));
    expectOk(detach(MK.IOMMU_TEST_PASID_RESERVED));

    expectOk(attach(2048, iopf.id));
    MH.triggerIopf(h, dev.idev, fault.fd, 2048);
    expectOk(replacePasid(2048, s2.id));
    expectOk(detach(2048));
    expectOk(h.destroy(iopf.id));
    expectOk(h.sys.close(fault.fd));
    expectOk(h.destroy(fault.id));

    expectOk(MH.replace(h, dev.stdev, ioas).rc);
  });
});
