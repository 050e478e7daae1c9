// A PCI device behind a VT-d unit, as the iommufd driver sees it (DriverDevice). Its
// source-id (bus << 8 | devfn) is probed on the unit at creation: a scalable context
// entry with an empty PASID directory, so every request is blocked until an attach.
// Attaching writes the PASID-table entry of the RID (RID_PASID) or of a PASID —
// second-stage for a paging domain, nested for a VTD_S1 domain — and the device's DMA
// is the unit's translate() for its source-id: root, context and PASID entries, caches,
// the engine walk. Faults on an IOPF-capable HWPT become page requests on the unit's
// page request queue, which the host takes off and hands to iommufd; the response
// goes back as a page group response descriptor.
import { EINVAL, ENOMEM, EOPNOTSUPP } from '../../iommu/errno.js';
import { fail, ok, OK_VOID, type Result } from '../../iommu/result.js';
import { copyUserData, type UserData } from '../../iommu/user-data.js';
import { IOMMU_HW_INFO_TYPE_INTEL_VTD } from '../../iommu/abi/hw-info.js';
import {
  IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
  IOMMU_HWPT_ALLOC_NEST_PARENT,
  IOMMU_HWPT_ALLOC_PASID,
  IOMMU_HWPT_DATA_VTD_S1,
  IommuHwptVtdS1,
} from '../../iommu/abi/hwpt.js';
import type { DeviceDmaStep, DriverDevice, DriverDomain, DriverEnv, DriverNestedDomain, DriverPagingDomain, DriverViommu } from '../../iommu/driver.js';
import { vtdFaultAsEngine } from './dma-faults.js';
import { HostPasidEntries } from './host-pasid-entries.js';
import type { VtdIommu } from './host-iommu.js';
import { parseVtdS1Alloc, vtdHwInfo } from './iommufd.js';
import { VtdNestedDomain } from './nested-domain.js';
import { VtdPagingDomain } from './paging-domain.js';
import { Ecap } from '../../hw/vtd/capabilities.js';
import { vtdDriver } from './driver.js';

const PAGE = 4096n;
/** Page request group indexes are 9 bits (page-requests.ts). */
const GROUP_INDEXES = 512;

export interface VtdDeviceOptions {
  /** PCI bus and devfn: the requester ID the unit indexes its tables with. */
  sourceId: number;
  /** PCI PASID capability width; 0 = no PASID. Capped by the host's PASID directory. */
  pasidBits?: number;
  /** PCI PRI: the device can send page requests (context entry PRE). Default true. */
  pageRequests?: boolean;
}

export class VtdDevice implements DriverDevice {
  readonly driver = vtdDriver;
  readonly maxPasidLog2: number;
  readonly sourceId: number;
  private readonly entries: HostPasidEntries;
  private nextGroup = 0;

  constructor(readonly iommu: VtdIommu, options: VtdDeviceOptions) {
    this.sourceId = options.sourceId;
    this.maxPasidLog2 = Math.min(options.pasidBits ?? iommu.pasidBits, iommu.pasidBits);
    iommu.probe(this.sourceId, options.pageRequests ?? true);
    this.entries = new HostPasidEntries(iommu, this.sourceId);
  }

  /** ECAP.SSADS: second-stage dirty bits. */
  get dirtyCapable(): boolean {
    return hasEcap(this.iommu.ecap, Ecap.SSADS);
  }

  hwInfo(requested: number): Result<{ type: number; data: Uint8Array }> {
    if (requested !== 0 && requested !== IOMMU_HW_INFO_TYPE_INTEL_VTD) return fail(EOPNOTSUPP);
    return ok({ type: IOMMU_HW_INFO_TYPE_INTEL_VTD, data: vtdHwInfo(this.iommu.cap, this.iommu.ecap) });
  }

  /** Paging domains are second-stage; no driver data is defined for them. */
  allocPaging(env: DriverEnv, flags: number, data: UserData | undefined): Result<DriverPagingDomain> {
    if ((flags & ~(IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_DIRTY_TRACKING | IOMMU_HWPT_ALLOC_PASID)) !== 0) return fail(EOPNOTSUPP);
    if (flags & IOMMU_HWPT_ALLOC_NEST_PARENT && !hasEcap(this.iommu.ecap, Ecap.NEST)) return fail(EOPNOTSUPP);
    if (flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING && !this.dirtyCapable) return fail(EOPNOTSUPP);
    if (data) return fail(EOPNOTSUPP);
    return VtdPagingDomain.create(vtdDriver, env.engine, env.guard, flags);
  }

  /**
   * Nested VTD_S1 in the kernel's order (iommufd-uapi.md §3.2): nesting support and
   * allocation flags other than PASID, data type (EOPNOTSUPP); parent (EINVAL); a copy
   * of exactly 24 bytes (EINVAL, EFAULT). The struct's flags, addr_width, pgtbl_addr and
   * __reserved are not checked here: the kernel checks them when the PASID entry is
   * written, at attach.
   */
  allocNested(env: DriverEnv, parent: DriverPagingDomain | DriverViommu, flags: number, data: UserData): Result<DriverNestedDomain> {
    if (!hasEcap(this.iommu.ecap, Ecap.NEST) || (flags & ~IOMMU_HWPT_ALLOC_PASID) !== 0) return fail(EOPNOTSUPP);
    if (data.type !== IOMMU_HWPT_DATA_VTD_S1) return fail(EOPNOTSUPP);
    if (!(parent instanceof VtdPagingDomain) || (parent.flags & IOMMU_HWPT_ALLOC_NEST_PARENT) === 0) return fail(EINVAL);
    const copied = copyUserData(env.mem, data, IOMMU_HWPT_DATA_VTD_S1, IommuHwptVtdS1.minSize, IommuHwptVtdS1.sizeof);
    if (!copied.ok) return copied;
    const bytes = new Uint8Array(copied.value.buffer, copied.value.byteOffset, copied.value.byteLength);
    const config = parseVtdS1Alloc({ hwptFlags: flags, dataType: data.type, data: bytes, parentIsNestParent: true, nestingSupported: true });
    if (!config.ok) return fail(config.errno);
    if (!env.guard.allow('driver')) return fail(ENOMEM);
    return ok(new VtdNestedDomain(vtdDriver, flags, parent, config.value));
  }

  allocViommu(): Result<DriverViommu> {
    return fail(EOPNOTSUPP);
  }

  attach(domain: DriverDomain | null, pasid: number | undefined): Result<void> {
    // PASID 0 is the RID's own PASID-table entry (RID_PASID): not attachable as a PASID.
    if (pasid === 0) return fail(EINVAL);
    if (domain === null) return this.entries.clear(pasid);
    if (domain.driver !== vtdDriver) return fail(EINVAL);
    if (domain instanceof VtdPagingDomain) return this.entries.secondStage(pasid, domain);
    if (domain instanceof VtdNestedDomain) return this.entries.nested(pasid, domain);
    return fail(EINVAL);
  }

  /** The unit's answer for this device's request; a fault on an IOPF-capable HWPT becomes a page request. */
  translate(pasid: number | undefined, iova: bigint, access: number, iopf: boolean): DeviceDmaStep {
    const groupIndex = this.nextGroup;
    const r = this.iommu.unit.translate(this.sourceId, pasid, iova, access, iopf ? { requestPage: { groupIndex } } : {});
    if (r.ok) return { ok: true, pa: r.addr, bytes: PAGE - (iova % PAGE) };
    const fault = vtdFaultAsEngine(r.reason, iova);
    if (r.pageRequest !== 'queued') return { ok: false, fault };
    this.nextGroup = (this.nextGroup + 1) % GROUP_INDEXES;
    const request = this.iommu.takePageRequest();
    if (!request) throw new Error('VT-d host: a queued page request is missing from the queue');
    return { ok: false, fault, pageRequest: { grpid: request.groupIndex, respond: (code) => this.iommu.respond(request, code) } };
  }

  /** What is attached where (RID_PASID included), for tests and invariant checks. */
  attachedAt(pasid: number | undefined): DriverDomain | undefined {
    return this.entries.domainAt(pasid);
  }
}

function hasEcap(ecap: bigint, position: number): boolean {
  return ((ecap >> BigInt(position)) & 1n) === 1n;
}
