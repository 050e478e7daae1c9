// Bit-field helpers over 64-bit register and table-entry values (BigInt), as every
// model's registers and guest-memory structures are read and built.

/** Bits hi..lo of `value`, shifted down. */
export function field(value: bigint, hi: number, lo: number): bigint {
  return (value >> BigInt(lo)) & ((1n << BigInt(hi - lo + 1)) - 1n);
}

/** Bits hi..lo of `value` as a number (fields of at most 53 bits). */
export function fieldNum(value: bigint, hi: number, lo: number): number {
  return Number(field(value, hi, lo));
}

export function bit(value: bigint, position: number): boolean {
  return ((value >> BigInt(position)) & 1n) === 1n;
}

/** A mask with bits hi..lo set. */
export function mask(hi: number, lo: number): bigint {
  return ((1n << BigInt(hi - lo + 1)) - 1n) << BigInt(lo);
}

/** `value` placed at bits hi..lo (truncated to the field width). */
export function place(value: bigint | number, hi: number, lo: number): bigint {
  return (BigInt(value) << BigInt(lo)) & mask(hi, lo);
}

/** The 4 KiB-aligned address in bits 63:12 of an entry. */
export function pageAddress(value: bigint): bigint {
  return value & mask(63, 12);
}

/** Bits of a page-aligned pointer at or above the host address width (reserved in VT-d, ARM and AMD pointers alike). */
export function aboveWidth(value: bigint, widthBits: number): boolean {
  return pageAddress(value) >> BigInt(widthBits) !== 0n;
}

export const U64 = (1n << 64n) - 1n;

export function hex(value: bigint | number): string {
  return `0x${value.toString(16)}`;
}
