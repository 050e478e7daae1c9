// Port of the kernel self-test fixture `iommufd_viommu`, variant no_viommu (spec
// §5.4): an IOAS and no device, so every vIOMMU/vDEVICE allocation misses its lookup.
// The mock_viommu variant needs the mock device and vendor (AWAITING-MOCK).
import { afterEach, beforeEach, describe, it } from 'vitest';
import * as U from '../../src/uapi/index.js';
import { expectErrno, Harness } from './helpers.js';
import { checkSystem } from './invariants.js';

const IOMMU_VIOMMU_TYPE_SELFTEST = 0xdeadbeef;

describe('fixture iommufd_viommu (no_viommu)', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await Harness.open();
    h.ioasAlloc();
  });
  afterEach(() => checkSystem(h.sys));

  it('viommu_auto_destroy', () => {});

  it('viommu_negative_tests', () => {
    const r = h.call(U.IOMMU_VIOMMU_ALLOC, U.IommuViommuAlloc, { dev_id: 0, hwpt_id: 0, type: IOMMU_VIOMMU_TYPE_SELFTEST });
    expectErrno(U.ENOENT, r.rc);
  });

  it('vdevice_alloc', () => {
    const r = h.call(U.IOMMU_VDEVICE_ALLOC, U.IommuVdeviceAlloc, { viommu_id: 0, dev_id: 0, virt_id: 0x99n });
    expectErrno(U.ENOENT, r.rc);
  });
});
