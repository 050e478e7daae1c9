// IOMMU_FAULT_QUEUE_ALLOC (spec §2.18).
import { EOPNOTSUPP } from '../errno.js';
import type { IommuFaultAlloc } from '../structs/fault.js';
import type { Ucmd } from '../ucmd.js';

export function faultQueueAlloc(u: Ucmd<typeof IommuFaultAlloc.fields>): number {
  if (u.get('flags') !== 0) return -EOPNOTSUPP;
  // AWAITING-ENGINE: the FAULT object and its fd (read/write/poll protocol, spec §2.18).
  // The kernel succeeds here even without devices; until faults can be raised this
  // reports the command as unsupported rather than hand out a queue nothing can fill.
  return -EOPNOTSUPP;
}
