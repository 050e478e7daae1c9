// What one oracle walk hands back: the Translation callers compare, plus the one
// fact an IOTLB needs that a Translation does not carry.

import { FaultReason, type Translation } from '../engine/types.js';

export interface WalkReport {
  translation: Translation;
  /**
   * Whether a cached copy of this translation may serve a later WRITE without a
   * new walk: true unless some stage with `ad` on has a leaf that is still clean
   * (docs/formats.md, "Access and dirty flags": the first write must walk to set D).
   * Meaningless on a fault.
   */
  writeCacheable: boolean;
}

export function faultReport(reason: number, stage: number, level: number, addr: bigint): WalkReport {
  return {
    translation: { fault: reason, stage, level, addr, perms: 0, pageShift: 0 },
    writeCacheable: false,
  };
}

export function isFault(report: WalkReport): boolean {
  return report.translation.fault !== FaultReason.NONE;
}
