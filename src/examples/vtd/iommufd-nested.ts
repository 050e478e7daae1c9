// The nested VT-d flow through iommufd, as a VMM drives it: guest RAM is process memory
// mapped in an IOAS at its guest-physical addresses, a NEST_PARENT paging HWPT is the
// second stage (GPA -> HPA), the guest's first-stage tables live in that RAM, and a
// nested HWPT with IOMMU_HWPT_DATA_VTD_S1 is attached at PASID 7 of a VT-d device.
// Device DMA is `sys.dma`, resolved by the VtdUnit from the PASID entry the host wrote.
// Returns the transcript the README quotes.
import { Engine } from '../../engine/engine.js';
import { IOMMU_HWPT_ALLOC_NEST_PARENT, IOMMU_HWPT_ALLOC_PASID, IommuHwInfoVtd, errnoName, unpackStruct, type DmaResult } from '../../uapi/index.js';
import { System } from '../../host/system.js';
import { hex } from '../../hw/common/bits.js';
import { VtdDevice } from '../../drivers/vtd/device.js';
import { VtdIommu } from '../../drivers/vtd/host-iommu.js';
import { vtdDriver } from '../../drivers/vtd/driver.js';
import { VmmClient } from './vmm-client.js';

const GUEST_RAM = 2 * 1024 * 1024;
const DEVICE_SID = (0 << 8) | (3 << 3) | 0; // 00:03.0
const PASID = 7;
const IOVA = 0x7f12_3456_7000n;
const [PML4, PDPT, PD, PT] = [0x1000n, 0x2000n, 0x3000n, 0x4000n];
const TABLE = 0b111n; // P | R/W | U/S
const PAGE_A = 0x10_0000n;
const PAGE_B = 0x18_0000n;

export async function runVtdIommufdExample(): Promise<string> {
  const out: string[] = [];
  const log = (line: string) => out.push(line);
  const rc = (v: number) => (v < 0 ? `-${errnoName(v)}` : String(v));
  const engine = await Engine.create({ physMemBytes: 64 * 1024 * 1024 });
  const sys = await System.create({ engine, drivers: [vtdDriver] });
  const iommu = new VtdIommu(engine, { staleCheck: true });
  const fd = sys.open('/dev/iommu');
  const vmm = new VmmClient(sys, fd);
  const devId = sys.bindDevice(fd, new VtdDevice(iommu, { sourceId: DEVICE_SID }));
  log(`open("/dev/iommu") = ${fd}; bind 00:03.0 behind the VT-d unit = device ${devId}`);

  const info = vmm.hwInfo(devId);
  const vtd = unpackStruct(IommuHwInfoVtd, info.data);
  log(`IOMMU_GET_HW_INFO = ${rc(info.rc)}: type ${info.out.data_type} (INTEL_VTD), data_len ${info.out.data_len}, ` +
    `cap_reg ${hex(vtd.cap_reg)}, ecap_reg ${hex(vtd.ecap_reg)}, max_pasid_log2 ${info.out.out_max_pasid_log2}, capabilities ${hex(info.out.out_capabilities)}`);

  // Guest RAM: process memory, mapped in the IOAS at GPA 0.
  const ram = sys.mem.alloc(GUEST_RAM);
  const guestWrite64 = (gpa: bigint, value: bigint) => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, value, true);
    sys.mem.write(ram + Number(gpa), b);
  };
  const guestRead = (gpa: bigint, n: number) => {
    const r = sys.mem.read(ram + Number(gpa), n);
    return r.ok ? new TextDecoder().decode(r.value) : '<unreadable>';
  };
  const ioas = vmm.ioasAlloc();
  log(`IOMMU_IOAS_ALLOC = ${rc(ioas.rc)}: ioas ${ioas.id}`);
  log(`IOMMU_IOAS_MAP(guest RAM, ${GUEST_RAM / 1024} KiB at IOVA=GPA 0) = ${rc(vmm.mapFixed(ioas.id, ram, GUEST_RAM, 0n))}`);
  const parent = vmm.hwptAlloc({ flags: IOMMU_HWPT_ALLOC_NEST_PARENT, dev_id: devId, pt_id: ioas.id });
  log(`IOMMU_HWPT_ALLOC(NEST_PARENT, pt ioas ${ioas.id}) = ${rc(parent.rc)}: paging hwpt ${parent.id} (second stage GPA -> HPA)`);

  // The guest's first stage: IOVA -> GPA PAGE_A, four levels in its RAM.
  const index = (level: number) => (IOVA >> BigInt(12 + 9 * level)) & 511n;
  guestWrite64(PML4 + index(3) * 8n, PDPT | TABLE);
  guestWrite64(PDPT + index(2) * 8n, PD | TABLE);
  guestWrite64(PD + index(1) * 8n, PT | TABLE);
  guestWrite64(PT + index(0) * 8n, PAGE_A | TABLE);
  log(`guest: first-stage tables at GPA ${hex(PML4)}, IOVA ${hex(IOVA)} -> GPA ${hex(PAGE_A)}`);

  const nested = vmm.hwptAllocVtdS1(devId, parent.id, IOMMU_HWPT_ALLOC_PASID, { pgtblAddr: PML4, addrWidth: 48 });
  log(`IOMMU_HWPT_ALLOC(PASID, pt hwpt ${parent.id}, VTD_S1{pgtbl_addr ${hex(PML4)}, addr_width 48}) = ${rc(nested.rc)}: nested hwpt ${nested.id}`);
  log(`attach device ${devId} PASID ${PASID} -> hwpt ${nested.id} = ${rc(sys.attachDevice(fd, devId, nested.id, { pasid: PASID }))}`);

  const show = (r: DmaResult) => ('data' in r ? `"${new TextDecoder().decode(r.data)}"` : `fault reason ${r.fault.reason} (VT-d ${hex((r.fault as { vtdReason?: number }).vtdReason ?? 0)})`);
  const write = sys.dma(devId, { pasid: PASID, iova: IOVA + 0x10n, write: true, data: new TextEncoder().encode('hello') });
  log(`DMA write "hello" at PASID ${PASID} IOVA ${hex(IOVA + 0x10n)}: ${'data' in write ? 'ok' : show(write)}; guest reads GPA ${hex(PAGE_A + 0x10n)}: "${guestRead(PAGE_A + 0x10n, 5)}"`);
  sys.mem.write(ram + Number(PAGE_B), new TextEncoder().encode('page B'));
  sys.mem.write(ram + Number(PAGE_A), new TextEncoder().encode('page A'));
  log(`DMA read 6 bytes at IOVA ${hex(IOVA)}: ${show(sys.dma(devId, { pasid: PASID, iova: IOVA, length: 6 }))}`);

  guestWrite64(PT + index(0) * 8n, PAGE_B | TABLE);
  const staleBefore = engine.counters().staleHits;
  const stale = sys.dma(devId, { pasid: PASID, iova: IOVA, length: 6 });
  log(`guest PTE -> GPA ${hex(PAGE_B)}, no invalidation; DMA read: ${show(stale)} (stale hits +${engine.counters().staleHits - staleBefore})`);
  const inv = vmm.invalidateVtdS1(nested.id, [{ addr: IOVA, npages: 1n }]);
  log(`IOMMU_HWPT_INVALIDATE(hwpt ${nested.id}, VTD_S1{addr ${hex(IOVA)}, npages 1}) = ${rc(inv.rc)}, entry_num ${inv.entryNum}`);
  const freshBefore = engine.counters().staleHits;
  log(`DMA read: ${show(sys.dma(devId, { pasid: PASID, iova: IOVA, length: 6 }))} (stale hits +${engine.counters().staleHits - freshBefore})`);

  const bad = vmm.invalidateVtdS1(nested.id, [{ addr: IOVA, npages: 1n }, { addr: IOVA + 1n, npages: 1n }]);
  log(`IOMMU_HWPT_INVALIDATE(2 entries, second addr misaligned) = ${rc(bad.rc)}, entry_num ${bad.entryNum}`);
  const miss = sys.dma(devId, { pasid: PASID, iova: 0x1000n, length: 4 });
  log(`DMA read at unmapped IOVA 0x1000: ${show(miss)}`);
  return out.join('\n');
}
