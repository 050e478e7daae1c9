// Queued-invalidation descriptors (iommu-hw-formats.md §2.7), decoded and checked.
// A descriptor with a reserved bit set, a reserved granularity, or an address that
// does not fit its mask is invalid: the queue stops on it with FSTS.IQE.
import { bit, field, fieldNum, mask } from '../common/bits.js';
import { decoded, refused, type Decoded } from '../common/decoded.js';

export type Descriptor =
  | { type: 'context-cache'; granularity: 'global' | 'domain' | 'device'; did: number; sid: number; functionMask: number }
  | { type: 'iotlb'; granularity: 'global' | 'domain' | 'page'; did: number; addr: bigint; am: number; ih: boolean }
  | { type: 'device-tlb'; sid: number; addr: bigint; size: boolean }
  | { type: 'interrupt-entry-cache' }
  | { type: 'wait'; interrupt: boolean; statusWrite: boolean; fence: boolean; pageDrain: boolean; statusData: number; statusAddr: bigint }
  | { type: 'p-iotlb'; granularity: 'pasid' | 'page'; did: number; pasid: number; addr: bigint; am: number; ih: boolean }
  | { type: 'pasid-cache'; granularity: 'domain' | 'pasid' | 'global'; did: number; pasid: number }
  | { type: 'pasid-device-tlb'; sid: number; pasid: number; allPasids: boolean; addr: bigint; size: boolean }
  | { type: 'page-group-response'; rid: number; pasid: number | undefined; code: number; lastInGroup: boolean; groupIndex: number; privateData: [bigint, bigint] | undefined };

/** A descriptor, or why the queue refuses it (the IQE reason text). */
export type DecodeResult = Decoded<Descriptor, string>;

export const DescriptorType = {
  CONTEXT_CACHE: 0x1, IOTLB: 0x2, DEVICE_TLB: 0x3, INTERRUPT_ENTRY_CACHE: 0x4, WAIT: 0x5,
  P_IOTLB: 0x6, PASID_CACHE: 0x7, PASID_DEVICE_TLB: 0x8, PAGE_GROUP_RESPONSE: 0x9,
} as const;

/** Reserved bits of QW0 and QW1 per type (type bits 3:0 and 11:9 excluded). */
const RESERVED: Record<number, [bigint, bigint]> = {
  [DescriptorType.CONTEXT_CACHE]: [mask(8, 6) | mask(15, 12) | mask(63, 50), mask(63, 0)],
  [DescriptorType.IOTLB]: [mask(8, 8) | mask(15, 12) | mask(63, 32), mask(11, 7)],
  [DescriptorType.DEVICE_TLB]: [mask(8, 4) | mask(31, 21) | mask(51, 48), mask(11, 1)],
  [DescriptorType.INTERRUPT_ENTRY_CACHE]: [mask(8, 5) | mask(26, 12) | mask(63, 48), mask(63, 0)],
  [DescriptorType.WAIT]: [mask(8, 8) | mask(31, 12), mask(1, 0)],
  [DescriptorType.P_IOTLB]: [mask(8, 6) | mask(15, 12) | mask(63, 52), mask(11, 7)],
  [DescriptorType.PASID_CACHE]: [mask(8, 6) | mask(15, 12) | mask(63, 52), mask(63, 0)],
  [DescriptorType.PASID_DEVICE_TLB]: [0n, mask(10, 1)],
  [DescriptorType.PAGE_GROUP_RESPONSE]: [mask(8, 6) | mask(63, 52), mask(1, 0) | mask(63, 12)],
};

export function descriptorType(qw0: bigint): number {
  return fieldNum(qw0, 3, 0) | (fieldNum(qw0, 11, 9) << 4);
}

/** Decodes one 128-bit (2 words) or 256-bit (4 words) descriptor. */
export function decodeDescriptor(words: readonly bigint[], maxAddressMask: number): DecodeResult {
  const [q0, q1] = words;
  const type = descriptorType(q0);
  const reserved = RESERVED[type];
  if (!reserved) return refused(`type 0x${type.toString(16)} is not a descriptor the unit accepts`);
  if (q0 & reserved[0] || q1 & reserved[1]) return refused(`reserved bit set in a type 0x${type.toString(16)} descriptor`);
  const upper = words.length > 2 ? [words[2], words[3]] as [bigint, bigint] : undefined;
  const privateData = type === DescriptorType.PAGE_GROUP_RESPONSE && bit(q0, 5);
  if (upper && !privateData && (upper[0] | upper[1]) !== 0n) return refused('reserved upper half of a 256-bit descriptor is not zero');
  const g = fieldNum(q0, 5, 4);
  const did = fieldNum(q0, 31, 16);
  switch (type) {
    case DescriptorType.CONTEXT_CACHE: {
      if (g === 0) return refused('context-cache granularity 00 is reserved');
      const granularity = (['global', 'domain', 'device'] as const)[g - 1];
      return decoded({ type: 'context-cache', granularity, did, sid: fieldNum(q0, 47, 32), functionMask: fieldNum(q0, 49, 48) });
    }
    case DescriptorType.IOTLB: {
      if (g === 0) return refused('IOTLB granularity 00 is reserved');
      const granularity = (['global', 'domain', 'page'] as const)[g - 1];
      const range = pageRange(q1, maxAddressMask, granularity === 'page');
      if (!range.ok) return range;
      return decoded({ type: 'iotlb', granularity, did, ...range.value });
    }
    case DescriptorType.DEVICE_TLB:
      return decoded({ type: 'device-tlb', sid: fieldNum(q0, 47, 32), addr: q1 & mask(63, 12), size: bit(q1, 0) });
    case DescriptorType.INTERRUPT_ENTRY_CACHE:
      return decoded({ type: 'interrupt-entry-cache' });
    case DescriptorType.WAIT:
      return decoded({
        type: 'wait', interrupt: bit(q0, 4), statusWrite: bit(q0, 5), fence: bit(q0, 6), pageDrain: bit(q0, 7),
        statusData: Number(field(q0, 63, 32)), statusAddr: q1 & mask(63, 2),
      });
    case DescriptorType.P_IOTLB: {
      // Granularities 00/01 have no meaning the sources confirm; Linux never sends them.
      if (g < 2) return refused(`P_IOTLB granularity ${g} is not supported`);
      const granularity = g === 2 ? 'pasid' : 'page';
      const range = pageRange(q1, maxAddressMask, granularity === 'page');
      if (!range.ok) return range;
      return decoded({ type: 'p-iotlb', granularity, did, pasid: fieldNum(q0, 51, 32), ...range.value });
    }
    case DescriptorType.PASID_CACHE: {
      if (g === 2) return refused('PASID-cache granularity 10 is reserved');
      const granularity = g === 0 ? 'domain' : g === 1 ? 'pasid' : 'global';
      return decoded({ type: 'pasid-cache', granularity, did, pasid: fieldNum(q0, 51, 32) });
    }
    case DescriptorType.PASID_DEVICE_TLB:
      return decoded({
        type: 'pasid-device-tlb', sid: fieldNum(q0, 31, 16), pasid: fieldNum(q0, 51, 32), allPasids: bit(q1, 0),
        addr: q1 & mask(63, 12), size: bit(q1, 11),
      });
    default: // PAGE_GROUP_RESPONSE
      return decoded({
        type: 'page-group-response', rid: fieldNum(q0, 31, 16), pasid: bit(q0, 4) ? fieldNum(q0, 51, 32) : undefined,
        code: fieldNum(q0, 15, 12), lastInGroup: bit(q1, 2), groupIndex: fieldNum(q1, 11, 3),
        privateData: privateData ? upper ?? [0n, 0n] : undefined,
      });
  }
}

/** ADDR/AM/IH of an IOTLB or P_IOTLB descriptor; a page range must fit MAMV and be aligned to its size. */
function pageRange(q1: bigint, maxAddressMask: number, pageSelective: boolean):
  Decoded<{ addr: bigint; am: number; ih: boolean }, string> {
  const am = fieldNum(q1, 5, 0);
  const addr = q1 & mask(63, 12);
  if (pageSelective) {
    if (am > maxAddressMask) return refused(`address mask ${am} exceeds MAMV ${maxAddressMask}`);
    if (addr & ((1n << BigInt(12 + am)) - 1n)) return refused(`address 0x${addr.toString(16)} is not aligned to 2^${am} pages`);
  }
  return decoded({ addr, am, ih: bit(q1, 6) });
}
