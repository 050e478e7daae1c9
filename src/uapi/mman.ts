// <sys/mman.h> for the simulated process: protection and mapping flags of mmap, and
// what a protection allows. x86-64 semantics: any protection but PROT_NONE lets the
// CPU read (write and exec imply read), while get_user_pages asks for the exact right
// (a pin for reading needs PROT_READ, one for writing PROT_WRITE).

export const PROT_NONE = 0;
export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const PROT_EXEC = 4;
/** Every protection bit mmap looks at; others are ignored, as calc_vm_prot_bits does. */
export const PROT_MASK = PROT_READ | PROT_WRITE | PROT_EXEC;
/** What alloc hands out. */
export const PROT_RW = PROT_READ | PROT_WRITE;

export const MAP_SHARED = 0x01;
export const MAP_PRIVATE = 0x02;
/** MAP_SHARED that refuses unknown flags (EOPNOTSUPP) instead of ignoring them. */
export const MAP_SHARED_VALIDATE = 0x03;
export const MAP_TYPE = 0x0f;
export const MAP_FIXED = 0x10;
export const MAP_ANONYMOUS = 0x20;
/** Flags MAP_SHARED_VALIDATE accepts (this model knows no others). */
export const MAP_KNOWN_FLAGS = MAP_TYPE | MAP_FIXED | MAP_ANONYMOUS;

export function cpuMayRead(prot: number): boolean {
  return (prot & PROT_MASK) !== PROT_NONE;
}

export function cpuMayWrite(prot: number): boolean {
  return (prot & PROT_WRITE) !== 0;
}

/** check_vma_flags of get_user_pages: a pin needs the very right it pins for. */
export function pinAllowed(prot: number, write: boolean): boolean {
  return (prot & (write ? PROT_WRITE : PROT_READ)) !== 0;
}
