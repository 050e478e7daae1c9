// struct iommu_test_cmd, the self-test command (spec §5.1); the mock driver's numbers
// and structs from the same header are ./selftest.ts. Union members are
// declared as separate layouts whose offsets are absolute (union base 16 added),
// so `decodeStruct(TestAddReserved, view)` reads straight from the command.
import { defineStruct, s32, u32, u64 } from './layout.js';

export const IOMMU_TEST_OP = {
  ADD_RESERVED: 1,
  MOCK_DOMAIN: 2,
  MD_CHECK_MAP: 3,
  MD_CHECK_REFS: 4,
  CREATE_ACCESS: 5,
  DESTROY_ACCESS_PAGES: 6,
  ACCESS_PAGES: 7,
  ACCESS_RW: 8,
  SET_TEMP_MEMORY_LIMIT: 9,
  MOCK_DOMAIN_REPLACE: 10,
  ACCESS_REPLACE_IOAS: 11,
  MOCK_DOMAIN_FLAGS: 12,
  DIRTY: 13,
  MD_CHECK_IOTLB: 14,
  TRIGGER_IOPF: 15,
  DEV_CHECK_CACHE: 16,
  TRIGGER_VEVENT: 17,
  PASID_ATTACH: 18,
  PASID_REPLACE: 19,
  PASID_DETACH: 20,
  PASID_CHECK_HWPT: 21,
  DMABUF_GET: 22,
  DMABUF_REVOKE: 23,
  /** Newest development header only (spec §8.2 correction 5). */
  MD_CHECK_DMABUF: 24,
} as const;

/** Offset of the union inside iommu_test_cmd. */
export const TEST_CMD_UNION_OFFSET = 16;
const U = TEST_CMD_UNION_OFFSET;

export const IommuTestCmd = defineStruct(
  'iommu_test_cmd',
  72,
  { size: u32(0), op: u32(4), id: u32(8), __reserved: u32(12), last: u32(64) },
  'last',
);

export const TestAddReserved = defineStruct(
  'iommu_test_cmd.add_reserved',
  72,
  { start: u64(U + 0), length: u64(U + 8) },
  'length',
);

export const TestMockDomain = defineStruct(
  'iommu_test_cmd.mock_domain',
  72,
  { out_stdev_id: u32(U + 0), out_hwpt_id: u32(U + 4), out_idev_id: u32(U + 8) },
  'out_idev_id',
);

export const TestMockDomainFlags = defineStruct(
  'iommu_test_cmd.mock_domain_flags',
  72,
  { out_stdev_id: u32(U + 0), out_hwpt_id: u32(U + 4), out_idev_id: u32(U + 8), dev_flags: u32(U + 12) },
  'dev_flags',
);

export const TestMockDomainReplace = defineStruct(
  'iommu_test_cmd.mock_domain_replace',
  72,
  { pt_id: u32(U + 0) },
  'pt_id',
);

export const TestCheckRefs = defineStruct(
  'iommu_test_cmd.check_refs',
  72,
  { length: u64(U + 0), uptr: u64(U + 8), refs: u32(U + 16) },
  'refs',
);

export const TestMemoryLimit = defineStruct(
  'iommu_test_cmd.memory_limit',
  72,
  { limit: u32(U + 0) },
  'limit',
);

/** Default of SET_TEMP_MEMORY_LIMIT; smaller than 12 is rejected. */
export const TEST_MEMORY_LIMIT_DEFAULT = 65536;

export const TestCheckMap = defineStruct(
  'iommu_test_cmd.check_map',
  72,
  { iova: u64(U + 0), length: u64(U + 8), uptr: u64(U + 16) },
  'uptr',
);

export const TestCheckIotlb = defineStruct('iommu_test_cmd.check_iotlb', 72, { id: u32(U + 0), iotlb: u32(U + 4) }, 'iotlb');

export const TestCheckDevCache = defineStruct('iommu_test_cmd.check_dev_cache', 72, { id: u32(U + 0), cache: u32(U + 4) }, 'cache');

export const TestDirty = defineStruct(
  'iommu_test_cmd.dirty',
  72,
  { flags: u32(U + 0), iova: u64(U + 8), length: u64(U + 16), page_size: u64(U + 24), uptr: u64(U + 32), out_nr_dirty: u64(U + 40) },
  'out_nr_dirty',
);

export const TestTriggerIopf = defineStruct(
  'iommu_test_cmd.trigger_iopf',
  72,
  { dev_id: u32(U + 0), pasid: u32(U + 4), grpid: u32(U + 8), perm: u32(U + 12), addr: u64(U + 16) },
  'addr',
);

export const TestTriggerVevent = defineStruct('iommu_test_cmd.trigger_vevent', 72, { dev_id: u32(U + 0) }, 'dev_id');

/** pasid_attach, pasid_replace, pasid_detach and pasid_check share this shape. */
export const TestPasid = defineStruct('iommu_test_cmd.pasid', 72, { pasid: u32(U + 0), pt_id: u32(U + 4) }, 'pt_id');

// In-kernel access objects (ops 5-8 and 11). `id` of the command is the access fd,
// except for CREATE_ACCESS, where it is the IOAS.
export const MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES = 1 << 0;
export const MOCK_FLAGS_ACCESS_WRITE = 1 << 0;
export const MOCK_FLAGS_ACCESS_SYZ = 1 << 16;
export const MOCK_ACCESS_RW_WRITE = 1 << 0;
export const MOCK_ACCESS_RW_SLOW_PATH = 1 << 2;

export const TestCreateAccess = defineStruct(
  'iommu_test_cmd.create_access',
  72,
  { out_access_fd: u32(U + 0), flags: u32(U + 4) },
  'flags',
);

export const TestDestroyAccessPages = defineStruct(
  'iommu_test_cmd.destroy_access_pages',
  72,
  { access_pages_id: u32(U + 0) },
  'access_pages_id',
);

export const TestAccessPages = defineStruct(
  'iommu_test_cmd.access_pages',
  72,
  { flags: u32(U + 0), out_access_pages_id: u32(U + 4), iova: u64(U + 8), length: u64(U + 16), uptr: u64(U + 24) },
  'uptr',
);

export const TestAccessRw = defineStruct(
  'iommu_test_cmd.access_rw',
  72,
  { iova: u64(U + 0), length: u64(U + 8), uptr: u64(U + 16), flags: u32(U + 24) },
  'flags',
);

export const TestAccessReplaceIoas = defineStruct(
  'iommu_test_cmd.access_replace_ioas',
  72,
  { ioas_id: u32(U + 0) },
  'ioas_id',
);

// The self-test's dma-buf (ops 22-24).
/** DMABUF_GET rounds the length up to pages and refuses 0 or more than this many. */
export const TEST_DMABUF_MAX_PAGES = 512;

export const TestDmabufGet = defineStruct('iommu_test_cmd.dmabuf_get', 72, { length: u32(U + 0), open_flags: u32(U + 4) }, 'open_flags');

export const TestDmabufRevoke = defineStruct(
  'iommu_test_cmd.dmabuf_revoke',
  72,
  { dmabuf_fd: s32(U + 0), revoked: u32(U + 4) },
  'revoked',
);

export const TestCheckDmabuf = defineStruct(
  'iommu_test_cmd.check_dmabuf',
  72,
  { dmabuf_fd: s32(U + 0), iova: u64(U + 8), length: u64(U + 16), offset: u64(U + 24) },
  'offset',
);
