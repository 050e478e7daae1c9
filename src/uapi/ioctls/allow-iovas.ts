// IOMMU_IOAS_ALLOW_IOVAS (spec §2.5): replaces the allowed list atomically. Entries are
// validated as they are read, so the first bad entry decides the errno.
import { EFAULT, EINVAL, EOPNOTSUPP } from '../../iommu/errno.js';
import { rangesIntersect, type IovaRange } from '../ioas/iova-range.js';
import { decodeStruct, IommuIovaRange, type IommuIoasAllowIovas } from '../../iommu/abi/index.js';
import type { Ucmd } from '../ucmd.js';
import { lookupIoas, NO_SUCH_OBJECT } from './common.js';

export function ioasAllowIovas(u: Ucmd<typeof IommuIoasAllowIovas.fields>): number {
  if (u.get('__reserved') !== 0) return -EOPNOTSUPP;
  const ioas = lookupIoas(u.ctx, u.get('ioas_id'));
  if (!ioas) return NO_SUCH_OBJECT;

  const count = u.get('num_iovas');
  const base = u.get('allowed_iovas');
  const sorted: IovaRange[] = [];
  for (let i = 0; i < count; i++) {
    const raw = u.mem.read(base + BigInt(i * IommuIovaRange.sizeof), IommuIovaRange.sizeof);
    if (!raw.ok) return -EFAULT;
    const r = decodeStruct(IommuIovaRange, new DataView(raw.value.buffer));
    if (r.start >= r.last) return -EINVAL;
    const at = insertionPoint(sorted, r.start);
    if ((at > 0 && rangesIntersect(sorted[at - 1], r)) || (at < sorted.length && rangesIntersect(sorted[at], r))) {
      return -EINVAL;
    }
    sorted.splice(at, 0, { start: r.start, last: r.last });
  }
  const set = ioas.iopt.setAllowed(sorted);
  return set.ok ? 0 : -set.errno;
}

function insertionPoint(sorted: readonly IovaRange[], start: bigint): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid].start < start) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
