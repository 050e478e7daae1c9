// The steps after a walk has found its leaf, the same for every format
// (docs/formats.md, "Faults" and "Access and dirty flags"): permission check,
// output address, then the dirty bit.

import { Access, FaultReason, type SpaceDescriptor } from '../engine/types.js';
import { faultReport, isFault, type WalkReport } from './report.js';
import type { TableView } from './table-view.js';

export interface Leaf {
  level: number;
  /** Where the leaf entry lives (a GPA when nested), for the dirty-bit write. */
  entryAddr: bigint;
  /** The leaf entry as it now stands in memory (A already set when `ad`). */
  entry: bigint;
  /** Permissions ANDed down the walk, normalised to Perm bits. */
  perms: number;
  pageShift: number;
  /** Output address of the page (low pageShift bits zero). */
  base: bigint;
  /** The format's dirty bit as a mask. */
  dirtyBit: bigint;
  /**
   * Set by formats that fault instead of ignoring A/D when the space cannot update
   * them (RISC-V with `ad` off): the accessed bit to require.
   */
  accessedBitRequired?: bigint;
}

/** Access bits and Perm bits share values: READ needs R, WRITE needs W, EXEC needs X, USER needs U. */
export function allows(perms: number, access: number): boolean {
  return (access & ~perms) === 0;
}

export function finishLeaf(view: TableView, space: SpaceDescriptor, iova: bigint, access: number, leaf: Leaf): WalkReport {
  if (!allows(leaf.perms, access)) return faultReport(FaultReason.PERMISSION, 1, leaf.level, iova);
  const adFaults = leaf.accessedBitRequired !== undefined && !space.ad;
  // A lookup that asks for no access (leafEntry's) performs none: nothing to fault on.
  if (adFaults && access !== 0 && ((leaf.entry & leaf.accessedBitRequired!) === 0n || ((access & Access.WRITE) !== 0 && (leaf.entry & leaf.dirtyBit) === 0n))) {
    return faultReport(FaultReason.ACCESS_FLAG, 1, leaf.level, iova);
  }

  const offset = iova & ((1n << BigInt(leaf.pageShift)) - 1n);
  const result = view.output(leaf.base | offset, access, leaf);
  if (isFault(result)) return result;

  // D is written only once the whole translation has succeeded: a write that
  // some stage refuses never happened, so it must not mark the page dirty.
  let dirty = (leaf.entry & leaf.dirtyBit) !== 0n;
  if (space.ad && !space.inspect && (access & Access.WRITE) !== 0 && !dirty) {
    const refused = view.setBits(leaf.entryAddr, leaf.dirtyBit);
    if (refused) return refused;
    dirty = true;
  }
  // A cached copy grants W only when a later write needs no D update, nor faults for want of one.
  return { translation: result.translation, writeCacheable: result.writeCacheable && (!(space.ad || adFaults) || dirty) };
}
