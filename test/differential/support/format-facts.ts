// What the tests need to know of each format beyond what the oracle walks: how its
// input range is shaped, where a leaf's permission, presence and A/D bits sit for
// edits, how an output address is written into an entry, and which permission sets
// a leaf can encode. A Record over FormatName: a format added to FORMATS without its
// facts fails to typecheck here.
import { Perm, type FormatName } from '../../../src/engine/types.js';

export interface FormatFacts {
  /** Inputs are sign-extended from their top bit (both halves valid), not zero-extended. */
  signExtended: boolean;
  /** Leaf bits the edits toggle or clear. */
  bits: { w: bigint; rOrU: bigint; x: bigint; present: bigint; ad: bigint };
  /** The entry bits that hold output address bits 51:12 (or the format's PPN field). */
  addressField: bigint;
  /** The entry bits for an output address `pa`. */
  encodeAddress(pa: bigint): bigint;
  /** A present table entry pointing at `pa` (granting everything). */
  encodeTable(pa: bigint): bigint;
  /** The nearest permission set a leaf can encode. */
  mappable(perms: number): number;
}

const ADDRESS = ((1n << 52n) - 1n) & ~0xfffn;

export const FORMAT_FACTS: Record<FormatName, FormatFacts> = {
  'x86-64': {
    signExtended: true,
    bits: { w: 1n << 1n, rOrU: 1n << 2n, x: 1n << 63n, present: 1n, ad: 0x60n },
    addressField: ADDRESS,
    encodeAddress: (pa) => pa & ADDRESS,
    encodeTable: (pa) => pa | 0b111n,
    mappable: (p) => Perm.R | (p & (Perm.W | Perm.X | Perm.U)),
  },
  'vtd-ss': {
    signExtended: false,
    bits: { w: 1n << 1n, rOrU: 1n, x: 1n << 2n, present: 0b11n, ad: 0x300n },
    addressField: ADDRESS,
    encodeAddress: (pa) => pa & ADDRESS,
    encodeTable: (pa) => pa | 0b111n,
    mappable: (p) => {
      const rwx = p & (Perm.R | Perm.W | Perm.X);
      return rwx & (Perm.R | Perm.W) ? rwx : rwx | Perm.R;
    },
  },
  'riscv-sv': {
    signExtended: true,
    // U, not R, is what the "r-or-u" edit toggles: an R-only leaf without R is a
    // pointer to a table the space does not own, which the builder then refuses.
    bits: { w: 1n << 2n, rOrU: 1n << 4n, x: 1n << 3n, present: 1n, ad: 0xc0n },
    addressField: ((1n << 54n) - 1n) & ~0x3ffn,
    encodeAddress: (pa) => (pa >> 12n) << 10n,
    encodeTable: (pa) => ((pa >> 12n) << 10n) | 1n,
    mappable: (p) => Perm.R | (p & (Perm.W | Perm.X | Perm.U)),
  },
};
