// The plug-in point for IOMMU drivers ("drivers", src/driver/<name>/). The uAPI core
// owns objects, IDs, references and the order of the generic checks; everything that
// depends on the hardware (hw_info bytes, driver data of HWPT_ALLOC, invalidation
// entries, vIOMMU behaviour, the domain's page tables) belongs to the driver. A handler
// never decodes driver bytes: it passes the user-data descriptor to the driver that
// owns the data type, which copies it with the helpers of ./user-data.ts.
import type { Engine } from '../engine/engine.js';
import type { AllocGuard } from './alloc-guard.js';
import type { IoPagingDomain } from './paging-domain.js';
import type { DriverMmap, MmapRegistry } from './driver-mmap.js';
import type { Result } from './result.js';
import type { UserAccess } from './user-copy.js';
import type { UserData, UserDataArray } from './user-data.js';

/** What a driver may use while serving a call. */
export interface DriverEnv {
  readonly mem: UserAccess;
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

export interface DriverDomainBase {
  readonly driver: IommuDriver;
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

export interface DriverPagingDomain extends IoPagingDomain, DriverDomainBase {
  readonly kind: 'paging';
  /** Allocation flags the domain was made with (IOMMU_HWPT_ALLOC_*). */
  readonly flags: number;
  /** Present only for domains allocated with DIRTY_TRACKING. */
  readonly dirty?: DirtyTracking;
}

export interface DriverNestedDomain extends DriverDomainBase {
  readonly kind: 'nested';
  readonly flags: number;
  readonly parent: DriverPagingDomain;
  readonly viommu?: DriverViommu;
  /** HWPT_INVALIDATE on the nested HWPT; absent: EOPNOTSUPP. */
  invalidateUser?(env: DriverEnv, array: UserDataArray): InvalidateResult;
}

export type DriverDomain = DriverPagingDomain | DriverNestedDomain;

/** Entries fully handled, and the errno of the entry that stopped the loop (0: none). */
export interface InvalidateResult {
  readonly handled: number;
  readonly errno: number;
}

/** The uAPI's view of a vDEVICE, for the driver's invalidation and event paths. */
export interface VdeviceRef {
  readonly virtId: bigint;
  readonly device: DriverDevice;
}

export interface DriverViommu {
  readonly driver: IommuDriver;
  readonly type: number;
  readonly parent: DriverPagingDomain;
  /** HWPT_INVALIDATE on the vIOMMU; `vdevices` resolves a virtual ID. */
  invalidate?(env: DriverEnv, array: UserDataArray, vdevice: (virtId: bigint) => VdeviceRef | undefined): InvalidateResult;
  /** vEVENTQ types this vIOMMU reports. */
  supportsVeventq(type: number): boolean;
  /** HW queue support; absent: EOPNOTSUPP. */
  readonly hwQueue?: HwQueueSupport;
  /** Pages registered for mmap on the iommufd; the vIOMMU object owns them (busy while mapped). */
  readonly mmap?: DriverMmap;
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
export interface DriverDevice {
  readonly driver: IommuDriver;
  /** The physical IOMMU instance behind the device (vIOMMU/vDEVICE pairing checks). */
  readonly iommu: object;
  /** PASID width; 0 = no PASID support. */
  readonly maxPasidLog2: number;
  /** Whether the device can take a dirty-tracking domain. */
  readonly dirtyCapable: boolean;
  /** GET_HW_INFO: the driver's info of type `requested` (0 = its default type). */
  hwInfo(requested: number): Result<{ readonly type: number; readonly data: Uint8Array }>;
  /** Paging domain for HWPT_ALLOC on an IOAS (and for automatic domains, flags 0). */
  allocPaging(env: DriverEnv, flags: number, data: UserData | undefined): Result<DriverPagingDomain>;
  /** Nested domain over a nest-parent domain or a vIOMMU. */
  allocNested(env: DriverEnv, parent: DriverPagingDomain | DriverViommu, flags: number, data: UserData): Result<DriverNestedDomain>;
  /** vIOMMU of `type` over a nest-parent domain; `out` = driver data to return. */
  allocViommu(env: DriverEnv, type: number, parent: DriverPagingDomain, data: UserData | undefined): Result<DriverViommu>;
  /**
   * Driver attach of `domain` (null = blocking) at `pasid` (undefined = the RID);
   * `vdevIdOn` gives this device's virtual ID on a vIOMMU. Failure leaves the old one.
   */
  attach(domain: DriverDomain | null, pasid: number | undefined, vdevIdOn: (viommu: DriverViommu) => bigint | undefined): Result<void>;
  /**
   * Optional: the device's access at `pasid` (undefined = the RID) as the IOMMU in front of
   * it resolves it (VT-d: root/context/PASID entries the driver wrote), instead of asking
   * the attached domain. `iopf`: the attached HWPT takes page requests, so a fault becomes
   * one (`pageRequest`) rather than a recorded fault.
   */
  translate?(pasid: number | undefined, iova: bigint, access: number, iopf: boolean): DeviceDmaStep;
}

/** A driver: its name and the uAPI type numbers whose bytes it owns. */
export interface IommuDriver {
  readonly name: string;
  readonly hwptDataTypes: readonly number[];
  readonly invalidateDataTypes: readonly number[];
  readonly viommuTypes: readonly number[];
}

/** Which driver owns which data type: a handler asks here before passing bytes on. */
export class DriverRegistry {
  private readonly drivers: IommuDriver[] = [];

  register(driver: IommuDriver): void {
    if (!this.drivers.includes(driver)) this.drivers.push(driver);
  }

  get all(): readonly IommuDriver[] {
    return this.drivers;
  }

  ownerOfHwptData(type: number): IommuDriver | undefined {
    return this.drivers.find((v) => v.hwptDataTypes.includes(type));
  }

  ownerOfViommuType(type: number): IommuDriver | undefined {
    return this.drivers.find((v) => v.viommuTypes.includes(type));
  }
}
