// VT-d fault reason codes (architectural numbers, iommu-hw-formats.md §2.8) and which
// of them are "qualified": suppressed when a structure on the path has FPD set.

export const Reason = {
  ROOT_NOT_PRESENT: 0x1,
  CONTEXT_NOT_PRESENT: 0x2,
  CONTEXT_INVALID: 0x3,
  ADDRESS_BEYOND_AW: 0x4,
  SS_WRITE: 0x5,
  SS_READ: 0x6,
  SS_ACCESS: 0x7,
  ROOT_ACCESS: 0x8,
  CONTEXT_ACCESS: 0x9,
  ROOT_RESERVED: 0xa,
  CONTEXT_RESERVED: 0xb,
  SS_RESERVED: 0xc,
  BLOCKED_BY_CONTEXT: 0xd,
  INTERRUPT_RANGE: 0xe,
  INVALID_TTM: 0x31,
  PRE_CLEAR: 0x47,
  PASID_DIR_ACCESS: 0x50,
  PASID_DIR_NOT_PRESENT: 0x51,
  // 0x52 and 0x5A are not in the spec note's table; they are the architecture's
  // "reserved field in a present PASID-directory / PASID-table entry" codes.
  PASID_DIR_RESERVED: 0x52,
  PASID_TABLE_ACCESS: 0x58,
  PASID_ENTRY_NOT_PRESENT: 0x59,
  PASID_ENTRY_RESERVED: 0x5a,
  PASID_ENTRY_INVALID: 0x5b,
  FS_ACCESS: 0x70,
  FS_NOT_PRESENT: 0x71,
  FS_RESERVED: 0x72,
  FS_INVALID_PTR: 0x73,
  FS_NON_CANONICAL: 0x80,
  FS_PRIVILEGE: 0x81,
  SM_WRITE: 0x85,
  SM_INTERRUPT_RANGE: 0x87,
  FS_AD_UPDATE: 0x91,
} as const;
export type ReasonCode = (typeof Reason)[keyof typeof Reason];

/** Faults reported whatever FPD says: the structure that would carry FPD could not be trusted or read. */
const UNQUALIFIED: ReadonlySet<number> = new Set([
  Reason.ROOT_NOT_PRESENT, Reason.ROOT_ACCESS, Reason.CONTEXT_ACCESS, Reason.ROOT_RESERVED,
  Reason.CONTEXT_RESERVED, Reason.INVALID_TTM, Reason.PASID_DIR_ACCESS, Reason.PASID_TABLE_ACCESS,
  Reason.PASID_DIR_RESERVED, Reason.PASID_ENTRY_RESERVED,
]);

export function isQualified(reason: number): boolean {
  return !UNQUALIFIED.has(reason);
}
