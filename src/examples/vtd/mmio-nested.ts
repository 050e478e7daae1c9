// A nested VT-d guest, end to end: the host owns the second stage (guest RAM), the
// guest writes its first-stage tables into that RAM, a device on PASID 7 does DMA,
// the guest changes a PTE and invalidates with a P_IOTLB descriptor.
import { Engine } from '../../engine/engine.js';
import { Access, Perm } from '../../engine/types.js';
import { hex, place } from '../../hw/common/bits.js';
import { IOMMU_HWPT_DATA_VTD_S1, IOMMU_VTD_S1_SRE, IommuHwptVtdS1, packStruct } from '../../iommu/abi/index.js';
import { nestedPasidEntry, parseVtdS1Alloc } from '../../drivers/vtd/iommufd.js';
import { Gcmd, Reg } from '../../hw/vtd/registers.js';
import { VtdUnit } from '../../hw/vtd/unit.js';

const PAGE = 0x1000n;
const GUEST_RAM = 0x40_0000n; // 4 MiB of guest-physical memory
const DEVICE = (0 << 8) | (2 << 3) | 0; // 00:02.0
const PASID = 7;
const DID = 1;

export async function runVtdNestedExample(): Promise<string> {
  const out: string[] = [];
  const log = (line: string) => out.push(line);
  const engine = await Engine.create({ physMemBytes: 64 * 1024 * 1024 });
  const unit = new VtdUnit(engine, { staleCheck: true });
  log(`VT-d unit: CAP ${hex(unit.mmioRead(Reg.CAP, 8))} ECAP ${hex(unit.mmioRead(Reg.ECAP, 8))}`);

  // Host: guest RAM is host frames, mapped GPA -> HPA in a second stage the host owns.
  const secondStage = engine.createSpace({ format: 'vtd-ss', levels: 4, group: 1000 });
  const hpaOf = new Map<bigint, bigint>();
  for (let gpa = 0n; gpa < GUEST_RAM; gpa += PAGE) {
    const hpa = engine.phys.allocFrame();
    if (hpa === undefined) throw new Error('out of host memory');
    engine.map(secondStage, gpa, hpa, PAGE, Perm.R | Perm.W);
    hpaOf.set(gpa, hpa);
  }
  const guestWrite64 = (gpa: bigint, value: bigint) => engine.phys.write64(hpaOf.get(gpa & ~0xfffn)! + (gpa & 0xfffn), value);
  log(`host: ${GUEST_RAM / PAGE} guest pages mapped by a 4-level second stage at HPA ${hex(engine.root(secondStage))}`);

  // Guest: first-stage tables in its RAM (PML4 at GPA 0x1000, then PDPT, PD, PT).
  const [pml4, pdpt, pd, pt] = [0x1000n, 0x2000n, 0x3000n, 0x4000n];
  const TABLE = 0b111n; // P | R/W | U/S
  const USER_RW = 0b111n;
  const iova = 0x7f12_3456_7000n;
  const index = (level: number) => (iova >> BigInt(12 + 9 * level)) & 511n;
  guestWrite64(pml4 + index(3) * 8n, pdpt | TABLE);
  guestWrite64(pdpt + index(2) * 8n, pd | TABLE);
  guestWrite64(pd + index(1) * 8n, pt | TABLE);
  guestWrite64(pt + index(0) * 8n, 0x20_0000n | USER_RW);
  log(`guest: first stage at GPA ${hex(pml4)} maps IOVA ${hex(iova)} -> GPA 0x200000`);

  // VMM: the guest's stage-1 config arrives as IOMMU_HWPT_DATA_VTD_S1 and becomes a nested PASID entry.
  const data = packStruct(IommuHwptVtdS1, { flags: IOMMU_VTD_S1_SRE, pgtbl_addr: pml4, addr_width: 48 });
  const s1 = parseVtdS1Alloc({ hwptFlags: 0, dataType: IOMMU_HWPT_DATA_VTD_S1, data, parentIsNestParent: true, nestingSupported: true });
  if (!s1.ok) throw new Error(`VTD_S1 rejected: errno ${s1.errno}`);

  // Remapping structures in host memory: root -> scalable context -> PASID directory -> PASID table.
  const frame = () => engine.phys.allocFrame()!;
  const [root, context, pasidDir, pasidTable, queue, status] = [frame(), frame(), frame(), frame(), frame(), frame()];
  engine.phys.write64(root, context | 1n);
  engine.phys.write64(context + BigInt((DEVICE & 0x7f) * 32), pasidDir | place(7, 11, 9) | 0b1001n); // P, PASIDE, PDTS 7
  engine.phys.write64(pasidDir + BigInt((PASID >> 6) * 8), pasidTable | 1n);
  const entry = nestedPasidEntry(s1.value, DID, { root: engine.root(secondStage), aw: 2, ssade: false });
  entry.forEach((word, i) => engine.phys.write64(pasidTable + BigInt((PASID & 63) * 64 + i * 8), word));

  // Driver bring-up through MMIO: root table (scalable), invalidation queue, translation.
  unit.mmioWrite(Reg.RTADDR, 8, root | (1n << 10n));
  unit.mmioWrite(Reg.GCMD, 4, Gcmd.SRTP);
  unit.mmioWrite(Reg.IQA, 8, queue | (1n << 11n));
  unit.mmioWrite(Reg.GCMD, 4, Gcmd.QIE);
  unit.mmioWrite(Reg.GCMD, 4, (Gcmd.QIE | Gcmd.TE) >>> 0);
  log(`driver: GSTS ${hex(unit.mmioRead(Reg.GSTS, 4))} (TES, RTPS, QIES)`);

  const dma = (label: string, offset: bigint, access: number) => {
    const r = unit.translate(DEVICE, PASID, iova + offset, access);
    if (!r.ok) return log(`${label}: fault reason ${hex(r.reason)}`);
    if (access === Access.WRITE) engine.phys.write(r.addr, new TextEncoder().encode('hello'));
    log(`${label}: IOVA ${hex(iova + offset)} -> HPA ${hex(r.addr)} (GPA 0x${(0x20_0000n + offset).toString(16)} in guest RAM: ${r.addr === hpaOf.get(0x20_0000n)! + offset})`);
  };
  dma('DMA write', 0x10n, Access.WRITE);
  dma('DMA read ', 0x80n, Access.READ);
  const bytes = engine.phys.read(hpaOf.get(0x20_0000n)! + 0x10n, 5);
  log(`guest reads GPA 0x200010: "${new TextDecoder().decode(bytes)}"`);

  // The guest moves the page to GPA 0x300000 but has not invalidated yet.
  guestWrite64(pt + index(0) * 8n, 0x30_0000n | USER_RW);
  const stale = unit.translate(DEVICE, PASID, iova, Access.READ);
  log(`after the PTE change, no invalidation: HPA ${stale.ok ? hex(stale.addr) : 'fault'} (stale hits: ${engine.counters().staleHits})`);

  // P_IOTLB page-selective for DID 1 / PASID 7, then a wait descriptor with status write.
  let tail = 0n;
  const submit = (q0: bigint, q1: bigint) => {
    [q0, q1, 0n, 0n].forEach((w, i) => engine.phys.write64(queue + tail + BigInt(i * 8), w));
    tail += 32n;
  };
  submit(0x6n | place(3, 5, 4) | place(DID, 31, 16) | place(PASID, 51, 32), iova);
  submit(0x5n | place(1, 5, 5) | place(0x1234, 63, 32), status);
  unit.mmioWrite(Reg.IQT, 8, tail);
  log(`P_IOTLB(DID ${DID}, PASID ${PASID}, ${hex(iova)}) + wait: status ${hex(engine.phys.read64(status) ?? 0n)}, IQH ${hex(unit.mmioRead(Reg.IQH, 8))}`);
  const fresh = unit.translate(DEVICE, PASID, iova, Access.READ);
  log(`after invalidation: HPA ${fresh.ok ? hex(fresh.addr) : 'fault'} (GPA 0x300000 in guest RAM: ${fresh.ok && fresh.addr === hpaOf.get(0x30_0000n)})`);

  const miss = unit.translate(DEVICE, PASID, 0x1000n, Access.READ);
  const record = unit.faults.pending()[0];
  log(`DMA to an unmapped IOVA: ${miss.ok ? 'translated' : `fault reason ${hex(miss.reason)}`}; FRCD0 sid ${hex(record.sid)} pasid ${record.pasid} addr ${hex(record.addr)}`);
  return out.join('\n');
}
