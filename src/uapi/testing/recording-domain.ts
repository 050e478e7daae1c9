// A plain paging domain for tests: a map from IO page to (PA, prot), strict about the
// contract in ../ioas/domain.ts (aligned, inside the aperture, never over an existing
// mapping) so a test notices when the IOAS breaks it. `failMapAfter` injects ENOMEM to
// exercise the IOAS's undo paths.
import { EEXIST, EINVAL, ENOMEM } from '../../iommu/errno.js';
import type { DomainProt, IoPagingDomain } from '../../iommu/paging-domain.js';
import { U64_MAX } from '../limits.js';

export interface RecordingDomainOptions {
  pageSize?: bigint;
  aperture?: { start: bigint; last: bigint };
}

export interface DomainEntry {
  readonly pa: bigint;
  readonly prot: DomainProt;
}

export class RecordingDomain implements IoPagingDomain {
  readonly pageSize: bigint;
  readonly aperture: { readonly start: bigint; readonly last: bigint };
  /** Successful map calls left before map starts failing with -ENOMEM (undefined: never). */
  failMapAfter: number | undefined;
  private readonly entries = new Map<bigint, DomainEntry>();

  constructor(options: RecordingDomainOptions = {}) {
    this.pageSize = options.pageSize ?? 4096n;
    this.aperture = options.aperture ?? { start: 0n, last: U64_MAX };
  }

  map(iova: bigint, pa: bigint, bytes: bigint, prot: DomainProt): number {
    if (this.failMapAfter !== undefined) {
      if (this.failMapAfter === 0) return -ENOMEM;
      this.failMapAfter--;
    }
    const ps = this.pageSize;
    if (bytes <= 0n || iova % ps !== 0n || pa % ps !== 0n || bytes % ps !== 0n) return -EINVAL;
    if (iova < this.aperture.start || iova + bytes - 1n > this.aperture.last) return -EINVAL;
    for (let off = 0n; off < bytes; off += ps) if (this.entries.has((iova + off) / ps)) return -EEXIST;
    for (let off = 0n; off < bytes; off += ps) this.entries.set((iova + off) / ps, { pa: pa + off, prot });
    return 0;
  }

  unmap(iova: bigint, bytes: bigint): bigint {
    const ps = this.pageSize;
    let removed = 0n;
    for (let off = 0n; off < bytes; off += ps) if (this.entries.delete((iova + off) / ps)) removed += ps;
    return removed;
  }

  /** The physical address and rights a device access to `iova` gets, if mapped. */
  translate(iova: bigint): DomainEntry | undefined {
    const e = this.entries.get(iova / this.pageSize);
    return e && { pa: e.pa + (iova % this.pageSize), prot: e.prot };
  }

  /** Every mapped IO page: iova -> entry (invariant checks). */
  mappings(): Map<bigint, DomainEntry> {
    const out = new Map<bigint, DomainEntry>();
    for (const [page, e] of this.entries) out.set(page * this.pageSize, e);
    return out;
  }

  get mappedBytes(): bigint {
    return BigInt(this.entries.size) * this.pageSize;
  }
}
