// A device access through the IOMMU: the device's attachment at the RID or at a PASID
// decides the domain, the domain translates piece by piece with the access's rights
// (through the engine: IOTLB, walk, A/D bits), and the bytes move in the physical
// memory the process's pages live in. A fault stops the access where it happened; on
// an IOPF-capable HWPT it is also queued as a page request for user space.
import { Access } from '../engine/types.js';
import type { DeviceObject } from './device/device.js';
import type { FramePool } from './frame-pool.js';
import { IOMMU_PGFAULT_FLAGS_LAST_PAGE, IOMMU_PGFAULT_FLAGS_PASID_VALID, IOMMU_PGFAULT_PERM_READ, IOMMU_PGFAULT_PERM_WRITE } from '../iommu/abi/index.js';
import type { DeviceDmaStep, DmaFault } from '../iommu/driver.js';

export interface DmaRequest {
  /** Absent: a request without PASID (the RID's domain). */
  readonly pasid?: number;
  readonly iova: bigint | number;
  /** Bytes to read; ignored for a write, whose length is data.length. */
  readonly length?: number;
  readonly write?: boolean;
  readonly data?: Uint8Array;
  /** The iommufd the device belongs to, when several are open. */
  readonly fd?: number;
}

export interface DmaFaultReport extends DmaFault {
  /** Nothing attached: the access was blocked before any translation. */
  readonly blocked: boolean;
  /** Queued as an I/O page fault on the HWPT's fault queue. */
  readonly iopf: boolean;
  /** Bytes transferred before the fault. */
  readonly done: number;
}

export type DmaResult = { readonly data: Uint8Array } | { readonly fault: DmaFaultReport };

const BLOCKED_REASON = 1;

export function deviceDma(pool: FramePool, dev: DeviceObject, req: DmaRequest): DmaResult {
  const iova = BigInt(req.iova);
  const write = req.write === true;
  const length = write ? (req.data?.length ?? 0) : (req.length ?? 0);
  const hwpt = dev.attachedAt(req.pasid);
  if (!hwpt) return { fault: { iova, reason: BLOCKED_REASON, stage: 0, level: 0, addr: iova, blocked: true, iopf: false, done: 0 } };
  const out = new Uint8Array(write ? 0 : length);
  let done = 0;
  while (done < length) {
    const at = iova + BigInt(done);
    const access = write ? Access.WRITE : Access.READ;
    const vdev = dev.driverDevice;
    const step: DeviceDmaStep = vdev.translate ? vdev.translate(req.pasid, at, access, hwpt.fault !== undefined) : hwpt.domain.translate(at, access);
    if (!step.ok) {
      // A device behind a modelled IOMMU reports only the page requests it really sent.
      const request = 'pageRequest' in step ? step.pageRequest : undefined;
      const iopf = hwpt.fault !== undefined && (!vdev.translate || request !== undefined);
      if (iopf) hwpt.fault!.report(
        [
          {
            flags: IOMMU_PGFAULT_FLAGS_LAST_PAGE | (req.pasid !== undefined ? IOMMU_PGFAULT_FLAGS_PASID_VALID : 0),
            dev_id: dev.id,
            pasid: req.pasid ?? 0,
            grpid: request?.grpid ?? 0,
            perm: write ? IOMMU_PGFAULT_PERM_WRITE : IOMMU_PGFAULT_PERM_READ,
            __reserved: 0,
            addr: at - (at % 4096n),
            length: 0,
          },
        ],
        (code) => request?.respond(code),
      );
      return { fault: { ...step.fault, blocked: false, iopf, done } };
    }
    const n = Math.min(Number(step.bytes), length - done);
    if (write) pool.store.write(step.pa, req.data!.subarray(done, done + n));
    else out.set(pool.store.read(step.pa, n), done);
    done += n;
  }
  return { data: out };
}
