// What the host driver writes for the unit to read (iommu-hw-formats.md §2.1, §2.2,
// §2.7): scalable-mode context entries, second-stage PASID-table entries, and the
// queued-invalidation descriptors it submits. The decoders the unit uses live in
// root-context.ts, pasid.ts and descriptors.ts; these are their inverses for the few
// shapes a host driver needs.
import { place } from '../../hw/common/bits.js';
import { Pgtt } from '../../hw/vtd/pasid.js';

/** PASID-directory size the host uses: 2^(PDTS+7) entries; 2 = 512 entries, one 4 KiB page. */
export const HOST_PDTS = 2;
/** PASIDs that one-page directory reaches: 512 directory entries x 64 PASID entries. */
export const HOST_PASID_BITS = 15;
/** Second-stage AW 2 = 4 levels (48-bit input), in SAGAW and the width Linux uses. */
export const HOST_SS_AW = 2;

/** Scalable-mode context entry (4 words): present, PASID enable, PRE as asked, RID_PASID. */
export function scalableContextEntry(o: { pasidDir: bigint; pageRequests: boolean; ridPasid: number }): bigint[] {
  const q0 = 1n | (1n << 3n) | (o.pageRequests ? 1n << 4n : 0n) | place(HOST_PDTS, 11, 9) | o.pasidDir;
  return [q0, place(o.ridPasid, 19, 0), 0n, 0n];
}

/** Second-stage-only PASID-table entry (PGTT 010, 8 words) for a host paging domain. */
export function secondStagePasidEntry(o: { did: number; root: bigint; ssade: boolean }): bigint[] {
  const q0 = 1n | place(HOST_SS_AW, 4, 2) | place(Pgtt.SECOND_STAGE, 8, 6) | (o.ssade ? 1n << 9n : 0n) | o.root;
  return [q0, BigInt(o.did), 0n, 0n, 0n, 0n, 0n, 0n];
}

/** Descriptors as 128-bit pairs; the host queue pads them to 256 bits. */
export const HostDescriptor = {
  contextDevice: (did: number, sid: number): bigint[] => [0x1n | place(3, 5, 4) | place(did, 31, 16) | place(sid, 47, 32), 0n],
  iotlbDomain: (did: number): bigint[] => [0x2n | place(2, 5, 4) | place(did, 31, 16), 0n],
  iotlbPages: (did: number, addr: bigint, am: number, ih: boolean): bigint[] =>
    [0x2n | place(3, 5, 4) | place(did, 31, 16), addr | BigInt(am) | (ih ? 1n << 6n : 0n)],
  pasidAll: (did: number, pasid: number): bigint[] => [0x6n | place(2, 5, 4) | place(did, 31, 16) | place(pasid, 51, 32), 0n],
  pasidPages: (did: number, pasid: number, addr: bigint, am: number, ih: boolean): bigint[] =>
    [0x6n | place(3, 5, 4) | place(did, 31, 16) | place(pasid, 51, 32), addr | BigInt(am) | (ih ? 1n << 6n : 0n)],
  pasidCache: (did: number, pasid: number): bigint[] => [0x7n | place(1, 5, 4) | place(did, 31, 16) | place(pasid, 51, 32), 0n],
  pageGroupResponse: (rid: number, pasid: number | undefined, groupIndex: number, code: number): bigint[] =>
    [0x9n | (pasid !== undefined ? (1n << 4n) | place(pasid, 51, 32) : 0n) | place(code, 15, 12) | place(rid, 31, 16),
      (1n << 2n) | place(groupIndex, 11, 3)],
  wait: (statusAddr: bigint, data: number): bigint[] => [0x5n | (1n << 5n) | place(data, 63, 32), statusAddr],
};

const PAGE = 4096n;

/**
 * [addr, addr+bytes) as naturally aligned power-of-two page blocks (address mask AM ≤
 * `maxAm`), the only shape a page-selective descriptor can name; undefined when more
 * than `limit` descriptors would be needed (the caller then invalidates wholesale).
 */
export function pageBlocks(addr: bigint, bytes: bigint, maxAm: number, limit = 64): { addr: bigint; am: number }[] | undefined {
  const out: { addr: bigint; am: number }[] = [];
  let page = addr / PAGE;
  const end = (addr + bytes + PAGE - 1n) / PAGE;
  while (page < end) {
    let am = 0;
    while (am < maxAm && page % (2n << BigInt(am)) === 0n && page + (2n << BigInt(am)) <= end) am++;
    out.push({ addr: page * PAGE, am });
    if (out.length > limit) return undefined;
    page += 1n << BigInt(am);
  }
  return out;
}
