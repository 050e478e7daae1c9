// VT-d through the iommufd syscall surface: hw_info, paging and VTD_S1 nested HWPTs,
// PASID attach, DMA through the unit, stale-then-fresh around HWPT_INVALIDATE, and
// every malformed VT-d struct answered with the kernel's errno and no other change.
import { beforeEach, describe, expect, it } from 'vitest';
import {
  EFAULT, EINVAL, EOPNOTSUPP,
  IOMMU_HW_CAP_DIRTY_TRACKING, IOMMU_HW_INFO_FLAG_INPUT_TYPE, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, IOMMU_HWPT_ALLOC_NEST_PARENT,
  IOMMU_HWPT_ALLOC_PASID, IOMMU_HWPT_DATA_SELFTEST, IOMMU_HWPT_FAULT_ID_VALID, IOMMU_GET_HW_INFO, IOMMU_IOAS_UNMAP,
  IOMMU_VTD_INV_FLAGS_LEAF, IOMMU_VTD_S1_SRE, IommuHwInfo, IommuIoasUnmap,
} from '../../src/index.js';
import { Pgtt, Reason } from '../../src/hw/vtd/index.js';
import { GUEST_RAM, IOVA, PAGE_A, PAGE_B, PASID, PML4, SID, VtdRig } from './iommufd-rig.js';

const U64_MAX = (1n << 64n) - 1n;

describe('GET_HW_INFO on a VT-d device', () => {
  it('returns struct iommu_hw_info_vtd with the unit\'s own CAP/ECAP, PASID width and dirty capability', async () => {
    const rig = await VtdRig.create();
    const info = rig.vmm.hwInfo(rig.devId);
    expect(info.rc).toBe(0);
    expect(info.out.data_type).toBe(1);
    expect(info.out.data_len).toBe(24);
    const dv = new DataView(info.data.buffer, info.data.byteOffset);
    expect(dv.getUint32(0, true)).toBe(0);
    expect(dv.getBigUint64(8, true)).toBe(rig.iommu.unit.mmioRead(0x08, 8));
    expect(dv.getBigUint64(16, true)).toBe(rig.iommu.unit.mmioRead(0x10, 8));
    expect(info.out.out_max_pasid_log2).toBe(15);
    expect(info.out.out_capabilities).toBe(IOMMU_HW_CAP_DIRTY_TRACKING);
    // A shorter buffer gets the prefix; the full length is still reported.
    const short = rig.vmm.hwInfo(rig.devId, 12);
    expect(short.out.data_len).toBe(24);
    expect(new DataView(short.data.buffer, short.data.byteOffset).getUint32(8, true)).toBe(Number(rig.iommu.cap & 0xffff_ffffn));
    // Another driver's info type is not produced.
    const other = rig.vmm.call(IOMMU_GET_HW_INFO, IommuHwInfo, { flags: IOMMU_HW_INFO_FLAG_INPUT_TYPE, dev_id: rig.devId, data_type: 2 });
    expect(other.rc).toBe(-EOPNOTSUPP);
  });
});

describe('nested VTD_S1 HWPT at a PASID', () => {
  let rig: VtdRig;
  let parent: number;

  beforeEach(async () => {
    rig = await VtdRig.create();
    parent = rig.nestParent();
    rig.mapFirstStage(IOVA, PAGE_A);
    rig.guestWrite(PAGE_A, 'page A');
    rig.guestWrite(PAGE_B, 'page B');
  });

  const nestedAt = (s1: Parameters<VtdRig['vmm']['hwptAllocVtdS1']>[3] = { pgtblAddr: PML4, addrWidth: 48 }) => {
    const r = rig.vmm.hwptAllocVtdS1(rig.devId, parent, IOMMU_HWPT_ALLOC_PASID, s1);
    expect(r.rc).toBe(0);
    return r.id;
  };

  it('DMA reads and writes land on the guest page the first stage names, through the parent', () => {
    const nested = nestedAt();
    expect(rig.sys.attachDevice(rig.fd, rig.devId, nested, { pasid: PASID })).toBe(nested);
    const words = rig.iommu.pasidEntryWords(SID, PASID);
    expect(Number((words[0] >> 6n) & 7n)).toBe(Pgtt.NESTED);
    expect(words[2] & ~0xfffn).toBe(PML4);
    expect(rig.read(IOVA, 6)).toBe('page A');
    const w = rig.sys.dma(rig.devId, { pasid: PASID, iova: IOVA + 0x20n, write: true, data: new TextEncoder().encode('written') });
    expect('data' in w).toBe(true);
    expect(rig.guestRead(PAGE_A + 0x20n, 7)).toBe('written');
    // The RID has nothing attached: its requests are blocked at the PASID entry.
    expect(rig.read(IOVA, 4, 'rid')).toBe('blocked');
    expect(rig.iommu.unit.translate(SID, undefined, IOVA, 1)).toMatchObject({ ok: false, reason: Reason.PASID_ENTRY_NOT_PRESENT });
    // An IOVA the guest did not map: first-stage not present.
    expect(rig.read(0x1000n, 4)).toBe(`fault:${Reason.FS_NOT_PRESENT.toString(16)}`);
  });

  it('after a guest PTE change the old page is used (and flagged stale) until HWPT_INVALIDATE; then the new one', () => {
    const nested = nestedAt();
    rig.sys.attachDevice(rig.fd, rig.devId, nested, { pasid: PASID });
    expect(rig.read(IOVA, 6)).toBe('page A');
    rig.mapFirstStage(IOVA, PAGE_B);
    const stale0 = rig.engine.counters().staleHits;
    expect(rig.read(IOVA, 6)).toBe('page A');
    expect(rig.read(IOVA, 6)).toBe('page A');
    expect(rig.engine.counters().staleHits - stale0).toBe(2);
    const inv = rig.vmm.invalidateVtdS1(nested, [{ addr: IOVA, npages: 1n, flags: IOMMU_VTD_INV_FLAGS_LEAF }]);
    expect(inv).toEqual({ rc: 0, entryNum: 1 });
    const stale1 = rig.engine.counters().staleHits;
    expect(rig.read(IOVA, 6)).toBe('page B');
    expect(rig.engine.counters().staleHits).toBe(stale1);
  });

  it('npages = U64_MAX with addr 0 invalidates everything; zero entries probe the type', () => {
    const nested = nestedAt();
    rig.sys.attachDevice(rig.fd, rig.devId, nested, { pasid: PASID });
    rig.read(IOVA, 6);
    rig.mapFirstStage(IOVA, PAGE_B);
    expect(rig.vmm.invalidateVtdS1(nested, [], { entryNum: 0 })).toEqual({ rc: 0, entryNum: 0 });
    expect(rig.read(IOVA, 6)).toBe('page A');
    expect(rig.vmm.invalidateVtdS1(nested, [{ addr: 0n, npages: U64_MAX }])).toEqual({ rc: 0, entryNum: 1 });
    expect(rig.read(IOVA, 6)).toBe('page B');
  });

  it('an IOAS unmap of guest RAM reaches nested translations through the parent\'s DID', () => {
    const nested = nestedAt();
    rig.sys.attachDevice(rig.fd, rig.devId, nested, { pasid: PASID });
    expect(rig.read(IOVA, 6)).toBe('page A');
    expect(rig.vmm.call(IOMMU_IOAS_UNMAP, IommuIoasUnmap, { ioas_id: rig.ioas, iova: 0n, length: BigInt(GUEST_RAM) }).rc).toBe(0);
    expect(rig.read(IOVA, 6)).toBe(`fault:${Reason.SS_READ.toString(16)}`);
  });

  it('replace at the PASID switches tables; detach blocks again', () => {
    const first = nestedAt();
    rig.guestWrite64(0x8000n, 0n);
    const second = nestedAt({ pgtblAddr: 0x8000n, addrWidth: 48 });
    rig.sys.attachDevice(rig.fd, rig.devId, first, { pasid: PASID });
    expect(rig.read(IOVA, 6)).toBe('page A');
    expect(rig.sys.attachDevice(rig.fd, rig.devId, second, { pasid: PASID, replace: true })).toBe(second);
    expect(rig.read(IOVA, 6)).toBe(`fault:${Reason.FS_NOT_PRESENT.toString(16)}`);
    expect(rig.sys.detachDevice(rig.fd, rig.devId, PASID)).toBe(0);
    expect(rig.read(IOVA, 6)).toBe('blocked');
    expect(rig.iommu.unit.translate(SID, PASID, IOVA, 1)).toMatchObject({ ok: false, reason: Reason.PASID_ENTRY_NOT_PRESENT });
    expect(rig.iommu.pasidEntryWords(SID, PASID)).toEqual(new Array(8).fill(0n));
  });

  it('a paging HWPT at the RID translates IOVA = GPA; PASID 0 is the RID\'s own entry and not attachable', () => {
    const paging = rig.vmm.hwptAlloc({ flags: IOMMU_HWPT_ALLOC_PASID, dev_id: rig.devId, pt_id: rig.ioas });
    expect(paging.rc).toBe(0);
    expect(rig.sys.attachDevice(rig.fd, rig.devId, paging.id)).toBe(paging.id);
    expect(Number((rig.iommu.pasidEntryWords(SID, 0)[0] >> 6n) & 7n)).toBe(Pgtt.SECOND_STAGE);
    expect(rig.read(PAGE_B, 6, 'rid')).toBe('page B');
    expect(rig.sys.attachDevice(rig.fd, rig.devId, nestedAt(), { pasid: 0 })).toBe(-EINVAL);
  });
});

describe('malformed VT-d uAPI structs: the kernel\'s errno and nothing else changes', () => {
  let rig: VtdRig;
  let parent: number;
  let nested: number;

  beforeEach(async () => {
    rig = await VtdRig.create();
    parent = rig.nestParent();
    rig.mapFirstStage(IOVA, PAGE_A);
    rig.guestWrite(PAGE_A, 'page A');
    rig.guestWrite(PAGE_B, 'page B');
    nested = rig.vmm.hwptAllocVtdS1(rig.devId, parent, IOMMU_HWPT_ALLOC_PASID, { pgtblAddr: PML4, addrWidth: 48 }).id;
    rig.sys.attachDevice(rig.fd, rig.devId, nested, { pasid: PASID });
    // A stale translation stays cached: any invalidation a bad call performed would show.
    rig.read(IOVA, 6);
    rig.mapFirstStage(IOVA, PAGE_B);
  });

  const unchanged = (call: () => number, errno: number) => {
    const before = rig.snapshot();
    expect(call()).toBe(-errno);
    expect(rig.snapshot()).toEqual(before);
  };
  const alloc = (s1: { flags?: bigint; pgtblAddr: bigint; addrWidth: number; reserved?: number }, extra = {}, flags = IOMMU_HWPT_ALLOC_PASID, pt = () => parent) =>
    rig.vmm.hwptAllocVtdS1(rig.devId, pt(), flags, s1, extra).rc;
  const good = { pgtblAddr: PML4, addrWidth: 48 };

  it('HWPT_ALLOC: short and long data (EINVAL), foreign data types (EOPNOTSUPP), bad pointer (EFAULT), bad flags (EOPNOTSUPP), non-parent (EINVAL)', () => {
    unchanged(() => alloc(good, { len: 23 }), EINVAL);
    unchanged(() => alloc(good, { len: 25 }), EINVAL);
    unchanged(() => alloc(good, { dataType: 2 }), EOPNOTSUPP);
    unchanged(() => alloc(good, { dataType: IOMMU_HWPT_DATA_SELFTEST }), EOPNOTSUPP);
    unchanged(() => rig.vmm.hwptAlloc({ flags: IOMMU_HWPT_ALLOC_PASID, dev_id: rig.devId, pt_id: parent, data_type: 1, data_len: 24, data_uptr: 0x10n }).rc, EFAULT);
    unchanged(() => alloc(good, {}, IOMMU_HWPT_ALLOC_NEST_PARENT), EOPNOTSUPP);
    unchanged(() => alloc(good, {}, IOMMU_HWPT_ALLOC_DIRTY_TRACKING), EOPNOTSUPP);
    const plain = rig.vmm.hwptAlloc({ dev_id: rig.devId, pt_id: rig.ioas }).id;
    unchanged(() => alloc(good, {}, IOMMU_HWPT_ALLOC_PASID, () => plain), EINVAL);
    unchanged(() => alloc(good, {}, IOMMU_HWPT_ALLOC_PASID, () => nested), EINVAL);
    // Paging HWPTs take no VT-d data.
    unchanged(() => rig.vmm.hwptAllocVtdS1(rig.devId, rig.ioas, 0, good).rc, EOPNOTSUPP);
    unchanged(() => rig.vmm.hwptAlloc({ flags: IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_FAULT_ID_VALID, dev_id: rig.devId, pt_id: rig.ioas }).rc, EOPNOTSUPP);
  });

  it('the struct\'s flags, addr_width and pgtbl_addr are checked when the PASID entry is written (attach: EINVAL); __reserved is not checked', () => {
    for (const s1 of [
      { ...good, flags: 1n << 3n },
      { ...good, addrWidth: 39 },
      { ...good, addrWidth: 0 },
      { ...good, pgtblAddr: PML4 + 8n },
    ]) {
      const rc = alloc(s1);
      expect(rc).toBe(0);
      const id = rig.vmm.hwptAllocVtdS1(rig.devId, parent, IOMMU_HWPT_ALLOC_PASID, s1).id;
      unchanged(() => rig.sys.attachDevice(rig.fd, rig.devId, id, { pasid: 9 }), EINVAL);
    }
    const reserved = rig.vmm.hwptAllocVtdS1(rig.devId, parent, IOMMU_HWPT_ALLOC_PASID, { ...good, reserved: 1, flags: IOMMU_VTD_S1_SRE });
    expect(reserved.rc).toBe(0);
    expect(rig.sys.attachDevice(rig.fd, rig.devId, reserved.id, { pasid: 9 })).toBe(reserved.id);
  });

  it('HWPT_INVALIDATE: wrong type, entry_len, flags, __reserved, alignment, npages — entry_num 0 and the stale entry still used', () => {
    const inv = (entries: Parameters<VtdRig['vmm']['invalidateVtdS1']>[1], extra = {}) => {
      const r = rig.vmm.invalidateVtdS1(nested, entries, extra);
      expect(r.entryNum).toBe(0);
      return r.rc;
    };
    const one = [{ addr: IOVA, npages: 1n }];
    unchanged(() => inv(one, { dataType: 1 }), EINVAL);
    unchanged(() => inv([], { dataType: 1, entryNum: 0 }), EINVAL);
    unchanged(() => inv(one, { entryLen: 23 }), EINVAL);
    unchanged(() => inv(one, { entryLen: 25 }), EINVAL);
    unchanged(() => inv([{ ...one[0], flags: 2 }]), EOPNOTSUPP);
    unchanged(() => inv([{ ...one[0], reserved: 1 }]), EOPNOTSUPP);
    unchanged(() => inv([{ addr: IOVA + 0x800n, npages: 1n }]), EINVAL);
    unchanged(() => inv([{ addr: IOVA, npages: U64_MAX }]), EINVAL);
    expect(rig.read(IOVA, 6)).toBe('page A');
  });

  it('errors stop at the bad entry: entries before it took effect, entry_num counts them', () => {
    const r = rig.vmm.invalidateVtdS1(nested, [{ addr: IOVA, npages: 1n }, { addr: IOVA, npages: 1n, flags: 4 }]);
    expect(r).toEqual({ rc: -EOPNOTSUPP, entryNum: 1 });
    expect(rig.read(IOVA, 6)).toBe('page B');
  });
});
