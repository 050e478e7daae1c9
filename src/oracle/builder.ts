// Writes page-table entries for tests and benchmark setup without the Wasm
// engine. It encodes what docs/formats.md decodes: table entries grant
// everything (so the leaf alone decides permissions) and A/D start clear.

import { Perm, type FormatName, type PhysMemory, type SpaceDescriptor } from '../engine/types.js';

/** Where new tables come from (BumpAllocator fits). */
export interface TableAllocator {
  next(): bigint;
}

interface EntryCodec {
  present(entry: bigint): boolean;
  /** A present entry at `level` (> 0) that maps a page rather than a table. */
  isLargeLeaf(entry: bigint): boolean;
  table(pa: bigint): bigint;
  /** The next table a table entry points at. */
  tableOf(entry: bigint): bigint;
  /** `hardwareAd`: the space's A/D update is on (RISC-V then leaves D clear; without it A and D are set). */
  leaf(pa: bigint, level: number, perms: number, hardwareAd: boolean): bigint;
}

const ADDRESS = ((1n << 52n) - 1n) & ~0xfffn;
const PS = 1n << 7n;

const codecs: Record<FormatName, EntryCodec> = {
  'x86-64': {
    present: (entry) => (entry & 1n) !== 0n,
    isLargeLeaf: (entry) => (entry & PS) !== 0n,
    // P | R/W | U/S, XD clear.
    table: (pa) => pa | 0b111n,
    tableOf: (entry) => entry & ADDRESS,
    leaf(pa, level, perms) {
      if ((perms & Perm.R) === 0) throw new Error('x86-64 cannot map a page without R');
      let entry = pa | 1n;
      if (perms & Perm.W) entry |= 1n << 1n;
      if (perms & Perm.U) entry |= 1n << 2n;
      if (!(perms & Perm.X)) entry |= 1n << 63n;
      if (level > 0) entry |= PS;
      return entry;
    },
  },
  'vtd-ss': {
    present: (entry) => (entry & 0b11n) !== 0n,
    isLargeLeaf: (entry) => (entry & PS) !== 0n,
    // R | W | X.
    table: (pa) => pa | 0b111n,
    tableOf: (entry) => entry & ADDRESS,
    leaf(pa, level, perms) {
      // U is not encodable: a second stage always grants it.
      if ((perms & (Perm.R | Perm.W)) === 0) throw new Error('vtd-ss cannot map a page without R or W');
      let entry = pa;
      if (perms & Perm.R) entry |= 1n << 0n;
      if (perms & Perm.W) entry |= 1n << 1n;
      if (perms & Perm.X) entry |= 1n << 2n;
      if (level > 0) entry |= PS;
      return entry;
    },
  },
  'riscv-sv': {
    present: (entry) => (entry & 1n) !== 0n,
    // R, W or X: a leaf at any level.
    isLargeLeaf: (entry) => (entry & 0b1110n) !== 0n,
    // V with PPN; no R/W/X: a pointer.
    table: (pa) => ((pa >> 12n) << 10n) | 1n,
    tableOf: (entry) => ((entry >> 10n) & ((1n << 44n) - 1n)) << 12n,
    leaf(pa, _level, perms, hardwareAd) {
      if ((perms & Perm.R) === 0 && ((perms & Perm.X) === 0 || (perms & Perm.W) !== 0)) throw new Error('riscv-sv needs R, or X without W, in a leaf');
      // V | A, and D on a writable leaf unless the hardware sets it (as Linux's driver writes them).
      let entry = ((pa >> 12n) << 10n) | 1n | (1n << 6n);
      if ((perms & Perm.W) !== 0 && !hardwareAd) entry |= 1n << 7n;
      if (perms & Perm.R) entry |= 1n << 1n;
      if (perms & Perm.W) entry |= 1n << 2n;
      if (perms & Perm.X) entry |= 1n << 3n;
      if (perms & Perm.U) entry |= 1n << 4n;
      return entry;
    },
  },
};

export class PageTableBuilder {
  constructor(
    private readonly mem: PhysMemory,
    private readonly tables: TableAllocator,
  ) {}

  /** A fresh, zeroed table (use it as a space's root). */
  newTable(): bigint {
    const table = this.tables.next();
    // Zeroing backs the frame, so walks that reach it see empty entries, not EXTERNAL.
    for (let offset = 0n; offset < 0x1000n; offset += 8n) this.mem.write64(table + offset, 0n);
    return table;
  }

  /**
   * Maps [iova, iova + 2^pageShift) to pa with `perms` (Perm bits), creating
   * missing tables. Overwrites an existing leaf at the same level; refuses to
   * descend through a large page.
   */
  map(space: SpaceDescriptor, iova: bigint, pa: bigint, pageShift: number, perms: number): void {
    const codec = codecs[space.format];
    const leafLevel = (pageShift - 12) / 9;
    if (![0, 1, 2].includes(leafLevel) || leafLevel >= space.levels) {
      throw new RangeError(`page shift ${pageShift} is not mappable in a ${space.levels}-level ${space.format} space`);
    }
    const pageMask = (1n << BigInt(pageShift)) - 1n;
    if ((iova & pageMask) !== 0n || (pa & pageMask) !== 0n) throw new RangeError('iova and pa must be page aligned');

    let table = space.root & ~0xfffn;
    for (let level = space.levels - 1; level > leafLevel; level--) {
      const entryAddr = table + indexAt(iova, level) * 8n;
      const entry = this.mem.read64(entryAddr) ?? 0n;
      if (!codec.present(entry)) {
        const next = this.newTable();
        this.mem.write64(entryAddr, codec.table(next));
        table = next;
      } else if (codec.isLargeLeaf(entry)) {
        throw new Error(`level ${level} already maps a large page over 0x${iova.toString(16)}`);
      } else {
        table = codec.tableOf(entry);
      }
    }
    this.mem.write64(table + indexAt(iova, leafLevel) * 8n, codec.leaf(pa, leafLevel, perms, space.ad));
  }
}

function indexAt(iova: bigint, level: number): bigint {
  return (iova >> BigInt(12 + 9 * level)) & 511n;
}
