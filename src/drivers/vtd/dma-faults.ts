// A refused VT-d request as the uAPI's DmaFault: the architectural reason kept as
// `vtdReason`, and the engine category iommufd callers (and the mock) speak in.
// Structure faults (root, context, PASID entries) are "blocked" in iommufd terms: the
// device has nothing usable attached there; they map to TRANSLATION at stage 0.
import { FaultReason } from '../../engine/types.js';
import type { DmaFault } from '../../iommu/driver.js';
import { Reason } from '../../hw/vtd/fault-reasons.js';

export interface VtdDmaFault extends DmaFault {
  /** The VT-d fault reason the unit recorded or would have recorded (fault-reasons.ts). */
  readonly vtdReason: number;
}

const PERMISSION = new Set<number>([Reason.SM_WRITE, Reason.FS_PRIVILEGE, Reason.FS_AD_UPDATE]);
/** Second-stage R/W refusals: VT-d does not tell "not present" from "no permission" there. */
const SECOND_STAGE = new Set<number>([Reason.SS_READ, Reason.SS_WRITE]);
const FIRST_STAGE_TRANSLATION = new Set<number>([Reason.FS_NOT_PRESENT, Reason.FS_INVALID_PTR]);
const RESERVED = new Set<number>([Reason.SS_RESERVED, Reason.FS_RESERVED]);
const ADDRESS_SIZE = new Set<number>([Reason.ADDRESS_BEYOND_AW, Reason.FS_NON_CANONICAL]);

export function vtdFaultAsEngine(vtdReason: number, iova: bigint): VtdDmaFault {
  const at = (reason: number, stage: number): VtdDmaFault => ({ iova, reason, stage, level: 0, addr: iova, vtdReason });
  if (PERMISSION.has(vtdReason)) return at(FaultReason.PERMISSION, 1);
  if (FIRST_STAGE_TRANSLATION.has(vtdReason)) return at(FaultReason.TRANSLATION, 1);
  if (SECOND_STAGE.has(vtdReason)) return at(FaultReason.TRANSLATION, 2);
  if (RESERVED.has(vtdReason)) return at(FaultReason.RESERVED, 1);
  if (ADDRESS_SIZE.has(vtdReason)) return at(FaultReason.ADDRESS_SIZE, 1);
  return at(FaultReason.TRANSLATION, 0);
}
