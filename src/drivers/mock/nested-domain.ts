// The mock's nested domain (spec §5.2): no stage-1 table of its own, only the four
// IOTLB slots the self-test reads back, initialised from the allocation data and
// cleared by HWPT_INVALIDATE. A device access through it is translated by the parent
// (the mock's stage 1 is the identity).
import { EINVAL, EOPNOTSUPP } from '../../iommu/errno.js';
import { copyUserArrayEntry, type UserDataArray } from '../../iommu/user-data.js';
import type { DmaStep, IommuDriver, InvalidateResult, DriverEnv, DriverNestedDomain, DriverViommu } from '../../iommu/driver.js';
import { decodeStruct } from '../../iommu/abi/layout.js';
import {
  IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
  IOMMU_TEST_INVALIDATE_FLAG_ALL,
  IommuHwptInvalidateSelftest,
  MOCK_NESTED_DOMAIN_IOTLB_ID_MAX,
  MOCK_NESTED_DOMAIN_IOTLB_NUM,
} from '../../iommu/abi/selftest.js';
import type { MockPagingDomain } from './paging-domain.js';

export class MockNestedDomain implements DriverNestedDomain {
  readonly kind = 'nested';
  readonly iotlb: number[];

  constructor(
    readonly driver: IommuDriver,
    readonly flags: number,
    readonly parent: MockPagingDomain,
    iotlbValue: number,
    readonly viommu?: DriverViommu,
  ) {
    this.iotlb = new Array<number>(MOCK_NESTED_DOMAIN_IOTLB_NUM).fill(iotlbValue);
  }

  translate(iova: bigint, access: number): DmaStep {
    return this.parent.translate(iova, access);
  }

  invalidateUser(env: DriverEnv, array: UserDataArray): InvalidateResult {
    // The type is checked before any entry, so a zero-entry probe learns it too.
    if (array.type !== IOMMU_HWPT_INVALIDATE_DATA_SELFTEST) return { handled: 0, errno: EINVAL };
    let handled = 0;
    for (; handled < array.entryNum; handled++) {
      // Every field is mandatory: entry_len must be exactly sizeof.
      const r = copyUserArrayEntry(env.mem, array, array.type, handled, IommuHwptInvalidateSelftest.minSize, IommuHwptInvalidateSelftest.sizeof);
      if (!r.ok) return { handled, errno: r.errno };
      const { flags, iotlb_id: id } = decodeStruct(IommuHwptInvalidateSelftest, r.value);
      if ((flags & ~IOMMU_TEST_INVALIDATE_FLAG_ALL) !== 0) return { handled, errno: EOPNOTSUPP };
      // The slot number is range-checked even when FLAG_ALL ignores it.
      if (id > MOCK_NESTED_DOMAIN_IOTLB_ID_MAX) return { handled, errno: EINVAL };
      if (flags & IOMMU_TEST_INVALIDATE_FLAG_ALL) this.iotlb.fill(0);
      else this.iotlb[id] = 0;
    }
    return { handled, errno: 0 };
  }

  free(): void {}
}
