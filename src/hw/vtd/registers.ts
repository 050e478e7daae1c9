// Register offsets and bits (VT-d specification chapter 11; offsets as Linux's
// intel-iommu.h names them). The FRCD and IOTLB register blocks sit where CAP.FRO and
// ECAP.IRO say (capabilities.ts).
export const Reg = {
  VER: 0x00, CAP: 0x08, ECAP: 0x10, GCMD: 0x18, GSTS: 0x1c, RTADDR: 0x20, CCMD: 0x28,
  FSTS: 0x34, FECTL: 0x38, FEDATA: 0x3c, FEADDR: 0x40, FEUADDR: 0x44,
  IQH: 0x80, IQT: 0x88, IQA: 0x90, ICS: 0x9c, IECTL: 0xa0, IEDATA: 0xa4, IEADDR: 0xa8, IEUADDR: 0xac, IQERCD: 0xb0,
  PQH: 0xc0, PQT: 0xc8, PQA: 0xd0, PRS: 0xdc, PECTL: 0xe0, PEDATA: 0xe4, PEADDR: 0xe8, PEUADDR: 0xec,
} as const;

/** GCMD command bits and the GSTS status bits at the same positions. */
export const Gcmd = { TE: 1 << 31, SRTP: 1 << 30, SFL: 1 << 29, EAFL: 1 << 28, WBF: 1 << 27, QIE: 1 << 26, IRE: 1 << 25, SIRTP: 1 << 24, CFI: 1 << 23 } as const;
export const Gsts = { TES: 1 << 31, RTPS: 1 << 30, QIES: 1 << 26 } as const;

export const Fsts = { PFO: 1, PPF: 2, IQE: 1 << 4, ICE: 1 << 5, ITE: 1 << 6 } as const;

/** RTADDR translation table mode (bits 11:10). */
export const Ttm = { LEGACY: 0, SCALABLE: 1 } as const;

export const VERSION = 0x60n; // major 6, minor 0
