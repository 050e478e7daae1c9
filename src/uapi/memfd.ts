// A memfd-like file: a sized, sparse byte store backed by frames, the kind of file
// IOMMU_IOAS_MAP_FILE accepts and mmap maps. Truncation drops the file's own
// references; frames an IOAS pinned stay alive (and keep their bytes) until unpinned.
// The file itself lives while its fd or a mapping of it holds it.
import { EFAULT, EINVAL, ENOMEM } from '../iommu/errno.js';
import type { FramePool } from './frame-pool.js';
import type { PinnableMemory } from './pinnable.js';
import { fail, ok, type Result } from '../iommu/result.js';

const PAGE = 4096;

export class MemFile implements PinnableMemory {
  private readonly pages = new Map<number, bigint>();
  private bytes: number;
  /** File position used by read/write through the System. */
  position = 0;
  /** The fd that created it plus one per mapping. */
  private holders = 1;

  constructor(
    readonly pool: FramePool,
    size: number,
  ) {
    if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`memfd: bad size ${size}`);
    this.bytes = size;
  }

  get size(): number {
    return this.bytes;
  }

  truncate(size: number): number {
    if (!Number.isSafeInteger(size) || size < 0) return -EINVAL;
    const keepPages = Math.ceil(size / PAGE);
    for (const [page, frame] of this.pages) {
      if (page >= keepPages) {
        this.pool.unref(frame);
        this.pages.delete(page);
      }
    }
    // The tail of a partially kept page must read as zeros if the file grows again.
    if (size % PAGE !== 0) {
      const frame = this.pages.get(Math.floor(size / PAGE));
      if (frame !== undefined) {
        const inPage = size % PAGE;
        this.pool.store.write(frame + BigInt(inPage), new Uint8Array(PAGE - inPage));
      }
    }
    this.bytes = size;
    return 0;
  }

  /** Reads up to `len` bytes at `offset`; short at end of file (like pread). */
  pread(offset: number, len: number): Uint8Array {
    const end = Math.min(this.bytes, offset + len);
    if (end <= offset) return new Uint8Array(0);
    const out = new Uint8Array(end - offset);
    for (let at = offset; at < end; ) {
      const page = Math.floor(at / PAGE);
      const inPage = at % PAGE;
      const n = Math.min(PAGE - inPage, end - at);
      const frame = this.pages.get(page);
      if (frame !== undefined) out.set(this.pool.store.read(frame + BigInt(inPage), n), at - offset);
      at += n;
    }
    return out;
  }

  /** Writes `data` at `offset`, growing the file; ENOMEM when frames run out. */
  pwrite(offset: number, data: Uint8Array): Result<number> {
    for (let done = 0; done < data.length; ) {
      const at = offset + done;
      const frame = this.backPage(Math.floor(at / PAGE));
      if (frame === undefined) return done > 0 ? ok(done) : fail(ENOMEM);
      const inPage = at % PAGE;
      const n = Math.min(PAGE - inPage, data.length - done);
      this.pool.store.write(frame + BigInt(inPage), data.subarray(done, done + n));
      done += n;
      this.bytes = Math.max(this.bytes, at + n);
    }
    return ok(data.length);
  }

  pinFrame(pageNumber: bigint): Result<bigint> {
    if (pageNumber < 0n || !this.hasPage(Number(pageNumber))) return fail(EFAULT);
    const frame = this.backPage(Number(pageNumber));
    if (frame === undefined || !this.pool.mayPin()) return fail(ENOMEM);
    this.pool.pin(frame);
    return ok(frame);
  }

  /** Whether page `index` lies (at least partly) inside the file: beyond it a mapping faults. */
  hasPage(index: number): boolean {
    return index * PAGE < this.bytes;
  }

  /** The frame behind page `index`, undefined for a hole (reads as zeros). */
  frameAt(index: number): bigint | undefined {
    return this.pages.get(index);
  }

  /** A mapping holds the file. */
  get(): void {
    this.holders++;
  }

  /** The fd is closed or a mapping went away; the last holder drops every page. */
  put(): void {
    if (--this.holders === 0) this.release();
  }

  /** Drops every page reference. */
  release(): void {
    this.truncate(0);
  }

  /** The frame behind page `index`, backed now if it was a hole; undefined when frames run out. */
  backPage(page: number): bigint | undefined {
    const existing = this.pages.get(page);
    if (existing !== undefined) return existing;
    const frame = this.pool.alloc();
    if (frame === undefined) return undefined;
    this.pages.set(page, frame);
    return frame;
  }
}

/**
 * What IOMMU_IOAS_MAP_FILE pins from when the fd is not a dma-buf: the open file, kept
 * open (the kernel takes a file reference) until the last area over it goes. Only memfd
 * pages can be pinned; a pin of any other file, or of a page starting at or past the
 * memfd's end, is EINVAL, the answer of the kernel's memfd folio pinning. Pins happen
 * only once a domain or an in-kernel access needs the pages.
 */
export class FilePinSource implements PinnableMemory {
  private held: boolean;

  constructor(
    readonly pool: FramePool,
    /** The memfd; undefined for any other kind of open file. */
    private readonly file: MemFile | undefined,
  ) {
    this.held = file !== undefined;
    file?.get();
  }

  pinFrame(pageNumber: bigint): Result<bigint> {
    if (this.file === undefined || pageNumber < 0n || !this.file.hasPage(Number(pageNumber))) return fail(EINVAL);
    return this.file.pinFrame(pageNumber);
  }

  /** No area uses the file any more. */
  detach(): void {
    if (!this.held) return;
    this.held = false;
    this.file?.put();
  }
}
