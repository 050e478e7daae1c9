// The simulated process address space. Allocations are page-granular regions (think
// mmap) separated by an unmapped guard page so overruns fault; pages are backed by
// frames lazily, on first write or pin. A page that is mapped but never written reads
// as zeros without being backed, like the kernel's shared zero page.
//
// Every access returns a Result: an unmapped address is EFAULT, never an exception,
// because user pointers in ioctl structs are untrusted input.
import { EFAULT, EINVAL, ENOMEM } from './errno.js';
import type { FramePool } from './frame-pool.js';
import type { PinnableMemory } from './pinnable.js';
import { fail, ok, OK_VOID, type Result } from './result.js';

const PAGE = 4096;

export interface UserMemoryOptions {
  /** Nothing is ever mapped below this (Linux mmap_min_addr): NULL and small offsets fault. */
  minAddress?: number;
  /** First address handed out by alloc. */
  firstAllocation?: number;
  /** End of the user address space (x86-64: 2^47). */
  topAddress?: number;
}

/** A user address: a number, or a u64 taken from a struct field. */
export type UserAddress = number | bigint;

export class UserMemory implements PinnableMemory {
  /** page number -> backing frame, or null while mapped but untouched. */
  private readonly pages = new Map<number, bigint | null>();
  private readonly regions = new Map<number, number>();
  private next: number;
  readonly minAddress: number;
  readonly topAddress: number;

  constructor(
    readonly pool: FramePool,
    options: UserMemoryOptions = {},
  ) {
    this.minAddress = options.minAddress ?? 0x10000;
    this.topAddress = options.topAddress ?? 2 ** 47;
    this.next = Math.max(options.firstAllocation ?? 0x40_0000, this.minAddress);
  }

  /**
   * Maps `bytes` (rounded up to pages) at an address aligned to `align` (a power of two,
   * at least a page) and returns it. Throws RangeError on misuse or when the address
   * space is exhausted: this is the test harness's mmap, not an ioctl path.
   */
  alloc(bytes: number, align: number = PAGE): number {
    if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new RangeError(`alloc: bad size ${bytes}`);
    if (!Number.isSafeInteger(align) || align < PAGE || !Number.isInteger(Math.log2(align))) {
      throw new RangeError(`alloc: bad alignment ${align}`);
    }
    const length = roundUp(bytes, PAGE);
    const start = roundUp(this.next, align);
    if (start + length > this.topAddress) throw new RangeError('alloc: user address space exhausted');
    for (let p = start / PAGE; p < (start + length) / PAGE; p++) this.pages.set(p, null);
    this.regions.set(start, length);
    this.next = start + length + PAGE; // guard page
    return start;
  }

  /**
   * Unmaps [addr, addr+bytes) (default: the whole region alloc returned at addr).
   * Pinned frames survive until unpinned. Returns 0 or -EINVAL, like munmap.
   */
  free(addr: number, bytes?: number): number {
    if (!Number.isSafeInteger(addr) || addr % PAGE !== 0) return -EINVAL;
    const length = bytes ?? this.regions.get(addr);
    if (length === undefined || !Number.isSafeInteger(length) || length <= 0) return -EINVAL;
    const end = addr + roundUp(length, PAGE);
    for (let p = addr / PAGE; p < end / PAGE; p++) {
      const frame = this.pages.get(p);
      if (frame !== undefined && frame !== null) this.pool.unref(frame);
      this.pages.delete(p);
    }
    if (bytes === undefined || this.regions.get(addr) === length) this.regions.delete(addr);
    return 0;
  }

  isMapped(addr: UserAddress, len: number): boolean {
    const range = this.pageRange(addr, len);
    if (!range) return false;
    for (let p = range.first; p <= range.last; p++) if (!this.pages.has(p)) return false;
    return true;
  }

  /** The page-sized pieces of [start, start+len): page number, offset in it, length, bytes before it. */
  private *pieces(start: number, len: number): Generator<{ page: number; inPage: number; n: number; done: number }> {
    let done = 0;
    let at = start;
    while (done < len) {
      const inPage = at % PAGE;
      const n = Math.min(PAGE - inPage, len - done);
      yield { page: Math.floor(at / PAGE), inPage, n, done };
      done += n;
      at += n;
    }
  }

  read(addr: UserAddress, len: number): Result<Uint8Array> {
    if (len === 0) return ok(new Uint8Array(0));
    const range = this.pageRange(addr, len);
    if (!range) return fail(EFAULT);
    const out = new Uint8Array(len);
    for (const { page, inPage, n, done } of this.pieces(range.start, len)) {
      const frame = this.pages.get(page);
      if (frame === undefined) return fail(EFAULT);
      if (frame !== null) out.set(this.pool.store.read(frame + BigInt(inPage), n), done);
    }
    return ok(out);
  }

  write(addr: UserAddress, data: Uint8Array): Result<void> {
    if (data.length === 0) return OK_VOID;
    const range = this.pageRange(addr, data.length);
    if (!range) return fail(EFAULT);
    // Check the whole range first so a fault never leaves a half-written buffer.
    for (let p = range.first; p <= range.last; p++) if (!this.pages.has(p)) return fail(EFAULT);
    for (const { page, inPage, n, done } of this.pieces(range.start, data.length)) {
      const frame = this.backPage(page);
      if (frame === undefined) return fail(ENOMEM);
      this.pool.store.write(frame + BigInt(inPage), data.subarray(done, done + n));
    }
    return OK_VOID;
  }

  /** True when every byte is zero; skips untouched pages without reading them. */
  isZero(addr: UserAddress, len: number): Result<boolean> {
    if (len === 0) return ok(true);
    const range = this.pageRange(addr, len);
    if (!range) return fail(EFAULT);
    let zero = true;
    for (const { page, inPage, n } of this.pieces(range.start, len)) {
      const frame = this.pages.get(page);
      if (frame === undefined) return fail(EFAULT);
      if (zero && frame !== null && this.pool.store.read(frame + BigInt(inPage), n).some((b) => b !== 0)) zero = false;
    }
    return ok(zero);
  }

  readU32(addr: UserAddress): Result<number> {
    const r = this.read(addr, 4);
    return r.ok ? ok(new DataView(r.value.buffer).getUint32(0, true)) : r;
  }

  readU64(addr: UserAddress): Result<bigint> {
    const r = this.read(addr, 8);
    return r.ok ? ok(new DataView(r.value.buffer).getBigUint64(0, true)) : r;
  }

  writeU32(addr: UserAddress, value: number): Result<void> {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, value >>> 0, true);
    return this.write(addr, b);
  }

  writeU64(addr: UserAddress, value: bigint): Result<void> {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, value), true);
    return this.write(addr, b);
  }

  pinFrame(pageNumber: bigint): Result<bigint> {
    if (pageNumber < 0n || pageNumber >= BigInt(Math.floor(this.topAddress / PAGE))) return fail(EFAULT);
    const page = Number(pageNumber);
    if (!this.pages.has(page)) return fail(EFAULT);
    const frame = this.backPage(page);
    if (frame === undefined || !this.pool.mayPin()) return fail(ENOMEM);
    this.pool.pin(frame);
    return ok(frame);
  }

  /** The frame behind `addr`, if the page is mapped and backed (tests and DMA checks). */
  frameOf(addr: UserAddress): bigint | undefined {
    const range = this.pageRange(addr, 1);
    if (!range) return undefined;
    return this.pages.get(range.first) ?? undefined;
  }

  /** Number of mapped pages (backed or not). */
  get mappedPages(): number {
    return this.pages.size;
  }

  private backPage(page: number): bigint | undefined {
    const existing = this.pages.get(page);
    if (existing !== null && existing !== undefined) return existing;
    const frame = this.pool.alloc();
    if (frame === undefined) return undefined;
    this.pages.set(page, frame);
    return frame;
  }

  /** Validates [addr, addr+len) lies inside the user address space; undefined -> EFAULT. */
  private pageRange(addr: UserAddress, len: number): { start: number; first: number; last: number } | undefined {
    if (!Number.isSafeInteger(len) || len <= 0) return undefined;
    let start: number;
    if (typeof addr === 'bigint') {
      if (addr < 0n || addr >= BigInt(this.topAddress)) return undefined;
      start = Number(addr);
    } else {
      if (!Number.isSafeInteger(addr)) return undefined;
      start = addr;
    }
    if (start < this.minAddress || start + len > this.topAddress) return undefined;
    return { start, first: Math.floor(start / PAGE), last: Math.floor((start + len - 1) / PAGE) };
  }
}

function roundUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}
