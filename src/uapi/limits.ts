// Machine constants of the simulated process: a 64-bit Linux with 4 KiB pages and
// transparent huge pages, which is what the self-test expectations assume.

export const PAGE_SIZE = 4096n;
export const PAGE_SIZE_NUM = 4096;
export const PAGE_SHIFT = 12;
/** Transparent huge page size: the cap on automatic IOVA alignment. */
export const HPAGE_SIZE = 2n * 1024n * 1024n;

export const U32_MAX = 0xffff_ffff;
export const U64_MAX = (1n << 64n) - 1n;
/** unsigned long and size_t are 64-bit. */
export const ULONG_MAX = U64_MAX;
export const SIZE_MAX = U64_MAX;

/** True when a + b does not fit in a u64 (the kernel's check_add_overflow on unsigned long). */
export function addOverflowsU64(a: bigint, b: bigint): boolean {
  return a + b > U64_MAX;
}
