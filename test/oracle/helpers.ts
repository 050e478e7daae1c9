// Shorthands for hand-built tables and hand-derived expectations.

import type { SpaceDescriptor, Translation } from '../../src/engine/types.js';
import { MapPhysMemory } from '../../src/oracle/map-memory.js';

export const PA_BITS = 40;

export function space(format: SpaceDescriptor['format'], levels: number, root: bigint, ad = false, parent?: SpaceDescriptor): SpaceDescriptor {
  return parent === undefined ? { format, levels, root, ad } : { format, levels, root, ad, parent };
}

/** Memory holding exactly the given (address, entry) words. */
export function memoryWith(words: Array<[bigint, bigint]>): MapPhysMemory {
  const mem = new MapPhysMemory();
  put(mem, words);
  mem.resetCounters();
  return mem;
}

export function put(mem: MapPhysMemory, words: Array<[bigint, bigint]>): void {
  for (const [addr, value] of words) mem.write64(addr, value);
}

export function ok(addr: bigint, level: number, perms: number, pageShift: number): Translation {
  return { fault: 0, stage: 0, level, addr, perms, pageShift };
}

export function fault(reason: number, stage: number, level: number, addr: bigint): Translation {
  return { fault: reason, stage, level, addr, perms: 0, pageShift: 0 };
}
