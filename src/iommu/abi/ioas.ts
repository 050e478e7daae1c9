// The IOAS command family (spec §2.2–§2.10, §2.21): allocation, IOVA ranges, map,
// map-file, copy, unmap and change-process, plus the shared iova_range element.
import { defineStruct, s32, u32, u64 } from './layout.js';

export const IommuIoasAlloc = defineStruct(
  'iommu_ioas_alloc',
  12,
  { size: u32(0), flags: u32(4), out_ioas_id: u32(8) },
  'out_ioas_id',
);

/** One element of the user arrays of IOVA_RANGES and ALLOW_IOVAS; `last` is inclusive. */
export const IommuIovaRange = defineStruct('iommu_iova_range', 16, { start: u64(0), last: u64(8) }, 'last');

export const IommuIoasIovaRanges = defineStruct(
  'iommu_ioas_iova_ranges',
  32,
  {
    size: u32(0),
    ioas_id: u32(4),
    num_iovas: u32(8),
    __reserved: u32(12),
    allowed_iovas: u64(16),
    out_iova_alignment: u64(24),
  },
  'out_iova_alignment',
);

export const IommuIoasAllowIovas = defineStruct(
  'iommu_ioas_allow_iovas',
  24,
  { size: u32(0), ioas_id: u32(4), num_iovas: u32(8), __reserved: u32(12), allowed_iovas: u64(16) },
  'allowed_iovas',
);

/** Map flags shared by MAP, MAP_FILE and COPY (spec §2.6). */
export const IOMMU_IOAS_MAP_FIXED_IOVA = 1 << 0;
export const IOMMU_IOAS_MAP_WRITEABLE = 1 << 1;
export const IOMMU_IOAS_MAP_READABLE = 1 << 2;
export const IOMMU_IOAS_MAP_FLAGS_ALL =
  IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE;

export const IommuIoasMap = defineStruct(
  'iommu_ioas_map',
  40,
  {
    size: u32(0),
    flags: u32(4),
    ioas_id: u32(8),
    __reserved: u32(12),
    user_va: u64(16),
    length: u64(24),
    iova: u64(32),
  },
  'iova',
);

export const IommuIoasMapFile = defineStruct(
  'iommu_ioas_map_file',
  40,
  { size: u32(0), flags: u32(4), ioas_id: u32(8), fd: s32(12), start: u64(16), length: u64(24), iova: u64(32) },
  'iova',
);

export const IommuIoasCopy = defineStruct(
  'iommu_ioas_copy',
  40,
  {
    size: u32(0),
    flags: u32(4),
    dst_ioas_id: u32(8),
    src_ioas_id: u32(12),
    length: u64(16),
    dst_iova: u64(24),
    src_iova: u64(32),
  },
  'src_iova',
);

export const IommuIoasUnmap = defineStruct(
  'iommu_ioas_unmap',
  24,
  { size: u32(0), ioas_id: u32(4), iova: u64(8), length: u64(16) },
  'length',
);

export const IommuIoasChangeProcess = defineStruct(
  'iommu_ioas_change_process',
  8,
  { size: u32(0), __reserved: u32(4) },
  '__reserved',
);
