// A PhysMemory whose addresses are GPAs of a parent space: lets PageTableBuilder
// write a nested space's stage-1 tables where the guest would put them.

import { Access, type PhysMemory, type SpaceDescriptor } from '../engine/types.js';
import { walkSpace } from './walk.js';

export function guestMemory(mem: PhysMemory, paBits: number, parent: SpaceDescriptor): PhysMemory {
  // Building tables is not a device access: it must not set the parent's A/D bits.
  const quietParent: SpaceDescriptor = { ...parent, ad: false };
  const toHost = (gpa: bigint, access: number): bigint => {
    const { translation } = walkSpace(mem, paBits, quietParent, gpa, access);
    if (translation.fault !== 0) {
      throw new Error(`GPA 0x${gpa.toString(16)} does not translate (fault ${translation.fault}, level ${translation.level})`);
    }
    return translation.addr;
  };
  return {
    read64: (gpa) => mem.read64(toHost(gpa, Access.READ)),
    write64: (gpa, value) => mem.write64(toHost(gpa, Access.WRITE), value),
  };
}
