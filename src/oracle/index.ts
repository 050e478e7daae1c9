// The reference walker: plain TypeScript, BigInt, no caches. Tests compare the
// Wasm engine against it; docs/formats.md is what it implements.

import type { PhysMemory, SpaceDescriptor, Translation } from '../engine/types.js';
import { walkSpace } from './walk.js';

/** Translates one request the slow, obvious way (reads and A/D writes go to `mem`). */
export function oracleTranslate(mem: PhysMemory, paBits: number, space: SpaceDescriptor, iova: bigint, access: number): Translation {
  return walkSpace(mem, paBits, space, iova, access).translation;
}

export { walkSpace } from './walk.js';
export type { WalkReport } from './report.js';
export { MapPhysMemory } from './map-memory.js';
export { PageTableBuilder, type TableAllocator } from './builder.js';
export { BumpAllocator } from './bump-allocator.js';
export { guestMemory } from './guest-memory.js';
export { oracleLeafEntry, oracleReadDirty, type OracleLeafEntry } from './dirty.js';
