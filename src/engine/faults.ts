// Reading the core's fault ring (assembly/faults.ts record layout).
import type { CoreExports } from './wasm.js';
import type { Views } from './views.js';

export interface FaultRecord {
  iova: bigint;
  addr: bigint;
  space: number;
  /** FaultReason, or 6 for a stale hit reported by the stale-translation check. */
  reason: number;
  stage: number;
  level: number;
  access: number;
  /** Faults raised before this one, dropped ones included: a gap means records were lost. */
  sequence: number;
}

const RECORD = 32;

export function readFaults(core: CoreExports, views: Views): FaultRecord[] {
  const produced = core.faultsProduced() >>> 0;
  const taken = core.faultsTaken() >>> 0;
  const capacity = core.faultRingSize();
  const base = core.faultRing();
  const dv = views.dv;
  const out: FaultRecord[] = [];
  for (let seq = taken; seq !== produced; seq = (seq + 1) >>> 0) {
    const at = base + (seq % capacity) * RECORD;
    out.push({
      iova: dv.getBigUint64(at, true),
      addr: dv.getBigUint64(at + 8, true),
      space: dv.getUint32(at + 16, true),
      reason: dv.getUint8(at + 20),
      stage: dv.getUint8(at + 21),
      level: dv.getUint8(at + 22),
      access: dv.getUint8(at + 23),
      sequence: dv.getUint32(at + 24, true),
    });
  }
  core.faultsConsume(out.length);
  return out;
}
