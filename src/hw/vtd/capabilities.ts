// CAP_REG and ECAP_REG: what this model supports, bit for bit. Field positions are
// those of the VT-d specification (11.4.2 / 11.4.3) as Linux's intel-iommu.h decodes
// them; every bit set here names behaviour the unit implements, every bit clear names
// one it does not (ATS/device-TLB, interrupt remapping, snoop control, PMRs, ...).
import { place } from '../common/bits.js';

export interface VtdFeatures {
  /** CAP.ND: 2^(4+2·ND) domain ids. Default 3 (1024: the engine's default group count). */
  domainIdBits: number;
  /** CAP.CM: the unit may cache not-present context and PASID entries. */
  cachingMode: boolean;
  /** CAP.NFR+1: fault recording registers. */
  faultRecords: number;
  /** CAP.MAMV: the largest address mask of a page-selective invalidation. */
  maxAddressMask: number;
  /** Host address width (the engine's paBits): pointers above it are reserved. */
  hostAddressWidth: number;
}

/** Where the fault recording registers and the IOTLB registers sit (CAP.FRO, ECAP.IRO, in 16-byte units). */
export const FRCD_BASE = 0x200;
export const IOTLB_REGS_BASE = 0x100;

/** Second-stage levels supported: SAGAW bit 1 = 3-level, 2 = 4-level, 3 = 5-level. */
export const SAGAW = 0b01110;
/** PASID width: ECAP.PSS = width - 1. */
export const PASID_BITS = 20;

export function domainCount(features: VtdFeatures): number {
  return 1 << (4 + 2 * features.domainIdBits);
}

/** AW field (levels = AW + 2) allowed by SAGAW. */
export function supportedAw(aw: number): boolean {
  return aw >= 0 && aw <= 4 && ((SAGAW >> aw) & 1) === 1;
}

export function capabilityRegister(f: VtdFeatures): bigint {
  return place(f.domainIdBits, 2, 0)
    | place(f.cachingMode ? 1 : 0, 7, 7)
    | place(SAGAW, 12, 8)
    | place(57 - 1, 21, 16) // MGAW: 57-bit guest addresses (5-level second stage)
    | place(FRCD_BASE / 16, 33, 24)
    | place(0b0011, 37, 34) // SLLPS: 2 MiB and 1 GiB second-stage pages
    | place(1, 39, 39) // PSI: page-selective invalidation
    | place(f.faultRecords - 1, 47, 40)
    | place(f.maxAddressMask, 53, 48)
    | place(1, 56, 56) // FS1GP: 1 GiB first-stage pages
    | place(1, 60, 60); // FS5LP: 5-level first stage
}

export const Ecap = {
  C: 0, QI: 1, DT: 2, IR: 3, PT: 6, IRO_LO: 8, NEST: 26, PRS: 29, ERS: 30, SRS: 31,
  EAFS: 34, PSS_LO: 35, PASID: 40, SMTS: 43, SSADS: 45, SSTS: 46, FLTS: 47, SMPWCS: 48, RPS: 49,
} as const;

export function extendedCapabilityRegister(): bigint {
  const on = [Ecap.C, Ecap.QI, Ecap.PT, Ecap.NEST, Ecap.PRS, Ecap.SRS, Ecap.EAFS, Ecap.PASID, Ecap.SMTS,
    Ecap.SSADS, Ecap.SSTS, Ecap.FLTS, Ecap.SMPWCS, Ecap.RPS];
  let value = place(IOTLB_REGS_BASE / 16, 17, 8) | place(PASID_BITS - 1, 39, 35);
  for (const position of on) value |= 1n << BigInt(position);
  return value;
}
