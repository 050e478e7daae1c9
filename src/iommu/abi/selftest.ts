// The self-test's mock driver as user space sees it (spec §5.1): the type numbers,
// limits and driver structs of drivers/iommu/iommufd/iommufd_test.h that travel
// through the generic iommufd commands (GET_HW_INFO, HWPT_ALLOC, HWPT_INVALIDATE,
// VIOMMU_ALLOC, vEVENTQ records). The IOMMU_TEST_CMD struct itself is ./test-cmd.ts.
import { defineStruct, u32, u64 } from './layout.js';

export const IOMMU_HW_INFO_TYPE_SELFTEST = 0xfeedbeef;
export const IOMMU_HW_INFO_SELFTEST_REGVAL = 0xdeadbeef;
export const IOMMU_HWPT_DATA_SELFTEST = 0xdead;
export const IOMMU_TEST_IOTLB_DEFAULT = 0xbadbeef;
export const IOMMU_TEST_DEV_CACHE_DEFAULT = 0xbaddad;
export const IOMMU_HWPT_INVALIDATE_DATA_SELFTEST = 0xdeadbeef;
export const IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID = 0xdadbeef;
export const IOMMU_TEST_INVALIDATE_FLAG_ALL = 1 << 0;
export const IOMMU_VIOMMU_TYPE_SELFTEST = 0xdeadbeef;
export const IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST = 0xdeadbeef;
export const IOMMU_VEVENTQ_TYPE_SELFTEST = 0xbeefbeef;
export const IOMMU_HW_QUEUE_TYPE_SELFTEST = 0xdeadbeef;
export const IOMMU_TEST_HW_QUEUE_MAX = 2;

export const MOCK_APERTURE_START = 1n << 24n;
export const MOCK_APERTURE_LAST = (1n << 31n) - 1n;
/** The mock's IO page: half a CPU page, so the self-test sees sub-page IOVA alignment. */
export const MOCK_PAGE_SIZE = 2048n;
export const MOCK_HUGE_PAGE_SIZE = 512n * MOCK_PAGE_SIZE;
export const MOCK_IOMMUPT_DEFAULT = 0;
export const MOCK_IOMMUPT_HUGE = 1;

export const MOCK_FLAGS_DEVICE_NO_DIRTY = 1 << 0;
export const MOCK_FLAGS_DEVICE_HUGE_IOVA = 1 << 1;
export const MOCK_FLAGS_DEVICE_PASID = 1 << 2;
export const MOCK_PASID_WIDTH = 20;
/** PASID on which the mock injects one failing attach after a successful one. */
export const IOMMU_TEST_PASID_RESERVED = 1024;

export const MOCK_NESTED_DOMAIN_IOTLB_NUM = 4;
export const MOCK_NESTED_DOMAIN_IOTLB_ID_MAX = 3;
export const MOCK_DEV_CACHE_NUM = 4;
export const MOCK_DEV_CACHE_ID_MAX = 3;

/** struct iommu_test_hw_info (IOMMU_HW_INFO_TYPE_SELFTEST). */
export const IommuTestHwInfo = defineStruct('iommu_test_hw_info', 8, { flags: u32(0), test_reg: u32(4) }, 'test_reg');

/** struct iommu_hwpt_selftest (IOMMU_HWPT_DATA_SELFTEST); `pagetable_type` is the newer, optional field. */
export const IommuHwptSelftest = defineStruct('iommu_hwpt_selftest', 8, { iotlb: u32(0), pagetable_type: u32(4) }, 'iotlb');

/** struct iommu_hwpt_invalidate_selftest (IOMMU_HWPT_INVALIDATE_DATA_SELFTEST). */
export const IommuHwptInvalidateSelftest = defineStruct(
  'iommu_hwpt_invalidate_selftest',
  8,
  { flags: u32(0), iotlb_id: u32(4) },
  'iotlb_id',
);

/** struct iommu_viommu_selftest (IOMMU_VIOMMU_TYPE_SELFTEST data): in_data in, the rest out. */
export const IommuViommuSelftest = defineStruct(
  'iommu_viommu_selftest',
  24,
  { in_data: u32(0), out_data: u32(4), out_mmap_offset: u64(8), out_mmap_length: u64(16) },
  'out_data',
);

/** struct iommu_viommu_invalidate_selftest (IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST). */
export const IommuViommuInvalidateSelftest = defineStruct(
  'iommu_viommu_invalidate_selftest',
  12,
  { flags: u32(0), vdev_id: u32(4), cache_id: u32(8) },
  'cache_id',
);

/** struct iommu_viommu_event_selftest: the record of an IOMMU_VEVENTQ_TYPE_SELFTEST queue. */
export const IommuViommuEventSelftest = defineStruct('iommu_viommu_event_selftest', 4, { virt_id: u32(0) }, 'virt_id');
