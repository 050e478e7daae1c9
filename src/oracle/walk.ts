// Picks the view (host memory or through a parent) and the format's walker.

import type { PhysMemory, SpaceDescriptor } from '../engine/types.js';
import { nestedView } from './nested.js';
import type { WalkReport } from './report.js';
import { hostView, type TableView } from './table-view.js';
import { walkVtdSecondStage } from './vtd-ss.js';
import { walkX86_64 } from './x86-64.js';
import { walkRiscvSv } from './riscv-sv.js';

const U64_LIMIT = 1n << 64n;

export function walkSpace(mem: PhysMemory, paBits: number, space: SpaceDescriptor, iova: bigint, access: number): WalkReport {
  if (iova < 0n || iova >= U64_LIMIT) throw new RangeError(`iova is not a 64-bit unsigned value: ${iova}`);
  return walkFormat(viewFor(mem, paBits, space), paBits, space, iova, access);
}

function viewFor(mem: PhysMemory, paBits: number, space: SpaceDescriptor): TableView {
  const parent = space.parent;
  if (parent === undefined) return hostView(mem, paBits);
  // Two stages are all any IOMMU has; a third would need its own fault attribution.
  if (parent.parent !== undefined) throw new Error('a nested space\'s parent must not itself be nested');
  return nestedView(mem, paBits, (gpa, access) => walkSpace(mem, paBits, parent, gpa, access));
}

function walkFormat(view: TableView, paBits: number, space: SpaceDescriptor, iova: bigint, access: number): WalkReport {
  switch (space.format) {
    case 'x86-64':
      return walkX86_64(view, paBits, space, iova, access);
    case 'vtd-ss':
      return walkVtdSecondStage(view, paBits, space, iova, access);
    case 'riscv-sv':
      return walkRiscvSv(view, paBits, space, iova, access);
    default:
      throw new Error(`unknown format: ${String(space.format)}`);
  }
}
