// What a driver and the uAPI need of a process's memory to copy structs across the
// user boundary, and the kernel's copy_struct_from_user rule. The uAPI's UserMemory
// is the implementation; the contract names only these three accesses so a driver
// never depends on how the simulated process is built.
import { E2BIG, EFAULT } from './errno.js';
import { fail, ok, type Result } from './result.js';

/** A user address: a number, or a u64 taken from a struct field. */
export type UserAddress = number | bigint;

/** User memory as copy_{from,to}_user see it: every access may fault (EFAULT), none throws. */
export interface UserAccess {
  read(addr: UserAddress, len: number): Result<Uint8Array>;
  write(addr: UserAddress, data: Uint8Array): Result<void>;
  /** Whether `len` bytes from `addr` are all zero. */
  isZero(addr: UserAddress, len: number): Result<boolean>;
}

/**
 * copy_struct_from_user: a shorter user struct is zero-extended; a longer one is
 * accepted only when every byte the kernel does not know is zero (else E2BIG).
 * Any fault is EFAULT.
 */
export function copyStructFromUser(mem: UserAccess, addr: UserAddress, userSize: number, kernelSize: number): Result<Uint8Array> {
  if (userSize > kernelSize) {
    const tailAddr = typeof addr === 'bigint' ? addr + BigInt(kernelSize) : addr + kernelSize;
    const zero = mem.isZero(tailAddr, userSize - kernelSize);
    if (!zero.ok) return fail(EFAULT);
    if (!zero.value) return fail(E2BIG);
  }
  const r = mem.read(addr, Math.min(userSize, kernelSize));
  if (!r.ok) return fail(EFAULT);
  const out = new Uint8Array(kernelSize);
  out.set(r.value);
  return ok(out);
}
