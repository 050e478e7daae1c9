// One VT-d remapping unit: its register file, the structures it reads from guest-
// programmed memory, its caches, its queues, and the device-request path into the
// engine. A simulator drives it with mmioRead/mmioWrite and translate().
import type { Engine } from '../../engine/engine.js';
import { Access, FaultReason } from '../../engine/types.js';
import { aboveWidth, mask } from '../common/bits.js';
import { capabilityRegister, extendedCapabilityRegister, type VtdFeatures } from './capabilities.js';
import type { Descriptor } from './descriptors.js';
import { vtdReason } from './engine-faults.js';
import { setExtendedAccessed, throughParent } from './extended-accessed.js';
import { isQualified, Reason } from './fault-reasons.js';
import { FaultRecorder } from './fault-recording.js';
import { EventInterrupt, type InterruptKind } from './interrupts.js';
import { InvalidationQueue } from './invalidation-queue.js';
import { Invalidator } from './invalidation.js';
import { PageRequestQueue, PageResponseCode, type PageResponse } from './page-requests.js';
import { buildRegisters } from './register-map.js';
import { RegisterFile } from '../common/register-file.js';
import { Ttm } from './registers.js';
import { Resolver, type Route } from './resolver.js';
import { VtdSpaces } from './spaces.js';

export interface VtdUnitOptions {
  /** CAP.CM: not-present context/PASID entries may be cached until invalidated. */
  cachingMode?: boolean;
  /** Fault recording registers (CAP.NFR + 1); default 8. */
  faultRecords?: number;
  /** CAP.ND; default 3 (1024 domains, group ids 0..1023 in the engine). */
  domainIdBits?: number;
  /** CAP.MAMV; default 18. */
  maxAddressMask?: number;
  /** Create every space with the engine's stale-translation check. */
  staleCheck?: boolean;
  onInterrupt?: (kind: InterruptKind) => void;
  /** A page group response reaching the device (from the driver, or from the unit itself). */
  onPageResponse?: (response: PageResponse) => void;
}

export interface DmaOptions {
  /** A privileged (supervisor) request; only meaningful with a PASID. */
  privileged?: boolean;
  /** On a not-present or permission fault with PRE set, queue a page request instead of recording a fault. */
  requestPage?: { groupIndex: number; lastInGroup?: boolean };
}

export type DmaResult =
  | { ok: true; addr: bigint; route?: Route }
  | { ok: false; reason: number; recorded: boolean; pageRequest?: 'queued' | 'lost' };

/** Page-request-eligible outcomes: the page is missing or lacks the permission asked for. */
const PAGE_FAULTS = new Set<number>([Reason.FS_NOT_PRESENT, Reason.SM_WRITE, Reason.FS_PRIVILEGE, Reason.SS_READ, Reason.SS_WRITE]);
const INTERRUPT_LOW = 0xfee0_0000n;
const INTERRUPT_HIGH = 0xfeef_ffffn;

export class VtdUnit {
  readonly features: VtdFeatures;
  readonly cap: bigint;
  readonly ecap: bigint;
  readonly spaces: VtdSpaces;
  readonly resolver: Resolver;
  readonly invalidator: Invalidator;
  readonly faults: FaultRecorder;
  readonly queue: InvalidationQueue;
  readonly pageRequests: PageRequestQueue;
  readonly interrupts: Record<InterruptKind, EventInterrupt>;
  readonly registers: RegisterFile;
  /** Register writes that were refused (reserved bits, wrong state), for whoever debugs a driver. */
  readonly refusedWrites: { offset: number; value: bigint; why: string }[] = [];

  /** GSTS state and the root table pointer latched by SRTP. */
  translationEnabled = false;
  rootPointerSet = false;
  rtaddr = 0n;
  activeRtaddr = 0n;
  /** Interrupt message registers: stored, not interpreted. */
  readonly messageRegisters = new Map<number, bigint>();

  constructor(readonly engine: Engine, options: VtdUnitOptions = {}) {
    this.features = {
      domainIdBits: options.domainIdBits ?? 3,
      cachingMode: options.cachingMode ?? false,
      faultRecords: options.faultRecords ?? 8,
      maxAddressMask: options.maxAddressMask ?? 18,
      hostAddressWidth: engine.paBits,
    };
    this.cap = capabilityRegister(this.features);
    this.ecap = extendedCapabilityRegister();
    const deliver = options.onInterrupt ?? (() => {});
    this.interrupts = {
      fault: new EventInterrupt('fault', deliver),
      invalidation: new EventInterrupt('invalidation', deliver),
      'page-request': new EventInterrupt('page-request', deliver),
    };
    this.spaces = new VtdSpaces(engine, { staleCheck: options.staleCheck ?? false, onReclaim: () => this.resolver.forgetSpaces() });
    const limits = { haw: engine.paBits, didBits: 4 + 2 * this.features.domainIdBits };
    this.resolver = new Resolver((pa) => engine.phys.read64(pa), this.spaces, limits, this.features.cachingMode);
    this.invalidator = new Invalidator(engine, this.spaces, this.resolver.contexts, this.resolver.pasids);
    this.faults = new FaultRecorder(this.features.faultRecords, this.interrupts.fault);
    this.pageRequests = new PageRequestQueue((pa, v) => engine.phys.write64(pa, v), this.interrupts['page-request'],
      options.onPageResponse ?? (() => {}));
    this.queue = new InvalidationQueue({
      read: (pa) => engine.phys.read64(pa),
      writeStatus: (addr, data) => this.writeStatus(addr, data),
      execute: (d) => this.execute(d),
      interrupt: this.interrupts.invalidation,
      maxAddressMask: this.features.maxAddressMask,
      haw: engine.paBits,
    });
    this.registers = new RegisterFile(buildRegisters(this), 'VT-d MMIO');
  }

  static async create(engine: Engine, options: VtdUnitOptions = {}): Promise<VtdUnit> {
    return new VtdUnit(engine, options);
  }

  mmioRead(offset: number, size: number): bigint {
    return this.registers.read(offset, size);
  }

  mmioWrite(offset: number, size: number, value: bigint | number): void {
    this.registers.write(offset, size, value);
  }

  refuse(offset: number, value: bigint, why: string): void {
    this.refusedWrites.push({ offset, value, why });
  }

  get scalableMode(): boolean {
    return Number((this.activeRtaddr >> 10n) & 3n) === Ttm.SCALABLE;
  }

  /**
   * A DMA request from `sourceId` (bus << 8 | devfn), with or without a PASID, for
   * `access` (Access.READ or Access.WRITE) at `iova`.
   */
  translate(sourceId: number, pasid: number | undefined, iova: bigint, access: number, options: DmaOptions = {}): DmaResult {
    const write = (access & Access.WRITE) !== 0;
    if (!this.translationEnabled) return { ok: true, addr: iova };
    const ttm = Number((this.activeRtaddr >> 10n) & 3n);
    if (ttm > Ttm.SCALABLE) return this.fault(sourceId, pasid, iova, write, Reason.INVALID_TTM, false);
    const resolution = this.resolver.resolve(this.activeRtaddr & mask(63, 12), ttm === Ttm.SCALABLE, sourceId, pasid);
    if (!resolution.ok) return this.fault(sourceId, pasid, iova, write, resolution.reason, resolution.fpd);
    const route = resolution.route;
    const privileged = options.privileged === true && pasid !== undefined;
    const firstStage = route.kind === 'first-stage' || route.kind === 'nested';
    // Supervisor requests are only honoured where the PASID entry allows them (SRE).
    if (privileged && firstStage && !route.sre) return this.fault(sourceId, pasid, iova, write, Reason.FS_PRIVILEGE, route.fpd);
    let addr = iova;
    if (route.kind !== 'pass-through') {
      const engineAccess = (write ? Access.WRITE : Access.READ) | (firstStage && !privileged ? Access.USER : 0);
      let result = this.engine.translate(route.space, iova, engineAccess);
      if (result.fault === FaultReason.PERMISSION && result.stage === 1 && privileged && write && !route.wpe) {
        // WPE clear: supervisor writes ignore first-stage R/W, so a read-only page is writable to them.
        const asRead = this.engine.translate(route.space, iova, Access.READ);
        if (!asRead.fault) result = asRead;
      }
      if (result.fault) {
        const reason = vtdReason(this.engine, route.space, route.kind as 'first-stage', result, iova, engineAccess);
        return this.pageFaultOrRecord(sourceId, pasid, iova, write, privileged, reason, route, options);
      }
      addr = result.addr;
      if (route.eafe && firstStage) {
        const toHost = route.kind === 'nested' ? throughParent(this.engine, route.parent) : (a: bigint) => a;
        setExtendedAccessed(this.engine, route.fsRoot, route.fsLevels, iova, toHost);
      }
    }
    if (addr >= INTERRUPT_LOW && addr <= INTERRUPT_HIGH) {
      const reason = route.mode === 'scalable' ? Reason.SM_INTERRUPT_RANGE : Reason.INTERRUPT_RANGE;
      return this.fault(sourceId, pasid, iova, write, reason, route.fpd);
    }
    return { ok: true, addr, route };
  }

  /**
   * A page request from the device (PCIe PRI), e.g. after a translation request failed.
   * Needs PRE in the scalable-mode context entry; otherwise fault 0x47 and, for the
   * last request of a group, an Invalid Request response from the unit itself.
   */
  pageRequest(sourceId: number, pasid: number | undefined, addr: bigint, access: number,
    group: { groupIndex: number; lastInGroup?: boolean; privileged?: boolean }): 'queued' | 'lost' | 'refused' {
    const write = (access & Access.WRITE) !== 0;
    const request = {
      sid: sourceId, pasid, addr, read: !write, write, privileged: group.privileged ?? false,
      lastInGroup: group.lastInGroup ?? true, groupIndex: group.groupIndex,
    };
    const resolution = this.scalableMode ? this.resolver.resolve(this.activeRtaddr & mask(63, 12), true, sourceId, pasid) : undefined;
    const route = resolution?.ok ? resolution.route : undefined;
    if (!route?.pageRequests) {
      this.fault(sourceId, pasid, addr, write, Reason.PRE_CLEAR, route?.fpd ?? false);
      if (request.lastInGroup) this.pageRequests.answerByHardware(request, PageResponseCode.INVALID_REQUEST);
      return 'refused';
    }
    return this.pageRequests.enqueue(request) ? 'queued' : 'lost';
  }

  private pageFaultOrRecord(sid: number, pasid: number | undefined, iova: bigint, write: boolean, privileged: boolean,
    reason: number, route: Route, options: DmaOptions): DmaResult {
    if (options.requestPage && route.pageRequests && PAGE_FAULTS.has(reason)) {
      const queued = this.pageRequests.enqueue({
        sid, pasid, addr: iova, read: !write, write, privileged, groupIndex: options.requestPage.groupIndex,
        lastInGroup: options.requestPage.lastInGroup ?? true,
      });
      return { ok: false, reason, recorded: false, pageRequest: queued ? 'queued' : 'lost' };
    }
    return this.fault(sid, pasid, iova, write, reason, route.fpd);
  }

  private fault(sid: number, pasid: number | undefined, iova: bigint, write: boolean, reason: number, fpd: boolean): DmaResult {
    if (fpd && isQualified(reason)) return { ok: false, reason, recorded: false };
    // `recorded` is false when every fault recording register was still occupied (FSTS.PFO).
    const recorded = this.faults.record({ sid, pasid, addr: iova, reason, write });
    return { ok: false, reason, recorded };
  }

  private execute(d: Descriptor): void {
    if (d.type === 'page-group-response') this.pageRequests.complete(d.rid, d.pasid, d.groupIndex, d.code);
    else this.invalidator.apply(d);
  }

  private writeStatus(addr: bigint, data: number): boolean {
    if (aboveWidth(addr, this.engine.paBits)) return false;
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setUint32(0, data >>> 0, true);
    try {
      this.engine.phys.write(addr, bytes);
      return true;
    } catch {
      return false;
    }
  }
}
