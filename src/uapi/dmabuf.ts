// A dma-buf as the self-test exports it (IOMMU_TEST_OP_DMABUF_GET, spec §5.1): zeroed
// host pages behind an fd, which IOMMU_IOAS_MAP_FILE imports. The exporter may revoke
// it (DMABUF_REVOKE): every import is told at once and stops being mapped for good,
// and while revoked nobody can import it (ENODEV); making it valid again only helps
// new imports. The buffer lives while its fd or an import holds it.
import { EBADF, EFAULT, EINVAL, ENODEV, ENOMEM } from '../iommu/errno.js';
import type { FramePool } from './frame-pool.js';
import type { PinnableMemory } from './pinnable.js';
import { fail, ok, type Result } from '../iommu/result.js';

const PAGE = 4096;
/** OPEN_FMODE: bit 0 = readable, bit 1 = writable (O_RDONLY 0, O_WRONLY 1, O_RDWR 2). */
const FMODE_READ = 1;
const FMODE_WRITE = 2;

export class DmaBuf {
  private revokedNow = false;
  /** The fd plus one per import. */
  private holders = 1;
  private readonly imports = new Set<DmaBufImport>();

  private constructor(
    readonly pool: FramePool,
    private readonly frames: readonly bigint[],
    /** Open flags of the fd; only the access mode matters here. */
    readonly openFlags: number,
  ) {}

  /** `bytes` (a multiple of the page size) of zeroed frames; ENOMEM frees what it took. */
  static create(pool: FramePool, bytes: number, openFlags: number): Result<DmaBuf> {
    const frames: bigint[] = [];
    for (let i = 0; i < bytes / PAGE; i++) {
      const frame = pool.alloc();
      if (frame === undefined) {
        for (const f of frames) pool.unref(f);
        return fail(ENOMEM);
      }
      frames.push(frame);
    }
    return ok(new DmaBuf(pool, frames, openFlags));
  }

  get size(): number {
    return this.frames.length * PAGE;
  }

  get revoked(): boolean {
    return this.revokedNow;
  }

  /** The frame behind page `index` of the buffer. */
  frameAt(index: number): bigint | undefined {
    return this.frames[index];
  }

  /** An importer attaches: ENODEV while revoked. */
  attach(): Result<DmaBufImport> {
    if (this.revokedNow) return fail(ENODEV);
    const imp = new DmaBufImport(this);
    this.imports.add(imp);
    this.holders++;
    return ok(imp);
  }

  /** Revoking notifies every import (each only the first time); un-revoking notifies nobody. */
  setRevoked(revoked: boolean): void {
    this.revokedNow = revoked;
    if (revoked) for (const imp of [...this.imports]) imp.invalidate();
  }

  detach(imp: DmaBufImport): void {
    if (this.imports.delete(imp)) this.put();
  }

  /**
   * read(2)/write(2) on the fd: the file has no such operations (EINVAL), unless its
   * access mode already forbids the direction (EBADF, checked first by the VFS).
   */
  ioErrno(write: boolean): number {
    const fmode = (this.openFlags + 1) & 3;
    return (fmode & (write ? FMODE_WRITE : FMODE_READ)) === 0 ? EBADF : EINVAL;
  }

  /** The fd is closed (or the last import went): the frames go with the last holder. */
  put(): void {
    if (--this.holders > 0) return;
    for (const f of this.frames) this.pool.unref(f);
  }
}

/** One IOAS_MAP_FILE of a dma-buf: the pages an IOAS pins and maps, until revoked. */
export class DmaBufImport implements PinnableMemory {
  private revokedNow = false;
  private readonly listeners: (() => void)[] = [];

  constructor(private readonly buf: DmaBuf) {}

  get pool(): FramePool {
    return this.buf.pool;
  }

  get revoked(): boolean {
    return this.revokedNow;
  }

  pinFrame(pageNumber: bigint): Result<bigint> {
    const frame = pageNumber >= 0n && pageNumber < BigInt(this.buf.size / PAGE) ? this.buf.frameAt(Number(pageNumber)) : undefined;
    if (frame === undefined) return fail(EFAULT);
    if (!this.pool.mayPin()) return fail(ENOMEM);
    this.pool.pin(frame);
    return ok(frame);
  }

  onRevoke(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** The exporter revoked the buffer: this import stays revoked, whatever happens next. */
  invalidate(): void {
    if (this.revokedNow) return;
    this.revokedNow = true;
    for (const l of this.listeners) l();
  }

  detach(): void {
    this.buf.detach(this);
  }
}
