// The mock vIOMMU (spec §5.2): invalidation of per-device caches through vDEVICE IDs,
// the self-test vEVENTQ type, and up to two HW queues where queue i depends on i-1.
import { EEXIST, EINVAL, EIO, EOPNOTSUPP } from '../../iommu/errno.js';
import { fail, OK_VOID, type Result } from '../../iommu/result.js';
import { copyFullUserArray, type UserDataArray } from '../../iommu/user-data.js';
import type { DriverMmap } from '../../iommu/driver-mmap.js';
import type { HwQueueSupport, IommuDriver, InvalidateResult, VdeviceRef, DriverEnv, DriverViommu } from '../../iommu/driver.js';
import { decodeStruct } from '../../iommu/abi/layout.js';
import {
  IOMMU_HW_QUEUE_TYPE_SELFTEST,
  IOMMU_TEST_HW_QUEUE_MAX,
  IOMMU_TEST_INVALIDATE_FLAG_ALL,
  IOMMU_VEVENTQ_TYPE_SELFTEST,
  IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST,
  IommuViommuInvalidateSelftest,
  MOCK_DEV_CACHE_ID_MAX,
} from '../../iommu/abi/selftest.js';
import { MockDevice } from './device-state.js';
import type { MockPagingDomain } from './paging-domain.js';

const hwQueues: HwQueueSupport = {
  types: [IOMMU_HW_QUEUE_TYPE_SELFTEST],
  check(type: number, index: number, allocated: ReadonlySet<number>): Result<void> {
    if (type !== IOMMU_HW_QUEUE_TYPE_SELFTEST) return fail(EOPNOTSUPP);
    if (index >= IOMMU_TEST_HW_QUEUE_MAX) return fail(EINVAL);
    if (allocated.has(index)) return fail(EEXIST);
    if (index > 0 && !allocated.has(index - 1)) return fail(EIO);
    return OK_VOID;
  },
  dependsOn(index: number): number | undefined {
    return index > 0 ? index - 1 : undefined;
  },
};

export class MockViommu implements DriverViommu {
  readonly hwQueue = hwQueues;

  constructor(
    readonly driver: IommuDriver,
    readonly type: number,
    readonly parent: MockPagingDomain,
    /** in_data of iommu_viommu_selftest, kept in the first word of its mmap-able pages. */
    readonly inData: number,
    /** The two pages allocated with data, mmap-able through the iommufd. */
    readonly mmap?: DriverMmap,
  ) {}

  supportsVeventq(type: number): boolean {
    return type === IOMMU_VEVENTQ_TYPE_SELFTEST;
  }

  invalidate(env: DriverEnv, array: UserDataArray, vdevice: (virtId: bigint) => VdeviceRef | undefined): InvalidateResult {
    if (array.entryNum === 0 && array.type === IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST) return { handled: 0, errno: 0 };
    const copied = copyFullUserArray(env.mem, array, IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST, IommuViommuInvalidateSelftest.sizeof);
    if (!copied.ok) return { handled: 0, errno: copied.errno };
    let handled = 0;
    for (const entry of copied.value) {
      const { flags, vdev_id: vdevId, cache_id: cacheId } = decodeStruct(IommuViommuInvalidateSelftest, entry);
      if ((flags & ~IOMMU_TEST_INVALIDATE_FLAG_ALL) !== 0) return { handled, errno: EOPNOTSUPP };
      if (cacheId > MOCK_DEV_CACHE_ID_MAX) return { handled, errno: EINVAL };
      const target = vdevice(BigInt(vdevId))?.device;
      if (!(target instanceof MockDevice)) return { handled, errno: EINVAL };
      if (flags & IOMMU_TEST_INVALIDATE_FLAG_ALL) target.cache.fill(0);
      else target.cache[cacheId] = 0;
      handled++;
    }
    return { handled, errno: 0 };
  }

  free(): void {
    this.mmap?.release();
  }
}
