// IOMMU_HWPT_SET_DIRTY_TRACKING and IOMMU_HWPT_GET_DIRTY_BITMAP (spec §2.15, §2.16):
// the dirty bits come from the domain's page table (the engine's leaf D bits).
import { EFAULT, EINVAL, ENOENT, EOPNOTSUPP, EOVERFLOW } from '../../iommu/errno.js';
import { U64_MAX } from '../limits.js';
import {
  IOMMU_HWPT_DIRTY_TRACKING_ENABLE,
  IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR,
  type IommuHwptGetDirtyBitmap,
  type IommuHwptSetDirtyTracking,
} from '../../iommu/abi/index.js';
import type { IovaRange } from '../ioas/iova-range.js';
import type { Ucmd } from '../ucmd.js';
import { lookupHwptPaging } from './lookup.js';
import type { UserMemory } from '../user-memory.js';

export function hwptSetDirtyTracking(u: Ucmd<typeof IommuHwptSetDirtyTracking.fields>): number {
  // __reserved is documented must-be-zero but the kernel does not check it (spec §1.4).
  const flags = u.get('flags');
  if ((flags & ~IOMMU_HWPT_DIRTY_TRACKING_ENABLE) !== 0) return -EOPNOTSUPP;
  const hwpt = lookupHwptPaging(u.ctx, u.get('hwpt_id'));
  if (!hwpt) return -ENOENT;
  const dirty = hwpt.domain.dirty;
  if (!dirty) return -EOPNOTSUPP;
  const r = dirty.set((flags & IOMMU_HWPT_DIRTY_TRACKING_ENABLE) !== 0);
  return r.ok ? 0 : -r.errno;
}

export function hwptGetDirtyBitmap(u: Ucmd<typeof IommuHwptGetDirtyBitmap.fields>): number {
  const flags = u.get('flags');
  if ((flags & ~IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR) !== 0 || u.get('__reserved') !== 0) return -EOPNOTSUPP;
  const hwpt = lookupHwptPaging(u.ctx, u.get('hwpt_id'));
  if (!hwpt) return -ENOENT;
  const iova = u.get('iova');
  const length = u.get('length');
  const pageSize = u.get('page_size');
  // length - 1 is computed in unsigned long: a zero length wraps.
  const last = iova + BigInt.asUintN(64, length - 1n);
  if (last > U64_MAX) return -EOVERFLOW;
  const alignment = hwpt.ioas.iopt.iovaAlignment;
  if (iova % alignment !== 0n || (last + 1n) % alignment !== 0n) return -EINVAL;
  if (pageSize === 0n) return -EINVAL;
  if (iova % pageSize !== 0n || (last + 1n) % pageSize !== 0n) return -EINVAL;
  const dirty = hwpt.domain.dirty;
  if (!dirty) return -EOPNOTSUPP;

  const bits = (last - iova + 1n) / pageSize;
  const bytes = Number(((bits + 63n) / 64n) * 8n);
  const base = u.get('data');
  // The whole bitmap must be user memory the kernel could pin for writing (EFAULT),
  // but only the bytes holding dirty bits are touched: the cost follows what is
  // mapped and dirty, never the length asked for.
  if (!u.mem.canWrite(base, bytes)) return -EFAULT;
  const masks = new Map<number, number>();
  const keep = (flags & IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR) !== 0;
  for (const run of mappedRuns(hwpt.ioas.iopt.areas, iova, last)) {
    dirty.readAndClear(run.start, run.last - run.start + 1n, keep, (at, n) => {
      const first = (at - iova) / pageSize;
      const end = (at + n - 1n - iova) / pageSize;
      for (let bit = first; bit <= end; bit++) {
        const byte = Number(bit / 8n);
        masks.set(byte, (masks.get(byte) ?? 0) | (1 << Number(bit % 8n)));
      }
    });
  }
  return orBytes(u.mem, base, masks) ? 0 : -EFAULT;
}

/** ORs `masks` (byte index → bits) into user memory at `base`, run by run of adjacent bytes. */
function orBytes(mem: UserMemory, base: bigint, masks: ReadonlyMap<number, number>): boolean {
  const indices = [...masks.keys()].sort((a, b) => a - b);
  for (let i = 0; i < indices.length; ) {
    let j = i + 1;
    while (j < indices.length && indices[j] === indices[j - 1] + 1 && j - i < 1 << 20) j++;
    const at = base + BigInt(indices[i]);
    const current = mem.read(at, j - i);
    if (!current.ok) return false;
    for (let k = i; k < j; k++) current.value[k - i] |= masks.get(indices[k])!;
    if (!mem.write(at, current.value).ok) return false;
    i = j;
  }
  return true;
}

/**
 * The mapped parts of [iova, last] in IOVA order, adjacent areas joined (one huge IO
 * page may lie across two). Only there can anything be dirty (spec §2.16: the dirty
 * bits of mapped areas), so the domain reads those, not the holes: its work follows
 * what is mapped, not the length a caller asks for.
 */
function mappedRuns(areas: readonly IovaRange[], iova: bigint, last: bigint): IovaRange[] {
  const parts = areas
    .filter((a) => a.start <= last && a.last >= iova)
    .map((a) => ({ start: a.start < iova ? iova : a.start, last: a.last > last ? last : a.last }))
    .sort((a, b) => (a.start < b.start ? -1 : 1));
  const runs: { start: bigint; last: bigint }[] = [];
  for (const part of parts) {
    const previous = runs[runs.length - 1];
    if (previous && previous.last + 1n === part.start) previous.last = part.last;
    else runs.push(part);
  }
  return runs;
}
