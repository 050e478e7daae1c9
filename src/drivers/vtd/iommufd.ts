// VT-d data of the iommufd uAPI (iommufd-uapi.md §3.2, §3.6), as pure functions the
// driver calls: the hw-info blob, the stage-1 HWPT allocation data with the kernel's
// validation order and errnos, and what a stage-1 config needs at attach. The struct
// layouts, constants and errno values are the contract's (src/iommu); the stage-1
// invalidation array is the nested domain's loop (nested-domain.ts).
import { place } from '../../hw/common/bits.js';
import { EINVAL, EOPNOTSUPP } from '../../iommu/errno.js';
import { fail, ok, type Result } from '../../iommu/result.js';
import { decodeStruct, packStruct } from '../../iommu/abi/layout.js';
import { IommuHwInfoVtd } from '../../iommu/abi/hw-info.js';
import {
  IOMMU_HWPT_ALLOC_PASID,
  IOMMU_HWPT_DATA_VTD_S1,
  IOMMU_VTD_S1_EAFE,
  IOMMU_VTD_S1_SRE,
  IOMMU_VTD_S1_WPE,
  IommuHwptVtdS1,
} from '../../iommu/abi/hwpt.js';

/** struct iommu_hw_info_vtd: the unit's CAP and ECAP registers as they read. */
export function vtdHwInfo(cap: bigint, ecap: bigint, flags = 0): Uint8Array {
  return packStruct(IommuHwInfoVtd, { flags, cap_reg: cap, ecap_reg: ecap });
}

export interface VtdS1Config {
  flags: bigint;
  /** Guest stage-1 table root (a GPA the parent translates). */
  pgtblAddr: bigint;
  addrWidth: number;
}

export interface VtdNestedAllocRequest {
  /** HWPT_ALLOC flags. */
  hwptFlags: number;
  dataType: number;
  /** The user's data_len bytes, already copied from user memory. */
  data: Uint8Array;
  /** The parent is a VT-d paging domain allocated with NEST_PARENT. */
  parentIsNestParent: boolean;
  /** ECAP.NEST of the device's unit. */
  nestingSupported: boolean;
}

/**
 * HWPT_ALLOC with IOMMU_HWPT_DATA_VTD_S1, in the kernel's order: nesting support and
 * allocation flags other than PASID (EOPNOTSUPP), data type (EOPNOTSUPP), parent
 * (EINVAL), data length exactly 24 (EINVAL). Neither `flags` nor `__reserved` of the
 * struct is checked here: the kernel checks neither at allocation.
 */
export function parseVtdS1Alloc(req: VtdNestedAllocRequest): Result<VtdS1Config> {
  if (!req.nestingSupported || (req.hwptFlags & ~IOMMU_HWPT_ALLOC_PASID) !== 0) return fail(EOPNOTSUPP);
  if (req.dataType !== IOMMU_HWPT_DATA_VTD_S1) return fail(EOPNOTSUPP);
  if (!req.parentIsNestParent) return fail(EINVAL);
  // Every field is mandatory (minSize = sizeof): exactly 24 bytes.
  if (req.data.length < IommuHwptVtdS1.minSize || req.data.length > IommuHwptVtdS1.sizeof) return fail(EINVAL);
  const s1 = decodeStruct(IommuHwptVtdS1, new DataView(req.data.buffer, req.data.byteOffset, req.data.byteLength));
  return ok({ flags: s1.flags, pgtblAddr: s1.pgtbl_addr, addrWidth: s1.addr_width });
}

/**
 * What the unit needs before a stage-1 config can go into a PASID entry: a 4- or
 * 5-level width the unit supports, and SRE/EAFE only where ECAP offers them. These are
 * the architecture's rules for a PASID entry (not an iommufd allocation check).
 */
export function checkVtdS1ForAttach(config: VtdS1Config, cap: bigint, ecap: bigint): number {
  const fs5 = ((cap >> 60n) & 1n) === 1n;
  if (config.addrWidth !== 48 && !(config.addrWidth === 57 && fs5)) return EINVAL;
  if (config.flags & ~(IOMMU_VTD_S1_SRE | IOMMU_VTD_S1_EAFE | IOMMU_VTD_S1_WPE)) return EINVAL;
  if (config.flags & IOMMU_VTD_S1_SRE && !((ecap >> 31n) & 1n)) return EINVAL;
  if (config.flags & IOMMU_VTD_S1_EAFE && !((ecap >> 34n) & 1n)) return EINVAL;
  if (config.pgtblAddr & 0xfffn) return EINVAL;
  return 0;
}

/** The eight words of a nested (PGTT 011) PASID-table entry for a stage-1 config over a second stage. */
export function nestedPasidEntry(config: VtdS1Config, did: number, secondStage: { root: bigint; aw: number; ssade: boolean }, fpd = false): bigint[] {
  const q0 = 1n | (fpd ? 2n : 0n) | place(secondStage.aw, 4, 2) | place(3, 8, 6) | (secondStage.ssade ? 1n << 9n : 0n) | secondStage.root;
  const q2 = (config.flags & IOMMU_VTD_S1_SRE ? 1n : 0n) | place(config.addrWidth === 57 ? 1 : 0, 3, 2)
    | (config.flags & IOMMU_VTD_S1_WPE ? 1n << 4n : 0n) | (config.flags & IOMMU_VTD_S1_EAFE ? 1n << 7n : 0n) | config.pgtblAddr;
  return [q0, BigInt(did), q2, 0n, 0n, 0n, 0n, 0n];
}
