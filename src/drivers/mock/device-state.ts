// A mock device as its driver sees it (spec §5.2): flags chosen by MOCK_DOMAIN_FLAGS,
// four cache words the vIOMMU invalidation clears, PASID width, and what is attached
// (for dirty-capability checks, vIOMMU events and the PASID 1024 fault injection).
import { EINVAL, ENOENT, ENOMEM, EOPNOTSUPP } from '../../iommu/errno.js';
import { fail, ok, OK_VOID, type Result } from '../../iommu/result.js';
import type { DriverMmap } from '../../iommu/driver-mmap.js';
import { copyUserData, copyUserDataOut, type UserData } from '../../iommu/user-data.js';
import type { DriverDevice, DriverDomain, DriverEnv, DriverNestedDomain, DriverPagingDomain, DriverViommu } from '../../iommu/driver.js';
import { encodeStruct, packStruct, readField } from '../../iommu/abi/layout.js';
import { IOMMU_HWPT_ALLOC_DIRTY_TRACKING, IOMMU_HWPT_ALLOC_NEST_PARENT, IOMMU_HWPT_ALLOC_PASID } from '../../iommu/abi/hwpt.js';
import {
  IOMMU_HW_INFO_SELFTEST_REGVAL,
  IOMMU_HW_INFO_TYPE_SELFTEST,
  IOMMU_HWPT_DATA_SELFTEST,
  IOMMU_TEST_DEV_CACHE_DEFAULT,
  IOMMU_TEST_PASID_RESERVED,
  IOMMU_VIOMMU_TYPE_SELFTEST,
  IommuHwptSelftest,
  IommuTestHwInfo,
  IommuViommuSelftest,
  MOCK_DEV_CACHE_NUM,
  MOCK_FLAGS_DEVICE_NO_DIRTY,
  MOCK_FLAGS_DEVICE_PASID,
  MOCK_IOMMUPT_DEFAULT,
  MOCK_IOMMUPT_HUGE,
  MOCK_PASID_WIDTH,
} from '../../iommu/abi/selftest.js';
import { MockNestedDomain } from './nested-domain.js';
import { MockPagingDomain } from './paging-domain.js';
import { MockViommu } from './viommu.js';
import { mockDriver } from './driver.js';

/** Every mock device sits behind the one mock IOMMU instance. */
const MOCK_IOMMU = Object.freeze({ name: 'mock-iommu' });

/** The vIOMMU's data pages, mmap-able through the iommufd. */
const VIOMMU_MMAP_PAGES = 2;

export class MockDevice implements DriverDevice {
  readonly driver = mockDriver;
  readonly iommu = MOCK_IOMMU;
  readonly cache = new Array<number>(MOCK_DEV_CACHE_NUM).fill(IOMMU_TEST_DEV_CACHE_DEFAULT);
  /** The vIOMMU (and this device's virtual ID on it) of the nested domain attached at the RID. */
  viommu: { viommu: DriverViommu; vdevId: bigint } | undefined;
  /** Set by a successful attach on PASID 1024: the next one fails with ENOMEM. */
  private pasidFakeError = false;

  constructor(readonly flags: number) {}

  get maxPasidLog2(): number {
    return this.flags & MOCK_FLAGS_DEVICE_PASID ? MOCK_PASID_WIDTH : 0;
  }

  get dirtyCapable(): boolean {
    return (this.flags & MOCK_FLAGS_DEVICE_NO_DIRTY) === 0;
  }

  hwInfo(requested: number): Result<{ type: number; data: Uint8Array }> {
    if (requested !== 0 && requested !== IOMMU_HW_INFO_TYPE_SELFTEST) return fail(EOPNOTSUPP);
    return ok({ type: IOMMU_HW_INFO_TYPE_SELFTEST, data: packStruct(IommuTestHwInfo, { test_reg: IOMMU_HW_INFO_SELFTEST_REGVAL }) });
  }

  allocPaging(env: DriverEnv, flags: number, data: UserData | undefined): Result<DriverPagingDomain> {
    if ((flags & ~(IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_DIRTY_TRACKING | IOMMU_HWPT_ALLOC_PASID)) !== 0) return fail(EOPNOTSUPP);
    if (flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING && !this.dirtyCapable) return fail(EOPNOTSUPP);
    let tableType = MOCK_IOMMUPT_DEFAULT;
    if (data) {
      if (data.type !== IOMMU_HWPT_DATA_SELFTEST) return fail(EOPNOTSUPP);
      const r = copyUserData(env.mem, data, IOMMU_HWPT_DATA_SELFTEST, IommuHwptSelftest.minSize, IommuHwptSelftest.sizeof);
      if (!r.ok) return r;
      tableType = readField(r.value, IommuHwptSelftest.fields.pagetable_type);
      // Unknown table types: EINVAL is this model's choice (the errno is UNVERIFIED).
      if (tableType !== MOCK_IOMMUPT_DEFAULT && tableType !== MOCK_IOMMUPT_HUGE) return fail(EINVAL);
    }
    return MockPagingDomain.create(mockDriver, env.engine, env.guard, flags, { huge: tableType === MOCK_IOMMUPT_HUGE });
  }

  allocNested(env: DriverEnv, parent: DriverPagingDomain | DriverViommu, flags: number, data: UserData): Result<DriverNestedDomain> {
    if ((flags & ~IOMMU_HWPT_ALLOC_PASID) !== 0) return fail(EOPNOTSUPP);
    const viommu = parent instanceof MockViommu ? parent : undefined;
    const paging = viommu ? viommu.parent : parent;
    if (!(paging instanceof MockPagingDomain)) return fail(EINVAL);
    if (data.type !== IOMMU_HWPT_DATA_SELFTEST) return fail(EOPNOTSUPP);
    const r = copyUserData(env.mem, data, IOMMU_HWPT_DATA_SELFTEST, IommuHwptSelftest.minSize, IommuHwptSelftest.sizeof);
    if (!r.ok) return r;
    if (!env.guard.allow('driver')) return fail(ENOMEM);
    return ok(new MockNestedDomain(mockDriver, flags, paging, readField(r.value, IommuHwptSelftest.fields.iotlb), viommu));
  }

  allocViommu(env: DriverEnv, type: number, parent: DriverPagingDomain, data: UserData | undefined): Result<DriverViommu> {
    if (type !== IOMMU_VIOMMU_TYPE_SELFTEST) return fail(EOPNOTSUPP);
    if (!(parent instanceof MockPagingDomain)) return fail(EINVAL);
    let inData = 0;
    let mmap: DriverMmap | undefined;
    if (data) {
      const r = copyUserData(env.mem, data, type, IommuViommuSelftest.minSize, IommuViommuSelftest.sizeof);
      if (!r.ok) return r;
      inData = readField(r.value, IommuViommuSelftest.fields.in_data);
      const region = env.mmap.create(VIOMMU_MMAP_PAGES);
      if (!region.ok) return region;
      mmap = region.value;
      // The loopback the self-test reads back through the mapping: in_data in its first word.
      const out = packStruct(IommuViommuSelftest, { in_data: inData });
      mmap.write(0, out.subarray(0, IommuViommuSelftest.fields.in_data.width));
      encodeStruct(IommuViommuSelftest, { out_data: inData, out_mmap_offset: mmap.offset, out_mmap_length: mmap.length }, new DataView(out.buffer));
      const w = copyUserDataOut(env.mem, data, type, IommuViommuSelftest.minSize, out);
      if (!w.ok) {
        mmap.release();
        return w;
      }
    }
    if (!env.guard.allow('driver')) {
      mmap?.release();
      return fail(ENOMEM);
    }
    return ok(new MockViommu(mockDriver, type, parent, inData, mmap));
  }

  attach(domain: DriverDomain | null, pasid: number | undefined, vdevIdOn: (viommu: DriverViommu) => bigint | undefined): Result<void> {
    if (domain === null) {
      if (pasid === IOMMU_TEST_PASID_RESERVED) this.pasidFakeError = false;
      if (pasid === undefined) this.viommu = undefined;
      return OK_VOID;
    }
    if (domain.driver !== mockDriver) return fail(EINVAL);
    if (domain.kind === 'paging' && domain.dirty && !this.dirtyCapable) return fail(EINVAL);
    let viommu: { viommu: DriverViommu; vdevId: bigint } | undefined;
    if (domain.kind === 'nested' && domain.viommu) {
      const vdevId = vdevIdOn(domain.viommu);
      if (vdevId === undefined) return fail(ENOENT);
      viommu = { viommu: domain.viommu, vdevId };
    }
    if (pasid === IOMMU_TEST_PASID_RESERVED) {
      if (this.pasidFakeError) {
        this.pasidFakeError = false;
        return fail(ENOMEM);
      }
      this.pasidFakeError = true;
    }
    if (pasid === undefined) this.viommu = viommu;
    return OK_VOID;
  }
}
