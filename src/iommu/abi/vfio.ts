// VFIO type1 container structs served by the iommufd compatibility layer. The layouts
// match /usr/include/linux/vfio.h (a test compiles a C client against it).
import { defineStruct, u16, u32, u64 } from './layout.js';

export const VFIO_TYPE = 0x3b;
export const VFIO_BASE = 100;
export const VFIO_API_VERSION = 0;

export const VFIO_TYPE1_IOMMU = 1;
export const VFIO_TYPE1v2_IOMMU = 3;
export const VFIO_DMA_CC_IOMMU = 4;
export const VFIO_NOIOMMU_IOMMU = 8;
export const VFIO_UNMAP_ALL = 9;

/** _IO(';', VFIO_BASE + n): the VFIO container requests. */
export const VFIO_GET_API_VERSION = 0x3b00 | (VFIO_BASE + 0);
export const VFIO_CHECK_EXTENSION = 0x3b00 | (VFIO_BASE + 1);
export const VFIO_SET_IOMMU = 0x3b00 | (VFIO_BASE + 2);
export const VFIO_IOMMU_GET_INFO = 0x3b00 | (VFIO_BASE + 12);
export const VFIO_IOMMU_MAP_DMA = 0x3b00 | (VFIO_BASE + 13);
export const VFIO_IOMMU_UNMAP_DMA = 0x3b00 | (VFIO_BASE + 14);

export const VFIO_IOMMU_INFO_PGSIZES = 1 << 0;
export const VFIO_IOMMU_INFO_CAPS = 1 << 1;
export const VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE = 1;
export const VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL = 3;

export const VfioIommuType1Info = defineStruct(
  'vfio_iommu_type1_info',
  24,
  { argsz: u32(0), flags: u32(4), iova_pgsizes: u64(8), cap_offset: u32(16) },
  'cap_offset',
);

export const VfioInfoCapHeader = defineStruct('vfio_info_cap_header', 8, { id: u16(0), version: u16(2), next: u32(4) }, 'next');

export const VFIO_DMA_MAP_FLAG_READ = 1 << 0;
export const VFIO_DMA_MAP_FLAG_WRITE = 1 << 1;
export const VFIO_DMA_MAP_FLAG_VADDR = 1 << 2;

export const VfioIommuType1DmaMap = defineStruct(
  'vfio_iommu_type1_dma_map',
  32,
  { argsz: u32(0), flags: u32(4), vaddr: u64(8), iova: u64(16), size: u64(24) },
  'size',
);

export const VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP = 1 << 0;
export const VFIO_DMA_UNMAP_FLAG_ALL = 1 << 1;
export const VFIO_DMA_UNMAP_FLAG_VADDR = 1 << 2;

export const VfioIommuType1DmaUnmap = defineStruct(
  'vfio_iommu_type1_dma_unmap',
  24,
  { argsz: u32(0), flags: u32(4), iova: u64(8), size: u64(16) },
  'size',
);
