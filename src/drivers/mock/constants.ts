// Numbers of the kernel self-test's mock driver (spec §5.1). They are uAPI facts: the
// self-test passes them in structs, so they live here and in no other place.

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
