// The kernel self-test's mock IOMMU driver as a driver (spec §5.2). Its type numbers
// and structs are the self-test header's, in src/iommu/abi/selftest.ts.
export { mockDriver } from './driver.js';
export { MockDevice } from './device-state.js';
export { MockPagingDomain } from './paging-domain.js';
export { MockNestedDomain } from './nested-domain.js';
export { MockViommu } from './viommu.js';
