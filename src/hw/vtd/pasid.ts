// PASID directory and PASID-table entries (iommu-hw-formats.md §2.2). Both are host
// physical structures in every mode (never translated by the second stage).
import { aboveWidth, bit, fieldNum, mask, pageAddress } from '../common/bits.js';
import { supportedAw } from './capabilities.js';
import { Reason } from './fault-reasons.js';
import type { TableLimits } from './root-context.js';
import { fail, ok, readWords, type Decoded, type ReadWord } from './structures.js';

export const Pgtt = { FIRST_STAGE: 1, SECOND_STAGE: 2, NESTED: 3, PASS_THROUGH: 4 } as const;
export type PgttValue = (typeof Pgtt)[keyof typeof Pgtt];

export interface PasidEntry {
  fpd: boolean;
  pgtt: PgttValue;
  /** Second-stage AW (levels = aw + 2) when PGTT uses a second stage. */
  aw: number;
  ssade: boolean;
  ssptptr: bigint;
  did: number;
  sre: boolean;
  /** First-stage paging mode: 4 or 5 levels. */
  fsLevels: number;
  wpe: boolean;
  eafe: boolean;
  fsptptr: bigint;
}

export interface PasidDirectoryEntry {
  fpd: boolean;
  table: bigint;
}

/** The directory entry covering `pasid` (PASID[19:6] indexes a directory of 2^(pdts+7) entries). */
export function readPasidDirectoryEntry(read: ReadWord, dir: bigint, pdts: number, pasid: number, limits: TableLimits): Decoded<PasidDirectoryEntry> {
  const index = pasid >>> 6;
  // A PASID past the directory's declared size has no entry: it is treated as not present.
  if (index >= 2 ** (pdts + 7)) return fail(Reason.PASID_DIR_NOT_PRESENT);
  const word = read(dir + BigInt(index * 8));
  if (word === undefined) return fail(Reason.PASID_DIR_ACCESS);
  if (!bit(word, 0)) return fail(Reason.PASID_DIR_NOT_PRESENT);
  if ((word & mask(11, 2)) !== 0n || aboveWidth(word, limits.haw)) return fail(Reason.PASID_DIR_RESERVED);
  return ok({ fpd: bit(word, 1), table: pageAddress(word) });
}

/** The 512-bit entry for `pasid` in its PASID table (PASID[5:0] indexes 64 entries of 64 bytes). */
export function readPasidEntry(read: ReadWord, table: bigint, pasid: number, limits: TableLimits): Decoded<PasidEntry> {
  const words = readWords(read, table + BigInt((pasid & 63) * 64), 8);
  if (!words) return fail(Reason.PASID_TABLE_ACCESS);
  const [q0, q1, q2, ...rest] = words;
  if (!bit(q0, 0)) return fail(Reason.PASID_ENTRY_NOT_PRESENT);
  const pgtt = fieldNum(q0, 8, 6);
  const usesSecondStage = pgtt === Pgtt.SECOND_STAGE || pgtt === Pgtt.NESTED;
  const didReserved = mask(15, limits.didBits);
  if ((q0 & mask(11, 10)) !== 0n || (usesSecondStage && aboveWidth(q0, limits.haw))
    || (q1 & (mask(22, 16) | didReserved)) !== 0n || (q2 & mask(11, 8)) !== 0n || rest.some((w) => w !== 0n)) {
    return fail(Reason.PASID_ENTRY_RESERVED);
  }
  const aw = fieldNum(q0, 4, 2);
  const fspm = fieldNum(q2, 3, 2);
  const usesFirstStage = pgtt === Pgtt.FIRST_STAGE || pgtt === Pgtt.NESTED;
  if (pgtt < Pgtt.FIRST_STAGE || pgtt > Pgtt.PASS_THROUGH) return fail(Reason.PASID_ENTRY_INVALID);
  if (usesSecondStage && !supportedAw(aw)) return fail(Reason.PASID_ENTRY_INVALID);
  // FSPM 10/11 are reserved paging modes; ERE asks for execute requests (ECAP.ERS = 0).
  if (usesFirstStage && fspm > 1) return fail(Reason.PASID_ENTRY_INVALID);
  if (bit(q2, 1)) return fail(Reason.PASID_ENTRY_INVALID);
  // A first-stage-only root is a host address: above the host width it cannot be a table.
  if (pgtt === Pgtt.FIRST_STAGE && aboveWidth(q2, limits.haw)) return fail(Reason.FS_INVALID_PTR);
  return ok({
    fpd: bit(q0, 1), pgtt: pgtt as PgttValue, aw, ssade: bit(q0, 9), ssptptr: pageAddress(q0),
    did: fieldNum(q1, 15, 0), sre: bit(q2, 0), fsLevels: fspm === 1 ? 5 : 4, wpe: bit(q2, 4),
    eafe: bit(q2, 7), fsptptr: pageAddress(q2),
  });
}
