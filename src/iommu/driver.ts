// The plug-in point for IOMMU drivers ("vendors", src/vendor/<name>/). The uAPI core
// owns objects, IDs, references and the order of the generic checks; everything that
// depends on the hardware (hw_info bytes, driver data of HWPT_ALLOC, invalidation
// entries, vIOMMU behaviour, the domain's page tables) belongs to the vendor. A handler
// never decodes vendor bytes: it passes the user-data descriptor to the vendor that
// owns the data type, which copies it with the helpers of ./user-data.ts.
import type { Engine } from '../engine/engine.js';
import type { AllocGuard } from './alloc-guard.js';
import type { IoPagingDomain } from './paging-domain.js';
import type { MmapRegistry, VendorMmap } from '../uapi/mmap-regions.js';
import type { Result } from './result.js';
import type { UserMemory } from '../uapi/user-memory.js';
import type { UserData, UserDataArray } from './user-data.js';

/** What a vendor may use while serving a call. */
export interface VendorEnv {
  readonly mem: UserMemory;
  readonly engine: Engine;
  readonly guard: AllocGuard;
  /** Driver pages the process may mmap through this iommufd. */
  readonly mmap: MmapRegistry;
}

/** A device access that did not translate. Reasons are the engine's FaultReason codes. */
export interface DmaFault {
  readonly iova: bigint;
  readonly reason: number;
  readonly stage: number;
  readonly level: number;
  readonly addr: bigint;
}

/** One translated piece of a device access: `bytes` contiguous bytes from `iova` at `pa`. */
export type DmaStep = { readonly ok: true; readonly pa: bigint; readonly bytes: bigint } | { readonly ok: false; readonly fault: DmaFault };

export interface VendorDomainBase {
  readonly vendor: IommuVendor;
  /** Translates one access (Access bits of the engine) at `iova`. */
  translate(iova: bigint, access: number): DmaStep;
  /** Frees the domain's engine resources; the object is gone afterwards. */
  free(): void;
}

export interface DirtyTracking {
  readonly enabled: boolean;
  /** Enabling starts from a clean state: every dirty bit is cleared first. */
  set(enable: boolean): Result<void>;
  /** Reports dirty runs in [iova, iova+length) through `record`; clears them unless `keep`. */
  readAndClear(iova: bigint, length: bigint, keep: boolean, record: (iova: bigint, bytes: bigint) => void): void;
}

export interface VendorPagingDomain extends IoPagingDomain, VendorDomainBase {
  readonly kind: 'paging';
  /** Allocation flags the domain was made with (IOMMU_HWPT_ALLOC_*). */
  readonly flags: number;
  /** Present only for domains allocated with DIRTY_TRACKING. */
  readonly dirty?: DirtyTracking;
}

export interface VendorNestedDomain extends VendorDomainBase {
  readonly kind: 'nested';
  readonly flags: number;
  readonly parent: VendorPagingDomain;
  readonly viommu?: VendorViommu;
  /** HWPT_INVALIDATE on the nested HWPT; absent: EOPNOTSUPP. */
  invalidateUser?(env: VendorEnv, array: UserDataArray): InvalidateResult;
}

export type VendorDomain = VendorPagingDomain | VendorNestedDomain;

/** Entries fully handled, and the errno of the entry that stopped the loop (0: none). */
export interface InvalidateResult {
  readonly handled: number;
  readonly errno: number;
}

/** The uAPI's view of a vDEVICE, for the vendor's invalidation and event paths. */
export interface VdeviceRef {
  readonly virtId: bigint;
  readonly device: VendorDevice;
}

export interface VendorViommu {
  readonly vendor: IommuVendor;
  readonly type: number;
  readonly parent: VendorPagingDomain;
  /** HWPT_INVALIDATE on the vIOMMU; `vdevices` resolves a virtual ID. */
  invalidate?(env: VendorEnv, array: UserDataArray, vdevice: (virtId: bigint) => VdeviceRef | undefined): InvalidateResult;
  /** vEVENTQ types this vIOMMU reports. */
  supportsVeventq(type: number): boolean;
  /** HW queue support; absent: EOPNOTSUPP. */
  readonly hwQueue?: HwQueueSupport;
  /** Pages registered for mmap on the iommufd; the vIOMMU object owns them (busy while mapped). */
  readonly mmap?: VendorMmap;
  free(): void;
}

export interface HwQueueSupport {
  readonly types: readonly number[];
  /** Driver checks for queue `index` given the indexes already allocated (spec §5.2). */
  check(type: number, index: number, allocated: ReadonlySet<number>): Result<void>;
  /** Index of a queue this one depends on (it must outlive this one), if any. */
  dependsOn(index: number): number | undefined;
}

/** A page request a device sent for a faulting access: its group index and how the answer reaches it. */
export interface DevicePageRequest {
  readonly grpid: number;
  /** The response code (IOMMUFD_PAGE_RESP_*) travels back to the device. */
  respond(code: number): void;
}

/** A device-side translation step; a fault may carry the page request the device sent for it. */
export type DeviceDmaStep = DmaStep | { readonly ok: false; readonly fault: DmaFault; readonly pageRequest?: DevicePageRequest };

/** The driver's per-device state, created when the device is probed. */
export interface VendorDevice {
  readonly vendor: IommuVendor;
  /** The physical IOMMU instance behind the device (vIOMMU/vDEVICE pairing checks). */
  readonly iommu: object;
  /** PASID width; 0 = no PASID support. */
  readonly maxPasidLog2: number;
  /** Whether the device can take a dirty-tracking domain. */
  readonly dirtyCapable: boolean;
  /** GET_HW_INFO: the driver's info of type `requested` (0 = its default type). */
  hwInfo(requested: number): Result<{ readonly type: number; readonly data: Uint8Array }>;
  /** Paging domain for HWPT_ALLOC on an IOAS (and for automatic domains, flags 0). */
  allocPaging(env: VendorEnv, flags: number, data: UserData | undefined): Result<VendorPagingDomain>;
  /** Nested domain over a nest-parent domain or a vIOMMU. */
  allocNested(env: VendorEnv, parent: VendorPagingDomain | VendorViommu, flags: number, data: UserData): Result<VendorNestedDomain>;
  /** vIOMMU of `type` over a nest-parent domain; `out` = driver data to return. */
  allocViommu(env: VendorEnv, type: number, parent: VendorPagingDomain, data: UserData | undefined): Result<VendorViommu>;
  /**
   * Driver attach of `domain` (null = blocking) at `pasid` (undefined = the RID);
   * `vdevIdOn` gives this device's virtual ID on a vIOMMU. Failure leaves the old one.
   */
  attach(domain: VendorDomain | null, pasid: number | undefined, vdevIdOn: (viommu: VendorViommu) => bigint | undefined): Result<void>;
  /**
   * Optional: the device's access at `pasid` (undefined = the RID) as the IOMMU in front of
   * it resolves it (VT-d: root/context/PASID entries the driver wrote), instead of asking
   * the attached domain. `iopf`: the attached HWPT takes page requests, so a fault becomes
   * one (`pageRequest`) rather than a recorded fault.
   */
  translate?(pasid: number | undefined, iova: bigint, access: number, iopf: boolean): DeviceDmaStep;
}

/** A driver: its name and the uAPI type numbers whose bytes it owns. */
export interface IommuVendor {
  readonly name: string;
  readonly hwptDataTypes: readonly number[];
  readonly invalidateDataTypes: readonly number[];
  readonly viommuTypes: readonly number[];
}

/** Which vendor owns which data type: a handler asks here before passing bytes on. */
export class VendorRegistry {
  private readonly vendors: IommuVendor[] = [];

  register(vendor: IommuVendor): void {
    if (!this.vendors.includes(vendor)) this.vendors.push(vendor);
  }

  get all(): readonly IommuVendor[] {
    return this.vendors;
  }

  ownerOfHwptData(type: number): IommuVendor | undefined {
    return this.vendors.find((v) => v.hwptDataTypes.includes(type));
  }

  ownerOfViommuType(type: number): IommuVendor | undefined {
    return this.vendors.find((v) => v.viommuTypes.includes(type));
  }
}
