// Argument and result shapes of the typed API. IDs are numbers (u32 object IDs),
// IOVAs and lengths are bigints (u64), user addresses are numbers (the process's VA).

export interface IovaRangeValue {
  start: bigint;
  /** Inclusive. */
  last: bigint;
}

export interface IoasMapArgs {
  ioasId: number;
  /** A fixed IOVA; omitted, the kernel allocates one. */
  iova?: bigint;
  /** Memory already in the process... */
  userAddress?: number;
  /** ...or bytes to place in fresh process memory first (mapped with them). */
  bytes?: Uint8Array;
  /** Required with `userAddress`; defaults to the length of `bytes`. */
  length?: bigint;
  /** IOMMU_IOAS_MAP_* (default READABLE | WRITEABLE; FIXED_IOVA is added when `iova` is given). */
  flags?: number;
}

export interface IoasMapFileArgs {
  ioasId: number;
  fd: number;
  start: bigint;
  length: bigint;
  iova?: bigint;
  flags?: number;
}

export interface IoasCopyArgs {
  dstIoasId: number;
  srcIoasId: number;
  srcIova: bigint;
  length: bigint;
  dstIova?: bigint;
  /** Default WRITEABLE | READABLE; FIXED_IOVA is added when `dstIova` is given. */
  flags?: number;
}

export interface HwptAllocArgs {
  devId: number;
  /** An IOAS, a nesting-parent HWPT or a vIOMMU. */
  ptId: number;
  flags?: number;
  /** IOMMU_HWPT_DATA_* or a driver's type (the mock's 0xdead). */
  dataType?: number;
  /** The driver payload (e.g. iommu_hwpt_selftest, iommu_hwpt_vtd_s1). */
  data?: Uint8Array;
  /** A FAULT object; sets IOMMU_HWPT_FAULT_ID_VALID unless `flags` already decides. */
  faultId?: number;
}

export interface HwptInvalidateArgs {
  /** A nested HWPT or a vIOMMU. */
  hwptId: number;
  dataType: number;
  entryLen: number;
  /** The request array, entryLen bytes each (or one buffer already laid out). */
  entries: readonly Uint8Array[] | Uint8Array;
  /** Defaults to the number of entries. */
  entryNum?: number;
}

export interface HwInfo {
  dataType: number;
  /** The driver's info struct, truncated to the requested length. */
  data: Uint8Array;
  /** Length the kernel reports (may exceed what was asked for). */
  dataLen: number;
  maxPasidLog2: number;
  capabilities: bigint;
}

export interface GetDirtyBitmapArgs {
  hwptId: number;
  iova: bigint;
  length: bigint;
  pageSize: bigint;
  /** IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR: read without clearing. */
  noClear?: boolean;
}

export interface ViommuAllocArgs {
  devId: number;
  hwptId: number;
  type: number;
  /** Driver payload, copied in and (inout) back out. */
  data?: Uint8Array;
  flags?: number;
}

export interface VeventqAllocArgs {
  viommuId: number;
  type: number;
  depth: number;
}

export interface HwQueueAllocArgs {
  viommuId: number;
  type: number;
  index: number;
  nestingParentIova: bigint;
  length: bigint;
}

export interface FdObject {
  id: number;
  fd: number;
}
