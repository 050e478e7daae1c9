// MMIO dispatch: a simulator reads and writes 4- or 8-byte naturally aligned words;
// a 64-bit register can be accessed as two 32-bit halves and two adjacent 32-bit
// registers as one 64-bit word. A partial write hands the register the bits written
// and a mask of which they are, so write-1-to-clear bits in the other half stay put.

export interface Register {
  offset: number;
  size: 4 | 8;
  read(): bigint;
  /** `mask` marks the bits this access wrote (all of them for a full-width write). */
  write?(value: bigint, mask: bigint): void;
}

const LOW32 = 0xffff_ffffn;

export class RegisterFile {
  private readonly byOffset = new Map<number, Register>();

  /** `name` prefixes the error of a malformed access (a simulator bug, not guest input). */
  constructor(registers: readonly Register[], private readonly name = 'MMIO') {
    for (const r of registers) this.byOffset.set(r.offset, r);
  }

  read(offset: number, size: number): bigint {
    checkAccess(this.name, offset, size);
    if (size === 8) {
      const whole = this.byOffset.get(offset);
      if (whole?.size === 8) return whole.read();
      return this.read32(offset) | (this.read32(offset + 4) << 32n);
    }
    return this.read32(offset);
  }

  write(offset: number, size: number, value: bigint | number): void {
    checkAccess(this.name, offset, size);
    const v = BigInt.asUintN(size * 8, BigInt(value));
    if (size === 8) {
      const whole = this.byOffset.get(offset);
      if (whole?.size === 8) return whole.write?.(v, (1n << 64n) - 1n);
      this.write32(offset, v & LOW32);
      this.write32(offset + 4, v >> 32n);
      return;
    }
    this.write32(offset, v);
  }

  private read32(offset: number): bigint {
    const own = this.byOffset.get(offset);
    if (own?.size === 4) return own.read() & LOW32;
    const wide = this.byOffset.get(offset & ~7);
    if (wide?.size === 8) return (wide.read() >> BigInt((offset & 4) * 8)) & LOW32;
    return 0n;
  }

  private write32(offset: number, value: bigint): void {
    const own = this.byOffset.get(offset);
    if (own?.size === 4) return own.write?.(value, LOW32);
    const wide = this.byOffset.get(offset & ~7);
    if (wide?.size !== 8) return;
    const shift = BigInt((offset & 4) * 8);
    wide.write?.(value << shift, LOW32 << shift);
  }
}

function checkAccess(name: string, offset: number, size: number): void {
  if ((size !== 4 && size !== 8) || offset % size !== 0 || offset < 0) {
    throw new RangeError(`${name}: ${size}-byte access at 0x${offset.toString(16)} is not a naturally aligned 4- or 8-byte access`);
  }
}

/** The value a register holds after a partial write: written bits replaced, the rest kept. */
export function merge(current: bigint, value: bigint, mask: bigint): bigint {
  return (current & ~mask) | (value & mask);
}
