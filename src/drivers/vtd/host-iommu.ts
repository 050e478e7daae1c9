// The host driver's side of one VT-d unit, as the iommufd driver needs it: the unit
// brought up through MMIO (scalable-mode root table, 256-bit invalidation queue, page
// request queue, translation enabled), the root/context/PASID structures in host
// memory, domain IDs, and every cache flush submitted as descriptors on the queue —
// the unit learns nothing through another door. Devices behind it are probed here
// (context entry written once, every PASID blocked until an attach writes its entry).
import type { Engine } from '../../engine/engine.js';
import { field, fieldNum, mask } from '../../hw/common/bits.js';
import { HostDescriptor, HOST_PASID_BITS, pageBlocks, scalableContextEntry } from './host-encoding.js';
import { Fsts, Gcmd, Reg } from '../../hw/vtd/registers.js';
import { VtdUnit, type VtdUnitOptions } from '../../hw/vtd/unit.js';
import type { PageResponse } from '../../hw/vtd/page-requests.js';

const PAGE = 4096n;
const DESCRIPTOR_BYTES = 32n;
/** PASID the context entry names for requests without one (RID_PASID): Linux's IOMMU_NO_PASID. */
export const RID_PASID = 0;

/** A page request the host took off the page request queue. */
export interface HostPageRequest {
  sid: number;
  pasid: number | undefined;
  addr: bigint;
  groupIndex: number;
}

export interface VtdIommuOptions extends Omit<VtdUnitOptions, 'onPageResponse'> {}

export class VtdIommu {
  readonly unit: VtdUnit;
  /** Page responses as the devices received them (from the driver, or from the unit itself). */
  readonly deviceResponses: PageResponse[] = [];
  private readonly rta: bigint;
  private readonly queue: bigint;
  private readonly status: bigint;
  private readonly prq: bigint;
  private tail = 0n;
  private readonly contextTables = new Map<string, bigint>();
  private readonly pasidDirs = new Map<number, bigint>();
  private readonly pasidTables = new Map<string, bigint>();
  private readonly dids = new Map<object, number>();
  private readonly freeDids: number[] = [];
  private nextDid = 1;
  /** Host frames the structures occupy (released by `shutdown`). */
  private readonly frames: bigint[] = [];

  constructor(readonly engine: Engine, options: VtdIommuOptions = {}) {
    this.unit = new VtdUnit(engine, { ...options, onPageResponse: (r) => this.deviceResponses.push(r) });
    this.rta = this.zeroedFrame();
    this.queue = this.zeroedFrame();
    this.status = this.zeroedFrame();
    this.prq = this.zeroedFrame();
    // Bring-up in the order the driver does it: root table, queue, page requests, translation.
    this.unit.mmioWrite(Reg.RTADDR, 8, this.rta | (1n << 10n));
    this.command(Gcmd.SRTP);
    this.unit.mmioWrite(Reg.IQT, 8, 0n);
    this.unit.mmioWrite(Reg.IQA, 8, this.queue | (1n << 11n));
    this.command(Gcmd.QIE);
    this.unit.mmioWrite(Reg.PQA, 8, this.prq);
    this.command(Gcmd.TE);
  }

  get cap(): bigint { return this.unit.cap; }
  get ecap(): bigint { return this.unit.ecap; }

  /** Device probe: a scalable context entry whose PASID directory is empty (all DMA blocked). */
  probe(sid: number, pageRequests: boolean): void {
    if (this.pasidDirs.has(sid)) throw new Error(`source-id ${sid} is already probed on this unit`);
    const dir = this.zeroedFrame();
    this.pasidDirs.set(sid, dir);
    const entry = scalableContextEntry({ pasidDir: dir, pageRequests, ridPasid: RID_PASID });
    const at = this.contextEntryAddress(sid);
    entry.forEach((w, i) => this.engine.phys.write64(at + BigInt(i * 8), w));
    // Not-present entries may be cached on a caching-mode unit: tell it the entry changed.
    this.submit([HostDescriptor.contextDevice(0, sid)]);
  }

  /** The DID this unit tags a domain's translations with (allocated on first use). */
  didOf(domain: object): number {
    let did = this.dids.get(domain);
    if (did === undefined) {
      did = this.freeDids.pop() ?? this.nextDid++;
      this.dids.set(domain, did);
    }
    return did;
  }

  /** A freed domain: drop whatever is still tagged with its DID and recycle the DID. */
  releaseDid(domain: object): void {
    const did = this.dids.get(domain);
    if (did === undefined) return;
    this.submit([HostDescriptor.iotlbDomain(did)]);
    this.dids.delete(domain);
    this.freeDids.push(did);
  }

  /**
   * Writes (or clears, `words` null) the PASID-table entry of `sid`/`pasid`, then
   * invalidates what the unit may hold for the entry it replaced: its PASID-cache entry
   * and every translation tagged with the old DID and this PASID.
   */
  setPasidEntry(sid: number, pasid: number, words: readonly bigint[] | null): void {
    const at = this.pasidEntryAddress(sid, pasid);
    const old = this.engine.phys.read64(at) ?? 0n;
    const oldDid = fieldNum(this.engine.phys.read64(at + 8n) ?? 0n, 15, 0);
    // Clear P first so that the unit never sees a half-written entry as present.
    this.engine.phys.write64(at, 0n);
    const next = words ?? new Array<bigint>(8).fill(0n);
    for (let i = 7; i >= 0; i--) this.engine.phys.write64(at + BigInt(i * 8), next[i]);
    if (old & 1n) this.submit([HostDescriptor.pasidCache(oldDid, pasid), HostDescriptor.pasidAll(oldDid, pasid)]);
    else this.submit([HostDescriptor.pasidCache(fieldNum(next[1], 15, 0), pasid)]);
  }

  /** IOTLB invalidation of a second-stage range for `did` (drops nested entries of the DID too). */
  flushDomainRange(did: number, addr: bigint, bytes: bigint): void {
    const blocks = pageBlocks(addr, bytes, this.unit.features.maxAddressMask);
    if (!blocks) return this.submit([HostDescriptor.iotlbDomain(did)]);
    this.submit(blocks.map((b) => HostDescriptor.iotlbPages(did, b.addr, b.am, false)));
  }

  /** PASID-based IOTLB invalidation of first-stage translations; `bytes` undefined = all of the PASID. */
  flushPasidRange(did: number, pasid: number, addr: bigint, bytes: bigint | undefined, leafOnly: boolean): void {
    const blocks = bytes === undefined ? undefined : pageBlocks(addr, bytes, this.unit.features.maxAddressMask);
    if (!blocks) return this.submit([HostDescriptor.pasidAll(did, pasid)]);
    this.submit(blocks.map((b) => HostDescriptor.pasidPages(did, pasid, b.addr, b.am, leafOnly)));
  }

  /** The oldest page request the unit queued, taken off the queue (PQH moves past it). */
  takePageRequest(): HostPageRequest | undefined {
    const head = this.unit.mmioRead(Reg.PQH, 8);
    if (head === this.unit.mmioRead(Reg.PQT, 8)) return undefined;
    const q0 = this.engine.phys.read64(this.prq + head) ?? 0n;
    const q1 = this.engine.phys.read64(this.prq + head + 8n) ?? 0n;
    this.unit.mmioWrite(Reg.PQH, 8, (head + DESCRIPTOR_BYTES) % PAGE);
    return {
      sid: fieldNum(q0, 31, 16),
      pasid: q0 & (1n << 8n) ? fieldNum(q0, 51, 32) : undefined,
      addr: q1 & mask(63, 12),
      groupIndex: fieldNum(q1, 11, 3),
    };
  }

  /** A page group response for `request` (code: 0 success, 1 invalid request) through the queue. */
  respond(request: HostPageRequest, code: number): void {
    this.submit([HostDescriptor.pageGroupResponse(request.sid, request.pasid, request.groupIndex, code)]);
  }

  /** The eight words of a PASID-table entry as the unit would read them (zeros where no table exists). */
  pasidEntryWords(sid: number, pasid: number): bigint[] {
    const table = this.pasidTables.get(`${sid}:${pasid >>> 6}`);
    if (table === undefined) return new Array<bigint>(8).fill(0n);
    const at = table + BigInt((pasid & 63) * 64);
    return Array.from({ length: 8 }, (_, i) => this.engine.phys.read64(at + BigInt(i * 8)) ?? 0n);
  }

  /** PASID width the host's PASID directory reaches. */
  get pasidBits(): number {
    return Math.min(HOST_PASID_BITS, Number(field(this.unit.ecap, 39, 35)) + 1);
  }

  /** Writes descriptors and a status-writing wait at the tail, moves IQT, and checks completion. */
  submit(descriptors: readonly bigint[][]): void {
    this.engine.phys.write64(this.status, 0n);
    for (const d of [...descriptors, HostDescriptor.wait(this.status, 1)]) {
      [d[0], d[1], 0n, 0n].forEach((w, i) => this.engine.phys.write64(this.queue + this.tail + BigInt(i * 8), w));
      this.tail = (this.tail + DESCRIPTOR_BYTES) % PAGE;
    }
    this.unit.mmioWrite(Reg.IQT, 8, this.tail);
    // A driver bug, never a user error: the host only writes descriptors it knows are valid.
    if (Number(this.unit.mmioRead(Reg.FSTS, 4)) & Fsts.IQE) throw new Error('VT-d host: the unit refused a descriptor (FSTS.IQE)');
    if (this.engine.phys.read64(this.status) !== 1n) throw new Error('VT-d host: the invalidation wait did not complete');
  }

  private command(bit: number): void {
    const persistent = Number(this.unit.mmioRead(Reg.GSTS, 4)) & (Gcmd.TE | Gcmd.QIE);
    this.unit.mmioWrite(Reg.GCMD, 4, (persistent | bit) >>> 0);
  }

  private contextEntryAddress(sid: number): bigint {
    const bus = sid >>> 8;
    const upper = (sid & 0xff) >= 128 ? 1 : 0;
    const key = `${bus}:${upper}`;
    let table = this.contextTables.get(key);
    if (table === undefined) {
      table = this.zeroedFrame();
      this.contextTables.set(key, table);
      this.engine.phys.write64(this.rta + BigInt(bus * 16 + upper * 8), table | 1n);
    }
    return table + BigInt((sid & 0x7f) * 32);
  }

  private pasidEntryAddress(sid: number, pasid: number): bigint {
    const dir = this.pasidDirs.get(sid);
    if (dir === undefined) throw new Error(`source-id ${sid} was not probed on this unit`);
    const key = `${sid}:${pasid >>> 6}`;
    let table = this.pasidTables.get(key);
    if (table === undefined) {
      table = this.zeroedFrame();
      this.pasidTables.set(key, table);
      this.engine.phys.write64(dir + BigInt((pasid >>> 6) * 8), table | 1n);
    }
    return table + BigInt((pasid & 63) * 64);
  }

  private zeroedFrame(): bigint {
    const pa = this.engine.phys.allocFrame();
    if (pa === undefined) throw new Error('VT-d host: out of host memory for remapping structures');
    for (let off = 0n; off < PAGE; off += 8n) this.engine.phys.write64(pa + off, 0n);
    this.frames.push(pa);
    return pa;
  }
}
