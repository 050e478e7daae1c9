// A VMM with one VT-d device over iommufd for the tests: guest RAM is process memory
// mapped in an IOAS at GPA 0, a NEST_PARENT paging HWPT over it, and a helper that
// writes a 4-level first stage into guest RAM. `snapshot` captures everything a failed
// call must leave alone: the object table, the device's attachments, the unit's
// spaces and caches' counters, and the PASID entries the host wrote.
import { Engine } from '../../src/engine/engine.js';
import { IOMMU_HWPT_ALLOC_NEST_PARENT, System } from '../../src/index.js';
import { VtdDevice, VtdIommu, vtdDriver } from '../../src/drivers/vtd/index.js';
import { VmmClient } from '../../src/examples/vtd/vmm-client.js';

export const GUEST_RAM = 2 * 1024 * 1024;
export const SID = (0 << 8) | (3 << 3) | 0;
export const PASID = 7;
export const IOVA = 0x7f12_3456_7000n;
export const PML4 = 0x1000n;
export const PAGE_A = 0x10_0000n;
export const PAGE_B = 0x18_0000n;
const TABLE = 0b111n;

export class VtdRig {
  private constructor(
    readonly engine: Engine,
    readonly sys: System,
    readonly iommu: VtdIommu,
    readonly device: VtdDevice,
    readonly fd: number,
    readonly vmm: VmmClient,
    readonly devId: number,
    readonly ram: number,
    readonly ioas: number,
  ) {}

  static async create(): Promise<VtdRig> {
    const engine = await Engine.create({ physMemBytes: 64 * 1024 * 1024 });
    const sys = await System.create({ engine, drivers: [vtdDriver] });
    const iommu = new VtdIommu(engine, { staleCheck: true });
    const device = new VtdDevice(iommu, { sourceId: SID });
    const fd = sys.open('/dev/iommu');
    const vmm = new VmmClient(sys, fd);
    const devId = sys.bindDevice(fd, device);
    const ram = sys.mem.alloc(GUEST_RAM);
    const ioas = vmm.ioasAlloc().id;
    if (vmm.mapFixed(ioas, ram, GUEST_RAM, 0n) !== 0) throw new Error('guest RAM map failed');
    return new VtdRig(engine, sys, iommu, device, fd, vmm, devId, ram, ioas);
  }

  nestParent(flags = 0): number {
    const r = this.vmm.hwptAlloc({ flags: IOMMU_HWPT_ALLOC_NEST_PARENT | flags, dev_id: this.devId, pt_id: this.ioas });
    if (r.rc !== 0) throw new Error(`nest parent: ${r.rc}`);
    return r.id;
  }

  guestWrite64(gpa: bigint, value: bigint): void {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, value, true);
    this.sys.mem.write(this.ram + Number(gpa), b);
  }

  guestWrite(gpa: bigint, text: string): void {
    this.sys.mem.write(this.ram + Number(gpa), new TextEncoder().encode(text));
  }

  guestRead(gpa: bigint, n: number): string {
    const r = this.sys.mem.read(this.ram + Number(gpa), n);
    return r.ok ? new TextDecoder().decode(r.value) : '<unreadable>';
  }

  /** PML4..PT at GPA 0x1000..0x4000, mapping `iova` to `gpa` (user, read-write). */
  mapFirstStage(iova: bigint, gpa: bigint): void {
    const index = (level: number) => (iova >> BigInt(12 + 9 * level)) & 511n;
    this.guestWrite64(PML4 + index(3) * 8n, 0x2000n | TABLE);
    this.guestWrite64(0x2000n + index(2) * 8n, 0x3000n | TABLE);
    this.guestWrite64(0x3000n + index(1) * 8n, 0x4000n | TABLE);
    this.guestWrite64(0x4000n + index(0) * 8n, gpa | TABLE);
  }

  /** The bytes read as text, `fault:<VT-d reason>`, or `blocked` (nothing attached there). */
  read(iova: bigint, length: number, pasid: number | 'rid' = PASID): string {
    const r = this.sys.dma(this.devId, { pasid: pasid === 'rid' ? undefined : pasid, iova, length });
    if ('data' in r) return new TextDecoder().decode(r.data);
    return r.fault.blocked ? 'blocked' : `fault:${(r.fault as { vtdReason?: number }).vtdReason?.toString(16)}`;
  }

  /** Everything a rejected call must leave exactly as it was. */
  snapshot(): unknown {
    const ctx = this.sys.contextOf(this.fd)!;
    const objects = [...ctx.objects.values()].map((o) => `${o.id}:${o.type}:${o.users}`);
    const counters = this.engine.counters();
    const pasidEntries = [undefined, PASID, 9].map((p) => this.device.attachedAt(p)?.kind ?? 'blocked');
    const entryWords = [0, PASID, 9].map((p) => this.iommu.pasidEntryWords(SID, p).map((w) => w.toString(16)).join(','));
    return { objects, counters, spaces: this.iommu.unit.spaces.size, pasidEntries, entryWords, faults: this.iommu.unit.faults.pending().length };
  }
}
