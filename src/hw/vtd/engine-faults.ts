// Engine faults (docs/formats.md: reason, stage, level) as VT-d fault reasons. The
// engine knows which stage and which check failed; VT-d also wants to know whether a
// first-stage refusal was about privilege or about writing, which one more walk
// (without the IOTLB and without A/D writes) tells.
import type { Engine, TranslateResult } from '../../engine/engine.js';
import { Access, FaultReason } from '../../engine/types.js';
import { Reason } from './fault-reasons.js';

export type StageKind = 'first-stage' | 'second-stage' | 'nested';

function secondStageReason(fault: number, write: boolean): number {
  switch (fault) {
    case FaultReason.TRANSLATION:
    case FaultReason.PERMISSION:
      // A second-stage entry has no present bit: "not present" is "no R" or "no W".
      return write ? Reason.SS_WRITE : Reason.SS_READ;
    case FaultReason.RESERVED: return Reason.SS_RESERVED;
    case FaultReason.ADDRESS_SIZE: return Reason.ADDRESS_BEYOND_AW;
    default: return Reason.SS_ACCESS;
  }
}

export function vtdReason(engine: Engine, space: number, kind: StageKind, result: TranslateResult, iova: bigint, access: number): number {
  const write = (access & Access.WRITE) !== 0;
  if (kind === 'second-stage') return secondStageReason(result.fault, write);
  if (result.stage === 2) {
    // A read request refused write permission by the second stage can only have been
    // refused the A/D update of a first-stage entry (a store into the guest's table).
    if (result.fault === FaultReason.PERMISSION && !write) return Reason.FS_AD_UPDATE;
    return secondStageReason(result.fault, write);
  }
  switch (result.fault) {
    case FaultReason.TRANSLATION: return Reason.FS_NOT_PRESENT;
    case FaultReason.RESERVED: return Reason.FS_RESERVED;
    case FaultReason.ADDRESS_SIZE: return Reason.FS_NON_CANONICAL;
    case FaultReason.EXTERNAL: return Reason.FS_ACCESS;
    default: {
      // PERMISSION: a read with the same privilege that also fails was refused U/S.
      const asRead = engine.walk(space, iova, (access & Access.USER) | Access.READ);
      return asRead.fault === FaultReason.PERMISSION && asRead.stage === 1 ? Reason.FS_PRIVILEGE : Reason.SM_WRITE;
    }
  }
}
