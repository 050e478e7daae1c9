// Root and context entries (iommu-hw-formats.md §2.1), legacy and scalable mode.
// Every decode checks presence, then reserved bits, then the programming rules that
// depend on what the unit supports, in the order the fault reasons rank them.
import { aboveWidth, bit, field, fieldNum, mask, pageAddress } from '../common/bits.js';
import { supportedAw } from './capabilities.js';
import { Reason } from './fault-reasons.js';
import { fail, ok, readWords, type Decoded, type ReadWord } from './structures.js';

export interface TableLimits {
  /** Host address width: pointer bits at or above it are reserved. */
  haw: number;
  /** Width of the domain-id field the unit decodes (CAP.ND); higher DID bits are reserved. */
  didBits: number;
}

/** Context TT values (legacy mode). */
export const TranslationType = { UNTRANSLATED: 0, DEVICE_TLB: 1, PASS_THROUGH: 2 } as const;

export interface LegacyContext {
  mode: 'legacy';
  fpd: boolean;
  passThrough: boolean;
  ssptptr: bigint;
  /** AW field: second-stage levels = aw + 2. */
  aw: number;
  did: number;
}

export interface ScalableContext {
  mode: 'scalable';
  fpd: boolean;
  pasidEnable: boolean;
  pageRequestEnable: boolean;
  /** PASID directory entries: 2^(PDTS+7). */
  pdts: number;
  pasidDir: bigint;
  ridPasid: number;
}

export type DeviceContext = LegacyContext | ScalableContext;

const ROOT_RESERVED_LOW = mask(11, 1);

/** Address of the context table for `devfn`, from the root entry of its bus. */
export function readRootEntry(read: ReadWord, rta: bigint, bus: number, devfn: number, scalable: boolean, limits: TableLimits): Decoded<bigint> {
  const entry = readWords(read, rta + BigInt(bus * 16), 2);
  if (!entry) return fail(Reason.ROOT_ACCESS);
  const [lo, hi] = entry;
  // Scalable mode splits the entry: the low half points at devfn 0-127, the high half at 128-255.
  const half = scalable && devfn >= 128 ? hi : lo;
  if (!bit(half, 0)) return fail(Reason.ROOT_NOT_PRESENT);
  const halves = scalable ? [lo, hi] : [lo];
  for (const h of halves) {
    if ((h & ROOT_RESERVED_LOW) !== 0n || aboveWidth(h, limits.haw)) return fail(Reason.ROOT_RESERVED);
  }
  if (!scalable && hi !== 0n) return fail(Reason.ROOT_RESERVED);
  return ok(pageAddress(half));
}

/** A 128-bit legacy context entry. */
export function readLegacyContext(read: ReadWord, table: bigint, devfn: number, limits: TableLimits): Decoded<LegacyContext> {
  const entry = readWords(read, table + BigInt(devfn * 16), 2);
  if (!entry) return fail(Reason.CONTEXT_ACCESS);
  const [lo, hi] = entry;
  if (!bit(lo, 0)) return fail(Reason.CONTEXT_NOT_PRESENT);
  const tt = fieldNum(lo, 3, 2);
  const didReserved = mask(23, 8 + limits.didBits);
  const ptrReserved = tt !== TranslationType.PASS_THROUGH && aboveWidth(lo, limits.haw);
  if ((lo & mask(11, 4)) !== 0n || ptrReserved || (hi & (mask(63, 24) | (1n << 7n) | didReserved)) !== 0n) {
    return fail(Reason.CONTEXT_RESERVED);
  }
  const aw = fieldNum(hi, 2, 0);
  // TT 01 asks for ATS (ECAP.DT is clear) and TT 11 is reserved: both are invalid programming.
  if (tt === TranslationType.DEVICE_TLB || tt === 3) return fail(Reason.CONTEXT_INVALID);
  if (tt === TranslationType.UNTRANSLATED && !supportedAw(aw)) return fail(Reason.CONTEXT_INVALID);
  return ok({
    mode: 'legacy', fpd: bit(lo, 1), passThrough: tt === TranslationType.PASS_THROUGH,
    ssptptr: pageAddress(lo), aw, did: fieldNum(hi, 23, 8),
  });
}

/** A 256-bit scalable-mode context entry (128 per 4 KiB table, indexed by devfn & 0x7f). */
export function readScalableContext(read: ReadWord, table: bigint, devfn: number, limits: TableLimits): Decoded<ScalableContext> {
  const entry = readWords(read, table + BigInt((devfn & 0x7f) * 32), 4);
  if (!entry) return fail(Reason.CONTEXT_ACCESS);
  const [q0, q1, q2, q3] = entry;
  if (!bit(q0, 0)) return fail(Reason.CONTEXT_NOT_PRESENT);
  // Bit 84 (next to RID_PASID) is a defined, non-reserved bit; the model ignores it.
  if ((q0 & mask(8, 5)) !== 0n || aboveWidth(q0, limits.haw) || (q1 & mask(63, 21)) !== 0n || q2 !== 0n || q3 !== 0n) {
    return fail(Reason.CONTEXT_RESERVED);
  }
  // DTE asks for a device TLB, which the unit does not offer (ECAP.DT = 0).
  if (bit(q0, 2)) return fail(Reason.CONTEXT_INVALID);
  return ok({
    mode: 'scalable', fpd: bit(q0, 1), pasidEnable: bit(q0, 3), pageRequestEnable: bit(q0, 4),
    pdts: fieldNum(q0, 11, 9), pasidDir: pageAddress(q0), ridPasid: Number(field(q1, 19, 0)),
  });
}
