// The VT-d data of the iommufd uAPI: hw-info bytes, stage-1 HWPT allocation checks
// in the kernel's order, and the stage-1 invalidation array.
import { describe, expect, it } from 'vitest';
import {
  EFAULT, EINVAL, EOPNOTSUPP, IOMMU_HWPT_ALLOC_PASID, IOMMU_HWPT_DATA_VTD_S1, IOMMU_HWPT_INVALIDATE_DATA_VTD_S1,
  IOMMU_VTD_S1_EAFE, IOMMU_VTD_S1_SRE, fail, ok, type DriverEnv, type UserAccess,
} from '../../src/iommu/index.js';
import { checkVtdS1ForAttach, parseVtdS1Alloc, vtdHwInfo } from '../../src/drivers/vtd/iommufd.js';
import { VtdNestedDomain } from '../../src/drivers/vtd/nested-domain.js';
import { vtdDriver } from '../../src/drivers/vtd/driver.js';
import type { VtdIommu } from '../../src/drivers/vtd/host-iommu.js';
import type { VtdPagingDomain } from '../../src/drivers/vtd/paging-domain.js';
import { capabilityRegister, extendedCapabilityRegister } from '../../src/hw/vtd/index.js';
import { createRig } from './guest.js';

function s1(flags: bigint, pgtbl: bigint, aw: number, reserved = 0, length = 24): Uint8Array {
  const out = new Uint8Array(length);
  const dv = new DataView(out.buffer);
  if (length >= 8) dv.setBigUint64(0, flags, true);
  if (length >= 16) dv.setBigUint64(8, pgtbl, true);
  if (length >= 20) dv.setUint32(16, aw, true);
  if (length >= 24) dv.setUint32(20, reserved, true);
  return out;
}

function inv(addr: bigint, npages: bigint, flags = 0, reserved = 0): Uint8Array {
  const out = new Uint8Array(24);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, addr, true);
  dv.setBigUint64(8, npages, true);
  dv.setUint32(16, flags, true);
  dv.setUint32(20, reserved, true);
  return out;
}

const U64_MAX = (1n << 64n) - 1n;
const base = { hwptFlags: 0, dataType: IOMMU_HWPT_DATA_VTD_S1, parentIsNestParent: true, nestingSupported: true };

describe('VT-d iommufd data', () => {
  it('GET_HW_INFO carries the unit\'s CAP and ECAP', async () => {
    const { unit } = await createRig();
    const bytes = vtdHwInfo(unit.cap, unit.ecap);
    const dv = new DataView(bytes.buffer);
    expect(bytes.length).toBe(24);
    expect([dv.getUint32(0, true), dv.getUint32(4, true), dv.getBigUint64(8, true), dv.getBigUint64(16, true)])
      .toEqual([0, 0, unit.mmioRead(0x08, 8), unit.mmioRead(0x10, 8)]);
  });

  it('HWPT_ALLOC VTD_S1: errnos in the kernel\'s order, flags and __reserved unchecked', () => {
    const good = s1(IOMMU_VTD_S1_SRE, 0x10_0000n, 48);
    expect(parseVtdS1Alloc({ ...base, data: good })).toEqual({ ok: true, value: { flags: 1n, pgtblAddr: 0x10_0000n, addrWidth: 48 } });
    expect(parseVtdS1Alloc({ ...base, hwptFlags: IOMMU_HWPT_ALLOC_PASID, data: good }).ok).toBe(true);
    expect(parseVtdS1Alloc({ ...base, hwptFlags: 1, data: good })).toEqual({ ok: false, errno: EOPNOTSUPP });
    expect(parseVtdS1Alloc({ ...base, nestingSupported: false, data: good })).toEqual({ ok: false, errno: EOPNOTSUPP });
    expect(parseVtdS1Alloc({ ...base, dataType: 2, parentIsNestParent: false, data: good })).toEqual({ ok: false, errno: EOPNOTSUPP });
    expect(parseVtdS1Alloc({ ...base, parentIsNestParent: false, data: s1(0n, 0n, 48, 0, 16) })).toEqual({ ok: false, errno: EINVAL });
    expect(parseVtdS1Alloc({ ...base, data: s1(0n, 0n, 48, 0, 16) })).toEqual({ ok: false, errno: EINVAL });
    expect(parseVtdS1Alloc({ ...base, data: s1(0n, 0n, 48, 0, 32) })).toEqual({ ok: false, errno: EINVAL });
    expect(parseVtdS1Alloc({ ...base, data: s1(0xffn, 0x1000n, 39, 7) }).ok).toBe(true);
  });

  it('attach-time rules: 48/57-bit width, SRE/EAFE only where ECAP offers them, aligned root', () => {
    const f = { domainIdBits: 3, cachingMode: false, faultRecords: 8, maxAddressMask: 18, hostAddressWidth: 40 };
    const cap = capabilityRegister(f);
    const ecap = extendedCapabilityRegister();
    expect(checkVtdS1ForAttach({ flags: IOMMU_VTD_S1_SRE | IOMMU_VTD_S1_EAFE, pgtblAddr: 0x1000n, addrWidth: 57 }, cap, ecap)).toBe(0);
    expect(checkVtdS1ForAttach({ flags: 0n, pgtblAddr: 0x1000n, addrWidth: 39 }, cap, ecap)).toBe(EINVAL);
    expect(checkVtdS1ForAttach({ flags: 8n, pgtblAddr: 0x1000n, addrWidth: 48 }, cap, ecap)).toBe(EINVAL);
    expect(checkVtdS1ForAttach({ flags: IOMMU_VTD_S1_SRE, pgtblAddr: 0x1000n, addrWidth: 48 }, cap, ecap & ~(1n << 31n))).toBe(EINVAL);
    expect(checkVtdS1ForAttach({ flags: 0n, pgtblAddr: 0x1800n, addrWidth: 48 }, cap, ecap)).toBe(EINVAL);
  });

  it('HWPT_INVALIDATE VTD_S1: per-entry checks, the first error stops, entry_num counts handled entries', () => {
    // The nested domain's own loop over user memory holding the entries `entryLen` apart
    // (entry `fault` unreadable), attached through a unit that records each flush.
    const UPTR = 0x10_0000n;
    const run = (entries: Uint8Array[], opts: { dataType?: number; entryLen?: number; entryNum?: number; fault?: number } = {}) => {
      const entryLen = opts.entryLen ?? 24;
      const user = new Uint8Array(entries.length * entryLen + 24);
      entries.forEach((e, i) => user.set(e, i * entryLen));
      const mem: UserAccess = {
        read: (addr, len) => {
          const at = Number(BigInt(addr) - UPTR);
          return opts.fault !== undefined && Math.floor(at / entryLen) === opts.fault ? fail(EFAULT) : ok(user.slice(at, at + len));
        },
        write: () => fail(EFAULT),
        isZero: () => fail(EFAULT),
      };
      const flushes: [bigint, bigint | undefined, boolean][] = [];
      const iommu = { didOf: () => 1, flushPasidRange: (_did: number, _pasid: number, a: bigint, b: bigint | undefined, l: boolean) => flushes.push([a, b, l]) };
      const domain = new VtdNestedDomain(vtdDriver, 0, {} as VtdPagingDomain, { flags: 0n, pgtblAddr: 0x1000n, addrWidth: 48 });
      domain.attachments.add({ iommu: iommu as unknown as VtdIommu, sid: 0x10, pasid: 7 });
      const outcome = domain.invalidateUser({ mem } as DriverEnv, {
        type: opts.dataType ?? IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, uptr: UPTR, entryLen, entryNum: opts.entryNum ?? entries.length,
      });
      return { ...outcome, flushes };
    };
    expect(run([inv(0x1000n, 2n, 1), inv(0n, U64_MAX)])).toEqual({ errno: 0, handled: 2, flushes: [[0x1000n, 0x2000n, true], [0n, undefined, false]] });
    expect(run([], { dataType: 1 })).toEqual({ errno: EINVAL, handled: 0, flushes: [] });
    expect(run([], { entryNum: 0 })).toEqual({ errno: 0, handled: 0, flushes: [] });
    expect(run([inv(0x1000n, 1n)], { entryLen: 16 })).toEqual({ errno: EINVAL, handled: 0, flushes: [] });
    expect(run([inv(0x1000n, 1n)], { entryLen: 32 })).toEqual({ errno: EINVAL, handled: 0, flushes: [] });
    expect(run([inv(0x1000n, 1n), inv(0x2000n, 1n)], { fault: 1 })).toEqual({ errno: EFAULT, handled: 1, flushes: [[0x1000n, 0x1000n, false]] });
    expect(run([inv(0x1000n, 1n), inv(0x2000n, 1n, 2)])).toMatchObject({ errno: EOPNOTSUPP, handled: 1 });
    expect(run([inv(0x1000n, 1n, 0, 1)])).toMatchObject({ errno: EOPNOTSUPP, handled: 0 });
    expect(run([inv(0x1800n, 1n)])).toMatchObject({ errno: EINVAL, handled: 0 });
    expect(run([inv(0x1000n, U64_MAX)])).toMatchObject({ errno: EINVAL, handled: 0 });
  });
});
