// Direct edits of leaf entries, the way a driver (or a guest) rewrites a PTE in
// place: find the entry by walking with a memory that records reads, then write a
// changed word with engine.phys.write64.

import { FORMAT_FACTS } from './format-facts.js';
import type { FormatName, SpaceDescriptor, Translation } from '../../../src/engine/types.js';
import { oracleTranslate } from '../../../src/oracle/index.js';
import { GuestPhysView, RecordingMemory } from './memory.js';
import { parentToHost, withoutAd, type SpaceRef, type World } from './world.js';

export interface LeafEntry {
  /** Address of the entry where the space's tables live (a GPA for a nested space). */
  entryAddr: bigint;
  /** Host address of the entry. */
  hpa: bigint;
  value: bigint;
  level: number;
  pageShift: number;
  /** First input address of the page the entry maps. */
  pageBase: bigint;
}

/**
 * The entries a walk of `space`'s own tables (stage 1 for a nested space) reads for
 * `iova`, root first, as addresses where those tables live (GPAs when nested), and
 * the walk's outcome. The walk asks for no permission (access 0) and writes nothing.
 */
export function tablePath(world: World, space: SpaceRef, iova: bigint): { entries: bigint[]; translation: Translation } {
  const { engine, paBits } = world;
  // The space's own tables only: a nested space's are read at GPAs through a guest view.
  const { parent: _parent, ...flat }: SpaceDescriptor = withoutAd(space.desc);
  const nested = space.desc.parent !== undefined;
  const tables = nested ? new GuestPhysView((gpa) => parentToHost(world, gpa), engine.phys) : engine.phys;
  const recorder = new RecordingMemory(tables);
  const translation = oracleTranslate(recorder, paBits, flat, iova, 0);
  return { entries: recorder.reads, translation };
}

/** The leaf entry that maps `iova` in `space`'s own tables, or undefined when the walk does not reach one. */
export function findLeaf(world: World, space: SpaceRef, iova: bigint): LeafEntry | undefined {
  const { entries, translation: t } = tablePath(world, space, iova);
  if (t.fault !== 0) return undefined;
  const entryAddr = entries[entries.length - 1];
  const hpa = space.desc.parent !== undefined ? parentToHost(world, entryAddr) : entryAddr;
  if (hpa === undefined) return undefined;
  const value = world.engine.phys.read64(hpa);
  if (value === undefined) return undefined;
  const size = 1n << BigInt(t.pageShift);
  return { entryAddr, hpa, value, level: t.level, pageShift: t.pageShift, pageBase: iova & ~(size - 1n) };
}

export const EDIT_KINDS = ['toggle-w', 'toggle-r-or-u', 'toggle-x', 'not-present', 'retarget', 'reserved', 'clear-ad'] as const;
export type EditKind = (typeof EDIT_KINDS)[number];


/**
 * The leaf after one edit. `retarget` supplies a new output address aligned to the
 * page; `n` picks which reserved bit to set.
 */
export function editedLeaf(format: FormatName, leaf: LeafEntry, kind: EditKind, paBits: number, n: number, retarget: () => bigint): bigint {
  const facts = FORMAT_FACTS[format];
  const b = facts.bits;
  const v = leaf.value;
  switch (kind) {
    case 'toggle-w': return v ^ b.w;
    case 'toggle-r-or-u': return v ^ b.rOrU;
    case 'toggle-x': return v ^ b.x;
    case 'not-present': return v & ~b.present;
    case 'clear-ad': return v & ~b.ad;
    case 'retarget': {
      const pageAddress = facts.addressField & ~facts.encodeAddress((1n << BigInt(leaf.pageShift)) - 1n);
      return (v & ~pageAddress) | facts.encodeAddress(retarget());
    }
    case 'reserved': {
      // An address bit at or above paBits, or (large pages) a low address bit.
      const lowBit = leaf.level > 0 && n % 3 === 0;
      const bit = lowBit ? 13n + BigInt(n % 8) : BigInt(paBits + (n % (52 - paBits)));
      return v | facts.encodeAddress(1n << bit);
    }
  }
}
