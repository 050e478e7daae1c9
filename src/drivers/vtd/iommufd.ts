// VT-d data of the iommufd uAPI (iommufd-uapi.md §3.2, §3.3, §3.6), as pure
// functions the driver calls: the hw-info blob, the stage-1 HWPT allocation data
// with the kernel's validation order and errnos, and the stage-1 invalidation array
// mapped onto the engine's range/space invalidation. The struct layouts, constants
// and errno values are the contract's (src/iommu).
import type { Engine } from '../../engine/engine.js';
import { place } from '../../hw/common/bits.js';
import { EFAULT, EINVAL, EOPNOTSUPP } from '../../iommu/errno.js';
import { fail, ok, type Result } from '../../iommu/result.js';
import { decodeStruct, packStruct } from '../../iommu/abi/layout.js';
import { IommuHwInfoVtd } from '../../iommu/abi/hw-info.js';
import {
  IOMMU_HWPT_ALLOC_PASID,
  IOMMU_HWPT_DATA_VTD_S1,
  IOMMU_HWPT_INVALIDATE_DATA_VTD_S1,
  IOMMU_VTD_INV_FLAGS_LEAF,
  IOMMU_VTD_S1_EAFE,
  IOMMU_VTD_S1_SRE,
  IOMMU_VTD_S1_WPE,
  IommuHwptVtdS1,
  IommuHwptVtdS1Invalidate,
} from '../../iommu/abi/hwpt.js';

const U64_MAX = (1n << 64n) - 1n;

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

export interface S1InvalidateRequest {
  dataType: number;
  entryLen: number;
  entryNum: number;
  /** Copies entry i (entryLen bytes at data_uptr + i·entryLen); undefined on a fault. */
  readEntry(index: number): Uint8Array | undefined;
  /** Flushes [addr, addr + bytes) of the stage-1 caches (bytes = undefined: everything). */
  flush(addr: bigint, bytes: bigint | undefined, leafOnly: boolean): void;
}

export interface S1InvalidateOutcome {
  errno: number;
  /** entry_num written back: entries fully handled before the first failure. */
  handled: number;
}

/**
 * HWPT_INVALIDATE with IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, entry by entry: the type is
 * checked first (even for zero entries), then each entry is copied (length exactly 24,
 * EINVAL; copy fault, EFAULT), its flags and reserved word checked (EOPNOTSUPP), its
 * address checked (EINVAL), then flushed. The first error stops the loop.
 */
export function vtdS1Invalidate(req: S1InvalidateRequest): S1InvalidateOutcome {
  if (req.dataType !== IOMMU_HWPT_INVALIDATE_DATA_VTD_S1) return { errno: EINVAL, handled: 0 };
  let handled = 0;
  const layout = IommuHwptVtdS1Invalidate;
  for (let i = 0; i < req.entryNum; i++) {
    if (req.entryLen < layout.minSize || req.entryLen > layout.sizeof) return { errno: EINVAL, handled };
    const bytes = req.readEntry(i);
    if (!bytes || bytes.length < layout.sizeof) return { errno: EFAULT, handled };
    const { addr, npages, flags, __reserved } = decodeStruct(layout, new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    if ((flags & ~IOMMU_VTD_INV_FLAGS_LEAF) !== 0 || __reserved !== 0) return { errno: EOPNOTSUPP, handled };
    if (addr & 0xfffn || (npages === U64_MAX && addr !== 0n)) return { errno: EINVAL, handled };
    const leafOnly = (flags & IOMMU_VTD_INV_FLAGS_LEAF) !== 0;
    if (npages === U64_MAX) req.flush(0n, undefined, leafOnly);
    else if (npages > 0n) req.flush(addr, npages * 4096n, leafOnly);
    handled++;
  }
  return { errno: 0, handled };
}

/** The flush of a nested HWPT: every engine space it is attached as (one per device PASID). */
export function flushStage1Spaces(engine: Engine, spaces: Iterable<number>): S1InvalidateRequest['flush'] {
  return (addr, bytes, leafOnly) => {
    for (const space of spaces) {
      if (bytes === undefined) engine.invalidateSpace(space);
      else engine.invalidateRange(space, addr, bytes, leafOnly);
    }
  };
}
