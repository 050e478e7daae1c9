// The kernel's iommufd self-test (CONFIG_IOMMUFD_TEST): IOMMU_TEST_CMD and the objects
// it creates, over the uAPI and the mock driver. src/host hands TEST_OP to a System.
export { TEST_OP } from './test-cmd.js';
export { SelftestObject } from './stdev.js';
export { AccessObject, AccessFile } from './access.js';
