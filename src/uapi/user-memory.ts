// The simulated process address space. Allocations are page-granular regions (think
// mmap) separated by an unmapped guard page so overruns fault. Anonymous pages are
// backed by frames lazily, on first write or pin; a page that is mapped but never
// written reads as zeros without being backed, like the kernel's shared zero page.
// What is mapped is kept as ranges of pages (spans); a page has an entry of its own
// only once it is backed or when it maps something else, so mapping, checking and
// unmapping cost what is touched, not the length (a 64 GiB region is one span).
// Pages can also map a file (shared, or private with copy-on-write) or driver memory
// (./mapped-pages.ts), and carry a protection (./mman.ts).
//
// Every access returns a Result: an unmapped address is EFAULT, never an exception,
// because user pointers in ioctl structs are untrusted input.
import { EFAULT, EINVAL, ENOMEM } from '../iommu/errno.js';
import type { FramePool } from './frame-pool.js';
import type { FilePage, MappedPage } from './mapped-pages.js';
import { cpuMayRead, cpuMayWrite, pinAllowed, PROT_MASK, PROT_NONE, PROT_RW } from './mman.js';
import type { PinnableMemory } from './pinnable.js';
import { fail, ok, OK_VOID, type Result } from '../iommu/result.js';
import type { UserAccess, UserAddress } from '../iommu/user-copy.js';

const PAGE = 4096;

/**
 * The most one read, write or copy moves (Linux MAX_RW_COUNT, INT_MAX & PAGE_MASK):
 * read(2)/write(2) clamp their count to it, and `read` refuses a longer copy (ENOMEM,
 * as kvmalloc of that size would) instead of allocating it.
 */
export const MAX_RW_COUNT = 0x7fff_f000;

export interface UserMemoryOptions {
  /** Nothing is ever mapped below this (Linux mmap_min_addr): NULL and small offsets fault. */
  minAddress?: number;
  /** First address handed out by alloc. */
  firstAllocation?: number;
  /** End of the user address space (x86-64: 2^47). */
  topAddress?: number;
}

export type { UserAddress };

/** An anonymous page's frame (null while untouched), or a page of some other mapping. */
type PageEntry = bigint | null | MappedPage;

/** Mapped pages [first, end) with one protection; `anon` pages have an entry only once backed. */
interface Span {
  readonly first: number;
  readonly end: number;
  readonly prot: number;
  readonly anon: boolean;
}

export class UserMemory implements PinnableMemory, UserAccess {
  /** Backed anonymous pages (their frame) and pages of other mappings; untouched anonymous pages have none. */
  private readonly pages = new Map<number, bigint | MappedPage>();
  /** Every mapped page, as disjoint spans sorted by first page. */
  private spans: Span[] = [];
  private entriesMade = 0;
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
   * Maps `bytes` (rounded up to pages) of read-write anonymous memory at an address
   * aligned to `align` (a power of two, at least a page) and returns it. Throws
   * RangeError on misuse or when the address space is exhausted: this is the test
   * harness's mmap, not an ioctl path.
   */
  alloc(bytes: number, align: number = PAGE): number {
    if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new RangeError(`alloc: bad size ${bytes}`);
    if (!Number.isSafeInteger(align) || align < PAGE || !Number.isInteger(Math.log2(align))) {
      throw new RangeError(`alloc: bad alignment ${align}`);
    }
    const start = this.map(bytes, PROT_RW, undefined, align);
    if (start === undefined) throw new RangeError('alloc: user address space exhausted');
    return start;
  }

  /**
   * Maps `bytes` (rounded up to pages) with protection `prot`: anonymous memory, or,
   * with `entry`, page i maps `entry(i)` (a file or driver page). Returns the address,
   * or undefined when the address space is full. Anonymous memory costs one span
   * whatever its length.
   */
  map(bytes: number, prot: number, entry?: (page: number) => MappedPage, align: number = PAGE): number | undefined {
    if (!Number.isSafeInteger(bytes) || bytes <= 0) return undefined;
    const length = roundUp(bytes, PAGE);
    const start = roundUp(this.next, align);
    if (start + length > this.topAddress) return undefined;
    prot &= PROT_MASK;
    if (entry) {
      for (let i = 0; i < length / PAGE; i++) {
        const e = entry(i);
        e.mapping.add();
        this.pages.set(start / PAGE + i, e);
        this.entriesMade++;
      }
    }
    // Addresses only grow, so the new span goes last.
    this.spans.push({ first: start / PAGE, end: (start + length) / PAGE, prot, anon: !entry });
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
    if (end > this.topAddress) return -EINVAL;
    const first = addr / PAGE;
    const last = end / PAGE - 1;
    for (const p of this.entriesIn(first, last)) {
      const e = this.pages.get(p)!;
      this.pages.delete(p);
      if (typeof e === 'bigint') this.pool.unref(e);
      else {
        if (e.kind === 'file' && e.copy !== undefined) this.pool.unref(e.copy);
        e.mapping.drop();
      }
    }
    const kept: Span[] = [];
    for (const s of this.spans) {
      if (s.end <= first || s.first > last) kept.push(s);
      else {
        if (s.first < first) kept.push({ ...s, end: first });
        if (s.end > last + 1) kept.push({ ...s, first: last + 1 });
      }
    }
    this.spans = kept;
    if (bytes === undefined || this.regions.get(addr) === length) this.regions.delete(addr);
    return 0;
  }

  isMapped(addr: UserAddress, len: number): boolean {
    const range = this.pageRange(addr, len);
    return range !== undefined && this.spansOver(range.first, range.last) !== undefined;
  }

  /** The spans covering pages [first, last] without a hole, in order; undefined if a page is unmapped. */
  private spansOver(first: number, last: number): Span[] | undefined {
    const out: Span[] = [];
    let i = this.spanIndex(first);
    if (i < 0) return undefined;
    for (let at = first; ; i++) {
      const s = this.spans[i];
      if (!s || s.first > at) return undefined;
      out.push(s);
      if (s.end > last) return out;
      at = s.end;
    }
  }

  /** Index of the span holding `page`, or -1. */
  private spanIndex(page: number): number {
    let lo = 0;
    let hi = this.spans.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = this.spans[mid];
      if (page < s.first) hi = mid - 1;
      else if (page >= s.end) lo = mid + 1;
      else return mid;
    }
    return -1;
  }

  private spanOf(page: number): Span | undefined {
    const i = this.spanIndex(page);
    return i < 0 ? undefined : this.spans[i];
  }

  /** Pages in [first, last] that have an entry, ascending: by range or by entry, whichever is fewer. */
  private entriesIn(first: number, last: number): number[] {
    if (last - first + 1 <= this.pages.size) {
      const out: number[] = [];
      for (let p = first; p <= last; p++) if (this.pages.has(p)) out.push(p);
      return out;
    }
    return [...this.pages.keys()].filter((p) => p >= first && p <= last).sort((a, b) => a - b);
  }

  /**
   * Whether every page of [first, last] passes `ok`: whole anonymous spans are judged by
   * their protection (and their backed pages), other spans page by page.
   */
  private everyPage(first: number, last: number, protOk: (prot: number) => boolean, ok: (page: number) => boolean): boolean {
    const spans = this.spansOver(first, last);
    if (!spans) return false;
    for (const s of spans) {
      if (!protOk(s.prot)) return false;
      const from = Math.max(first, s.first);
      const to = Math.min(last, s.end - 1);
      const pages = s.anon ? this.entriesIn(from, to) : null;
      if (pages) {
        for (const p of pages) if (!ok(p)) return false;
      } else {
        for (let p = from; p <= to; p++) if (!ok(p)) return false;
      }
    }
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

  /** True when every byte of [addr, addr+len) may be read by the CPU (nothing is allocated). */
  canRead(addr: UserAddress, len: number): boolean {
    if (len === 0) return true;
    const range = this.pageRange(addr, len);
    if (!range) return false;
    return this.everyPage(range.first, range.last, cpuMayRead, (p) => this.readFrame(p) !== undefined);
  }

  /** True when every byte of [addr, addr+len) may be written by the CPU (nothing is allocated). */
  canWrite(addr: UserAddress, len: number): boolean {
    if (len === 0) return true;
    const range = this.pageRange(addr, len);
    if (!range) return false;
    return this.everyPage(range.first, range.last, cpuMayWrite, (p) => this.mayWrite(p));
  }

  /**
   * Copies [addr, addr+len) out. The whole range is checked before anything is
   * allocated: a hole is EFAULT whatever the length, and a mapped range longer than
   * MAX_RW_COUNT is ENOMEM. Callers with larger user lengths copy in pieces.
   */
  read(addr: UserAddress, len: number): Result<Uint8Array> {
    if (len === 0) return ok(new Uint8Array(0));
    const range = this.pageRange(addr, len);
    if (!range) return fail(EFAULT);
    if (!this.canRead(addr, len)) return fail(EFAULT);
    if (len > MAX_RW_COUNT) return fail(ENOMEM);
    const out = new Uint8Array(len);
    for (const { page, inPage, n, done } of this.pieces(range.start, len)) {
      const frame = this.readFrame(page);
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
    if (!this.canWrite(addr, data.length)) return fail(EFAULT);
    for (const { page, inPage, n, done } of this.pieces(range.start, data.length)) {
      const frame = this.writeFrame(page);
      if (!frame.ok) return frame;
      this.pool.store.write(frame.value + BigInt(inPage), data.subarray(done, done + n));
    }
    return OK_VOID;
  }

  /** True when every byte is zero; skips untouched pages without reading them. */
  isZero(addr: UserAddress, len: number): Result<boolean> {
    if (len === 0) return ok(true);
    const range = this.pageRange(addr, len);
    if (!range) return fail(EFAULT);
    if (!this.canRead(addr, len)) return fail(EFAULT);
    // Only pages with an entry can hold anything but zeros.
    const end = range.start + len;
    for (const page of this.entriesIn(range.first, range.last)) {
      const frame = this.readFrame(page);
      if (frame === undefined || frame === null) continue;
      const from = Math.max(range.start, page * PAGE);
      const to = Math.min(end, (page + 1) * PAGE);
      if (this.pool.store.read(frame + BigInt(from - page * PAGE), to - from).some((b) => b !== 0)) return ok(false);
    }
    return ok(true);
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

  /**
   * A long-term pin (get_user_pages with FOLL_LONGTERM). A private file page that is
   * still the file's is unshared first, even for reading: the pin then holds the page
   * the process keeps using, so a later CPU write cannot move the process to another
   * frame behind the device's back. Driver (PFN) pages cannot be pinned.
   */
  pinFrame(pageNumber: bigint, write: boolean): Result<bigint> {
    if (pageNumber < 0n || pageNumber >= BigInt(Math.floor(this.topAddress / PAGE))) return fail(EFAULT);
    const page = Number(pageNumber);
    const e = this.entryOf(page);
    if (e === undefined || !pinAllowed(this.protOf(page), write)) return fail(EFAULT);
    if (e !== null && typeof e === 'object') {
      if (e.kind === 'pfn') return fail(EFAULT);
      if (e.shared) return e.file.pinFrame(BigInt(e.index));
    }
    const frame = this.writeFrame(page);
    if (!frame.ok) return frame;
    if (!this.pool.mayPin()) return fail(ENOMEM);
    this.pool.pin(frame.value);
    return ok(frame.value);
  }

  /** The frame the process sees at `addr`, if the page is mapped and backed (tests and DMA checks). */
  frameOf(addr: UserAddress): bigint | undefined {
    const range = this.pageRange(addr, 1);
    if (!range) return undefined;
    return this.readFrame(range.first) ?? undefined;
  }

  /** Number of mapped pages (backed or not). */
  get mappedPages(): number {
    let n = 0;
    for (const s of this.spans) n += s.end - s.first;
    return n;
  }

  /**
   * Pages that have an entry of their own: backed anonymous pages and pages of file or
   * driver mappings. What a mapping costs in memory; untouched anonymous pages have none.
   */
  get pageEntries(): number {
    return this.pages.size;
  }

  /** Page entries made since creation (a deterministic measure of what mapping and touching cost). */
  get pageEntriesCreated(): number {
    return this.entriesMade;
  }

  private protOf(page: number): number {
    return this.spanOf(page)?.prot ?? PROT_NONE;
  }

  /** The page's entry: null for an untouched anonymous page, undefined when unmapped. */
  private entryOf(page: number): PageEntry | undefined {
    const e = this.pages.get(page);
    if (e !== undefined) return e;
    return this.spanOf(page) ? null : undefined;
  }

  /** The frame a CPU read of `page` sees: null reads zeros, undefined faults. */
  private readFrame(page: number): bigint | null | undefined {
    const e = this.entryOf(page);
    if (e === undefined || !cpuMayRead(this.protOf(page))) return undefined;
    if (e === null || typeof e === 'bigint') return e;
    if (e.kind === 'pfn') return e.frame;
    if (e.copy !== undefined) return e.copy;
    // Beyond the end of the file a mapping faults (SIGBUS on Linux).
    return e.file.hasPage(e.index) ? (e.file.frameAt(e.index) ?? null) : undefined;
  }

  private mayWrite(page: number): boolean {
    const e = this.entryOf(page);
    if (e === undefined || !cpuMayWrite(this.protOf(page))) return false;
    return e === null || typeof e === 'bigint' || e.kind === 'pfn' || e.copy !== undefined || e.file.hasPage(e.index);
  }

  /** The frame a CPU write of `page` goes to: backs an anonymous page, breaks copy-on-write. */
  private writeFrame(page: number): Result<bigint> {
    const e = this.entryOf(page);
    if (e === undefined) return fail(EFAULT);
    if (typeof e === 'bigint') return ok(e);
    if (e === null) {
      const frame = this.pool.alloc();
      if (frame === undefined) return fail(ENOMEM);
      this.pages.set(page, frame);
      this.entriesMade++;
      return ok(frame);
    }
    if (e.kind === 'pfn') return ok(e.frame);
    if (e.copy !== undefined) return ok(e.copy);
    if (!e.file.hasPage(e.index)) return fail(EFAULT);
    if (e.shared) {
      const frame = e.file.backPage(e.index);
      return frame === undefined ? fail(ENOMEM) : ok(frame);
    }
    return this.breakCow(e);
  }

  /** Gives a private file page its own frame, a copy of the file's page at this moment. */
  private breakCow(e: FilePage): Result<bigint> {
    const frame = this.pool.alloc();
    if (frame === undefined) return fail(ENOMEM);
    const source = e.file.frameAt(e.index);
    if (source !== undefined) this.pool.store.write(frame, this.pool.store.read(source, PAGE));
    e.copy = frame;
    return ok(frame);
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
