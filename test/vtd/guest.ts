// A guest driver's view of a VT-d unit for tests: it allocates host-physical pages for
// the remapping structures, writes root/context/PASID entries and page tables into
// engine memory with write64, programs registers through MMIO and submits
// descriptors on the invalidation queue — nothing reaches the unit another way.
import { Engine } from '../../src/engine/engine.js';
import { BumpAllocator, PageTableBuilder, guestMemory } from '../../src/oracle/index.js';
import type { PhysMemory, SpaceDescriptor } from '../../src/engine/types.js';
import { Gcmd, Reg, VtdUnit, type VtdUnitOptions } from '../../src/hw/vtd/index.js';

export const KiB4 = 0x1000n;
export const MiB2 = 0x20_0000n;
export const GiB1 = 0x4000_0000n;

export function place(value: bigint | number, hi: number, lo: number): bigint {
  const width = BigInt(hi - lo + 1);
  return (BigInt(value) & ((1n << width) - 1n)) << BigInt(lo);
}

export interface Rig {
  engine: Engine;
  unit: VtdUnit;
  /** Host pages for remapping structures and host-owned tables. */
  frames: BumpAllocator;
  host: PageTableBuilder;
  driver: Driver;
  interrupts: string[];
}

export async function createRig(options: VtdUnitOptions = {}, engineOptions: Parameters<typeof Engine.create>[0] = {}): Promise<Rig> {
  const engine = await Engine.create({ physMemBytes: 64 * 1024 * 1024, ...engineOptions });
  const interrupts: string[] = [];
  const unit = new VtdUnit(engine, { onInterrupt: (k) => interrupts.push(k), ...options });
  const frames = new BumpAllocator(0x100_0000n, 0x800_0000n);
  const host = new PageTableBuilder(engine.phys, frames);
  return { engine, unit, frames, host, driver: new Driver(engine, unit, frames), interrupts };
}

/** A zeroed host page. */
export function zeroPage(mem: PhysMemory, frames: BumpAllocator): bigint {
  const page = frames.next();
  for (let off = 0n; off < KiB4; off += 8n) mem.write64(page + off, 0n);
  return page;
}

export function writeWords(mem: PhysMemory, at: bigint, words: readonly bigint[]): void {
  words.forEach((w, i) => mem.write64(at + BigInt(i * 8), w));
}

// ---- structure encoders (iommu-hw-formats.md §2.1, §2.2) ----

export function legacyContext(o: { ssptptr?: bigint; aw?: number; did: number; tt?: number; fpd?: boolean }): bigint[] {
  return [1n | (o.fpd ? 2n : 0n) | place(o.tt ?? 0, 3, 2) | (o.ssptptr ?? 0n), place(o.aw ?? 2, 2, 0) | place(o.did, 23, 8)];
}

export function scalableContext(o: { pasidDir: bigint; pdts?: number; pasidEnable?: boolean; pre?: boolean; fpd?: boolean; ridPasid?: number }): bigint[] {
  return [
    1n | (o.fpd ? 2n : 0n) | ((o.pasidEnable ?? true) ? 8n : 0n) | (o.pre ? 16n : 0n) | place(o.pdts ?? 7, 11, 9) | o.pasidDir,
    BigInt(o.ridPasid ?? 0), 0n, 0n,
  ];
}

export interface PasidEntryFields {
  pgtt: number;
  did: number;
  aw?: number;
  ssptptr?: bigint;
  ssade?: boolean;
  fsptptr?: bigint;
  fsLevels?: 4 | 5;
  sre?: boolean;
  wpe?: boolean;
  eafe?: boolean;
  fpd?: boolean;
}

export function pasidEntry(o: PasidEntryFields): bigint[] {
  const q0 = 1n | (o.fpd ? 2n : 0n) | place(o.aw ?? 2, 4, 2) | place(o.pgtt, 8, 6) | (o.ssade ? 1n << 9n : 0n) | (o.ssptptr ?? 0n);
  const q2 = (o.sre ? 1n : 0n) | place(o.fsLevels === 5 ? 1 : 0, 3, 2) | (o.wpe ? 1n << 4n : 0n) | (o.eafe ? 1n << 7n : 0n) | (o.fsptptr ?? 0n);
  return [q0, BigInt(o.did), q2, 0n, 0n, 0n, 0n, 0n];
}

// ---- descriptors (iommu-hw-formats.md §2.7) ----

export const Desc = {
  contextGlobal: (): bigint[] => [0x1n | place(1, 5, 4), 0n],
  contextDomain: (did: number): bigint[] => [0x1n | place(2, 5, 4) | place(did, 31, 16), 0n],
  contextDevice: (did: number, sid: number, fm = 0): bigint[] => [0x1n | place(3, 5, 4) | place(did, 31, 16) | place(sid, 47, 32) | place(fm, 49, 48), 0n],
  iotlbGlobal: (): bigint[] => [0x2n | place(1, 5, 4), 0n],
  iotlbDomain: (did: number): bigint[] => [0x2n | place(2, 5, 4) | place(did, 31, 16), 0n],
  iotlbPages: (did: number, addr: bigint, am = 0, ih = false): bigint[] =>
    [0x2n | place(3, 5, 4) | place(did, 31, 16), addr | BigInt(am) | (ih ? 64n : 0n)],
  pasidAll: (did: number, pasid: number): bigint[] => [0x6n | place(2, 5, 4) | place(did, 31, 16) | place(pasid, 51, 32), 0n],
  pasidPages: (did: number, pasid: number, addr: bigint, am = 0, ih = false): bigint[] =>
    [0x6n | place(3, 5, 4) | place(did, 31, 16) | place(pasid, 51, 32), addr | BigInt(am) | (ih ? 64n : 0n)],
  pasidCacheDomain: (did: number): bigint[] => [0x7n | place(0, 5, 4) | place(did, 31, 16), 0n],
  pasidCachePasid: (did: number, pasid: number): bigint[] => [0x7n | place(1, 5, 4) | place(did, 31, 16) | place(pasid, 51, 32), 0n],
  pasidCacheGlobal: (): bigint[] => [0x7n | place(3, 5, 4), 0n],
  deviceTlb: (sid: number, addr: bigint): bigint[] => [0x3n | place(sid, 47, 32), addr],
  pasidDeviceTlb: (sid: number, pasid: number, addr: bigint): bigint[] => [0x8n | place(sid, 31, 16) | place(pasid, 51, 32), addr],
  wait: (statusAddr: bigint, data: number, interrupt = false): bigint[] =>
    [0x5n | (interrupt ? 16n : 0n) | 32n | place(data, 63, 32), statusAddr],
  waitInterrupt: (): bigint[] => [0x5n | 16n, 0n],
  pageGroupResponse: (rid: number, pasid: number | undefined, groupIndex: number, code = 0, lastInGroup = true): bigint[] =>
    [0x9n | (pasid !== undefined ? 16n | place(pasid, 51, 32) : 0n) | place(code, 15, 12) | place(rid, 31, 16),
      (lastInGroup ? 4n : 0n) | place(groupIndex, 11, 3)],
};

/** The guest's driver: registers and the invalidation queue. */
export class Driver {
  queue = 0n;
  wide = true;
  private tail = 0n;
  private queueBytes = 4096n;
  status = 0n;

  constructor(private readonly engine: Engine, private readonly unit: VtdUnit, private readonly frames: BumpAllocator) {}

  read(offset: number, size = 8): bigint { return this.unit.mmioRead(offset, size); }
  write(offset: number, value: bigint | number, size = 8): void { this.unit.mmioWrite(offset, size, value); }

  /** Persistent GCMD bits as GSTS reports them, plus `bits`. */
  command(bits: number): void {
    const sts = Number(this.read(Reg.GSTS, 4));
    const persistent = sts & (Gcmd.TE | Gcmd.QIE);
    this.write(Reg.GCMD, (persistent | bits) >>> 0, 4);
  }

  setRootTable(rta: bigint, scalable: boolean): void {
    this.write(Reg.RTADDR, rta | (scalable ? 1n << 10n : 0n));
    this.command(Gcmd.SRTP);
  }

  enableTranslation(): void { this.command(Gcmd.TE); }

  /** Queue of 2^qs pages with 256-bit (wide) or 128-bit descriptors; enabled with QIE. */
  enableQueue(wide = true, qs = 0): void {
    this.queue = this.frames.next();
    for (let p = 1; p < 1 << qs; p++) this.frames.next();
    this.wide = wide;
    this.queueBytes = 4096n << BigInt(qs);
    this.tail = 0n;
    this.write(Reg.IQT, 0n);
    this.write(Reg.IQA, this.queue | (wide ? 1n << 11n : 0n) | BigInt(qs));
    this.command(Gcmd.QIE);
    this.status = zeroPage(this.engine.phys, this.frames);
  }

  /** Writes descriptors at the tail and moves IQT past them. */
  submit(...descriptors: bigint[][]): void {
    for (const d of descriptors) {
      const words = this.wide ? [...d, 0n, 0n].slice(0, 4) : d.slice(0, 2);
      writeWords(this.engine.phys, this.queue + this.tail, words);
      this.tail = (this.tail + (this.wide ? 32n : 16n)) % this.queueBytes;
    }
    this.write(Reg.IQT, this.tail);
  }

  /** Submits descriptors followed by a wait with status write; returns whether the status landed. */
  submitAndWait(...descriptors: bigint[][]): boolean {
    this.engine.phys.write64(this.status, 0n);
    this.submit(...descriptors, Desc.wait(this.status, 0x600d));
    return this.engine.phys.read64(this.status) === 0x600dn;
  }

  /** Where the next descriptor goes (for tests that overwrite a bad one). */
  get tailOffset(): bigint { return this.tail; }
  set tailOffset(value: bigint) { this.tail = value; }
}

/** Guest memory as the first stage of a nested space sees it (GPAs through the second stage). */
export function gpaMemory(engine: Engine, secondStage: SpaceDescriptor): PhysMemory {
  return guestMemory(engine.phys, engine.paBits, secondStage);
}

/** Root, context and PASID structures of one unit, written the way a guest driver lays them out. */
export class Platform {
  readonly rta: bigint;
  private readonly contextTables = new Map<string, bigint>();
  private readonly pasidDirs = new Map<number, bigint>();
  private readonly pasidTables = new Map<string, bigint>();

  constructor(private readonly rig: Rig, readonly scalable: boolean) {
    this.rta = zeroPage(rig.engine.phys, rig.frames);
  }

  get mem(): PhysMemory { return this.rig.engine.phys; }

  /** SRTP, QIE, TE — in the order Linux brings a unit up. */
  boot(wideQueue = true): void {
    this.rig.driver.setRootTable(this.rta, this.scalable);
    this.rig.driver.enableQueue(wideQueue);
    this.rig.driver.enableTranslation();
  }

  contextTable(sid: number): bigint {
    const bus = sid >>> 8;
    const half = this.scalable && (sid & 0xff) >= 128 ? 1 : 0;
    const key = `${bus}:${half}`;
    let table = this.contextTables.get(key);
    if (table === undefined) {
      table = zeroPage(this.mem, this.rig.frames);
      this.contextTables.set(key, table);
      this.mem.write64(this.rta + BigInt(bus * 16 + half * 8), table | 1n);
    }
    return table;
  }

  contextEntryAddress(sid: number): bigint {
    const devfn = sid & 0xff;
    return this.contextTable(sid) + (this.scalable ? BigInt((devfn & 0x7f) * 32) : BigInt(devfn * 16));
  }

  attachLegacy(sid: number, fields: Parameters<typeof legacyContext>[0]): void {
    writeWords(this.mem, this.contextEntryAddress(sid), legacyContext(fields));
  }

  attachScalable(sid: number, fields: Omit<Parameters<typeof scalableContext>[0], 'pasidDir'> = {}): bigint {
    let dir = this.pasidDirs.get(sid);
    if (dir === undefined) {
      dir = zeroPage(this.mem, this.rig.frames);
      this.pasidDirs.set(sid, dir);
    }
    writeWords(this.mem, this.contextEntryAddress(sid), scalableContext({ ...fields, pasidDir: dir }));
    return dir;
  }

  pasidEntryAddress(sid: number, pasid: number): bigint {
    const dir = this.pasidDirs.get(sid);
    if (dir === undefined) throw new Error(`device ${sid} has no PASID directory`);
    const key = `${sid}:${pasid >>> 6}`;
    let table = this.pasidTables.get(key);
    if (table === undefined) {
      table = zeroPage(this.mem, this.rig.frames);
      this.pasidTables.set(key, table);
      this.mem.write64(dir + BigInt((pasid >>> 6) * 8), table | 1n);
    }
    return table + BigInt((pasid & 63) * 64);
  }

  setPasid(sid: number, pasid: number, fields: PasidEntryFields): void {
    writeWords(this.mem, this.pasidEntryAddress(sid, pasid), pasidEntry(fields));
  }
}

/** A second-stage table the "host" owns in host memory, as a SpaceDescriptor for the oracle and builder. */
export function secondStageTable(rig: Rig, levels = 4, ad = false): SpaceDescriptor {
  return { format: 'vtd-ss', levels, root: rig.host.newTable(), ad };
}

export function firstStageTable(rig: Rig, levels = 4): SpaceDescriptor {
  return { format: 'x86-64', levels, root: rig.host.newTable(), ad: true };
}

export const sid = (bus: number, dev: number, fn: number): number => (bus << 8) | (dev << 3) | fn;
