// The view a stage-1 space has of its tables when it is nested over a parent
// (docs/formats.md, "Nested"): every table address it reads and its output are
// GPAs, translated by the parent's own walk before memory is touched.

import { Access, FaultReason, Perm, type PhysMemory } from '../engine/types.js';
import { faultReport, isFault, type WalkReport } from './report.js';
import type { TableView } from './table-view.js';

/** Translates a GPA with the parent space's own (non-nested) walk. */
export type ParentWalk = (gpa: bigint, access: number) => WalkReport;

export function nestedView(mem: PhysMemory, paBits: number, walkParent: ParentWalk): TableView {
  const limit = 1n << BigInt(paBits);
  return {
    read(entryGpa, level) {
      const parent = walkParent(entryGpa, Access.READ);
      if (isFault(parent)) return asStage2(parent, entryGpa);
      const hpa = parent.translation.addr;
      const value = hpa < limit ? mem.read64(hpa) : undefined;
      // The entry's address as this space knows it is the GPA, so that is what is reported.
      return value ?? faultReport(FaultReason.EXTERNAL, 1, level, entryGpa);
    },

    setBits(entryGpa, bits) {
      // An A/D update is a store into guest memory, so it is a WRITE for the
      // parent: refused without stage-2 W, and it dirties the parent's leaf.
      const parent = walkParent(entryGpa, Access.WRITE);
      if (isFault(parent)) return asStage2(parent, entryGpa);
      const hpa = parent.translation.addr;
      mem.write64(hpa, (mem.read64(hpa) ?? 0n) | bits);
      return undefined;
    },

    output(gpa, access, leaf) {
      // A second stage has no privilege notion: the request goes on without USER.
      const parent = walkParent(gpa, access & ~Access.USER);
      if (isFault(parent)) return asStage2(parent, gpa);
      const rwx = Perm.R | Perm.W | Perm.X;
      const perms = (leaf.perms & parent.translation.perms & rwx) | (leaf.perms & Perm.U);
      return {
        translation: {
          fault: FaultReason.NONE,
          stage: 0,
          level: leaf.level,
          addr: parent.translation.addr,
          perms,
          pageShift: Math.min(leaf.pageShift, parent.translation.pageShift),
        },
        writeCacheable: parent.writeCacheable,
      };
    },
  };
}

/** A fault of the parent's walk, as the nested space reports it: stage 2, the parent's level, the GPA. */
function asStage2(parent: WalkReport, gpa: bigint): WalkReport {
  return faultReport(parent.translation.fault, 2, parent.translation.level, gpa);
}
