// The contract between an IOAS and the paging domains attached to it. The IOAS owns
// the truth (areas and their pinned frames); a domain is a mirror the IOAS keeps exact
// by calling map for every area that appears and unmap for every area that goes away,
// so a DMA translated by the domain always sees the frames the process wrote.
// Drivers provide the real implementations on engine spaces (the mock's is in
// src/driver/mock/paging-domain.ts); tests also use the plain one in
// ../testing/recording-domain.ts.

/** Access rights of a mapping, in the engine's Perm bits (R = 1, W = 2). */
export type DomainProt = number;

export interface IoPagingDomain {
  /**
   * Smallest IO page size in bytes (a power of two, at most PAGE_SIZE). The IOAS raises
   * its IOVA alignment to it, so every map call is aligned to it.
   */
  readonly pageSize: bigint;
  /** The IOVA window the domain can translate (inclusive); outside it is reserved in the IOAS. */
  readonly aperture: { readonly start: bigint; readonly last: bigint };
  /**
   * Maps [iova, iova+bytes) to [pa, pa+bytes). Never called over an existing mapping.
   * Returns 0, or -errno (e.g. -ENOMEM) after which the IOAS undoes the whole operation.
   */
  map(iova: bigint, pa: bigint, bytes: bigint, prot: DomainProt): number;
  /** Removes mappings in [iova, iova+bytes); returns the number of bytes unmapped. */
  unmap(iova: bigint, bytes: bigint): bigint;
}
