// iommufd request numbers. Every command is _IO(';', nr): no direction or size bits,
// so the 32-bit request is 0x3B00 | nr and the struct size travels in the struct's
// own first u32 (spec §1.1).

export const IOMMUFD_TYPE = 0x3b;
export const IOMMUFD_CMD_BASE = 0x80;

/** _IO(type, nr): direction and size fields are zero. */
export function ioctlIO(type: number, nr: number): number {
  return ((type & 0xff) << 8) | (nr & 0xff);
}

/** The nr field (low byte) of a request number. */
export function ioctlNr(request: number): number {
  return request & 0xff;
}

export const IOMMUFD_CMD = {
  DESTROY: 0x80,
  IOAS_ALLOC: 0x81,
  IOAS_ALLOW_IOVAS: 0x82,
  IOAS_COPY: 0x83,
  IOAS_IOVA_RANGES: 0x84,
  IOAS_MAP: 0x85,
  IOAS_UNMAP: 0x86,
  OPTION: 0x87,
  VFIO_IOAS: 0x88,
  HWPT_ALLOC: 0x89,
  GET_HW_INFO: 0x8a,
  HWPT_SET_DIRTY_TRACKING: 0x8b,
  HWPT_GET_DIRTY_BITMAP: 0x8c,
  HWPT_INVALIDATE: 0x8d,
  FAULT_QUEUE_ALLOC: 0x8e,
  IOAS_MAP_FILE: 0x8f,
  VIOMMU_ALLOC: 0x90,
  VDEVICE_ALLOC: 0x91,
  IOAS_CHANGE_PROCESS: 0x92,
  VEVENTQ_ALLOC: 0x93,
  HW_QUEUE_ALLOC: 0x94,
  /** Only present when the self-test command is compiled in (CONFIG_IOMMUFD_TEST). */
  TEST: 0xa0,
} as const;

export const IOMMU_DESTROY = 0x3b80;
export const IOMMU_IOAS_ALLOC = 0x3b81;
export const IOMMU_IOAS_ALLOW_IOVAS = 0x3b82;
export const IOMMU_IOAS_COPY = 0x3b83;
export const IOMMU_IOAS_IOVA_RANGES = 0x3b84;
export const IOMMU_IOAS_MAP = 0x3b85;
export const IOMMU_IOAS_UNMAP = 0x3b86;
export const IOMMU_OPTION = 0x3b87;
export const IOMMU_VFIO_IOAS = 0x3b88;
export const IOMMU_HWPT_ALLOC = 0x3b89;
export const IOMMU_GET_HW_INFO = 0x3b8a;
export const IOMMU_HWPT_SET_DIRTY_TRACKING = 0x3b8b;
export const IOMMU_HWPT_GET_DIRTY_BITMAP = 0x3b8c;
export const IOMMU_HWPT_INVALIDATE = 0x3b8d;
export const IOMMU_FAULT_QUEUE_ALLOC = 0x3b8e;
export const IOMMU_IOAS_MAP_FILE = 0x3b8f;
export const IOMMU_VIOMMU_ALLOC = 0x3b90;
export const IOMMU_VDEVICE_ALLOC = 0x3b91;
export const IOMMU_IOAS_CHANGE_PROCESS = 0x3b92;
export const IOMMU_VEVENTQ_ALLOC = 0x3b93;
export const IOMMU_HW_QUEUE_ALLOC = 0x3b94;
export const IOMMU_TEST_CMD = 0x3ba0;
