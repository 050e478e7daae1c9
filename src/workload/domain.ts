// Builds the DMA domains a workload uses, flat or inside a guest, and hands out
// backing memory with the page size asked for. The engine's builder picks the
// largest page the alignment of IOVA and address allows, so page size is chosen by
// alignment: 4 KiB backing is never 2 MiB-congruent with its IOVA (memory as
// fragmented as a long-running host's), 2 MiB backing never 1 GiB-congruent.
import { Perm } from '../engine/index.js';
import type { OpSink } from './ops.js';
import { PAGE_BYTES, type CommonParams, type PageSize } from './params.js';
import type { DeviceBinding, SpaceSpec, Topology } from './topology.js';

export const RW = Perm.R | Perm.W;
const GIB = 2 ** 30;
const MIB2 = 2 << 20;

/** Host physical memory handed to flat domains and guest RAM: [16 GiB, 256 GiB). */
const HOST_DATA_BASE = 16 * GIB;
/** Where each guest's RAM lives in host memory (one 16 GiB slot per guest). */
const GUEST_SLOT = 16 * GIB;

export class TopologyBuilder {
  readonly spaces: SpaceSpec[] = [];
  readonly devices: DeviceBinding[] = [];
  constructor(private readonly params: CommonParams) {}

  addSpace(spec: SpaceSpec): number {
    this.spaces.push(spec);
    return this.spaces.length - 1;
  }

  bind(device: number, space: number, pasid?: number): void {
    this.devices.push(pasid === undefined ? { device, space } : { device, pasid, space });
  }

  build(): Topology {
    return { engine: this.params.engine, spaces: this.spaces, devices: this.devices, requestBytes: this.params.requestBytes };
  }
}

/**
 * A source of backing memory for one domain: physical addresses for a flat domain,
 * guest-physical ones for a nested domain.
 */
export class Backing {
  private next: number;
  constructor(base: number, private readonly limit: number, readonly pageSize: PageSize) {
    this.next = base;
  }

  /**
   * `bytes` of backing for a mapping at `iova` that forms pages of `pageSize` and no
   * larger: the address is page aligned and never congruent to the IOVA modulo the
   * next size up, so IOVA and address are never both aligned to it.
   */
  take(bytes: number, iova: number, pageSize: PageSize = this.pageSize): number {
    const page = PAGE_BYTES[pageSize];
    const larger = pageSize === '4K' ? MIB2 : GIB;
    let at = Math.ceil(this.next / page) * page;
    if (mod(at - iova, larger) === 0) at += page;
    const size = Math.ceil(bytes / page) * page;
    if (at + size > this.limit) throw new RangeError(`backing exhausted: ${bytes} bytes`);
    this.next = at + size;
    return at;
  }
}

function mod(a: number, m: number): number {
  return ((a % m) + m) % m;
}

export interface Domain {
  /** Space the device translates through (stage 1 when nested). */
  space: number;
  group: number;
  /** Backing for buffers: host physical (flat) or guest physical (nested). */
  backing: Backing;
  /** Base and size of the random-frame pool (page-allocator pages) in the same address space. */
  framePool: { base: number; span: number };
  /** Set when the domain lives in a guest (its RAM must be mapped first: setupDomain). */
  guest?: Guest;
}

export function setupDomain(sink: OpSink, domain: Domain): void {
  if (domain.guest) mapGuestRam(sink, domain.guest);
}

export interface GuestOptions {
  guest: number;
  ramBytes: number;
  group: number;
}

export interface Guest {
  stage2: number;
  /** Host physical address of GPA 0. */
  hostStart: number;
  ramBytes: number;
  /** Guest-physical range where guest page tables live. */
  tables: { base: number; limit: number };
  group: number;
}

/** Guest RAM in a 4-level vtd-ss stage 2: GPA [0, ramBytes) onto a host slot (mapped by mapGuestRam). */
export function addGuest(t: TopologyBuilder, p: CommonParams, o: GuestOptions): Guest {
  const stage2 = t.addSpace({ format: 'vtd-ss', levels: 4, group: o.group });
  // GPA 0 is 2 MiB-aligned, so the host start alone decides the stage-2 page size.
  const hostStart = HOST_DATA_BASE + o.guest * GUEST_SLOT + PAGE_BYTES[p.stage2PageSize];
  const tablesBytes = Math.max(MIB2, o.ramBytes / 8);
  return { stage2, hostStart, ramBytes: o.ramBytes, tables: { base: o.ramBytes - tablesBytes, limit: o.ramBytes }, group: o.group };
}

/** The hypervisor's stage-2 map of guest RAM, done once before the guest runs. */
export function mapGuestRam(sink: OpSink, guest: Guest): void {
  sink.map(guest.stage2, 0, guest.hostStart, guest.ramBytes, RW);
}

/** A stage-1 x86-64 space inside `guest`, its tables in guest RAM. */
export function addGuestSpace(t: TopologyBuilder, guest: Guest, group = guest.group): number {
  return t.addSpace({ format: 'x86-64', levels: 4, parent: guest.stage2, group, tables: guest.tables });
}

/** Guest-physical backing for buffers: the guest RAM below its page tables. */
export function guestBacking(guest: Guest, pageSize: PageSize): Backing {
  return new Backing(MIB2, guest.tables.base, pageSize);
}

/**
 * The one DMA domain most workloads use: a flat x86-64 space, or with `nested` a
 * stage-1 space in a guest whose RAM is `guestRamBytes`.
 */
export function addDomain(t: TopologyBuilder, p: CommonParams, guestRamBytes: number, group = 0): Domain {
  if (!p.nested) {
    const space = t.addSpace({ format: 'x86-64', levels: 4, group });
    const base = HOST_DATA_BASE + group * GUEST_SLOT;
    return { space, group, backing: new Backing(base, base + GUEST_SLOT / 2, p.pageSize), framePool: { base: base + GUEST_SLOT / 2, span: GUEST_SLOT / 2 } };
  }
  const guest = addGuest(t, p, { guest: group, ramBytes: guestRamBytes, group });
  const space = addGuestSpace(t, guest);
  const half = Math.floor(guest.tables.base / 2 / MIB2) * MIB2;
  return { space, group, guest, backing: new Backing(MIB2, half, p.pageSize), framePool: { base: half, span: guest.tables.base - half } };
}
