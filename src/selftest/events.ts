// TRIGGER_IOPF and TRIGGER_VEVENT: the mock device raising a page request or a
// vIOMMU event, as hardware would.
import { ENOENT, EOPNOTSUPP } from '../iommu/errno.js';
import {
  decodeStruct,
  IOMMU_PGFAULT_FLAGS_LAST_PAGE,
  IOMMU_PGFAULT_FLAGS_PASID_VALID,
  IOMMU_VEVENTQ_TYPE_SELFTEST,
  IommuViommuEventSelftest,
  packStruct,
  TestTriggerIopf,
  TestTriggerVevent,
  type IommuTestCmd,
} from '../iommu/abi/index.js';
import type { Ucmd } from '../uapi/ucmd.js';
import { lookupDevice } from '../uapi/ioctls/lookup.js';
import { MockDevice } from '../drivers/mock/device-state.js';

type TestCmd = Ucmd<typeof IommuTestCmd.fields>;

/**
 * The request goes to the fault queue of the HWPT attached at its PASID, or at the RID
 * when that PASID has no attachment. Without an IOPF-capable HWPT it is dropped.
 */
export function triggerIopf(u: TestCmd): number {
  const f = decodeStruct(TestTriggerIopf, u.view);
  const dev = lookupDevice(u.ctx, f.dev_id);
  if (!dev) return -ENOENT;
  const hwpt = dev.attachedAt(f.pasid) ?? dev.attachedAt(undefined);
  hwpt?.fault?.report(
    [
      {
        flags: IOMMU_PGFAULT_FLAGS_LAST_PAGE | (f.pasid !== 0 ? IOMMU_PGFAULT_FLAGS_PASID_VALID : 0),
        dev_id: dev.id,
        pasid: f.pasid,
        grpid: f.grpid,
        perm: f.perm,
        __reserved: 0,
        addr: f.addr,
        length: 0,
      },
    ],
    () => {},
  );
  return 0;
}

/** Reports {virt_id} for a device attached to a vIOMMU's nested domain through its vDEVICE. */
export function triggerVevent(u: TestCmd): number {
  const dev = lookupDevice(u.ctx, decodeStruct(TestTriggerVevent, u.view).dev_id);
  if (!dev) return -ENOENT;
  const state = dev.driverDevice instanceof MockDevice ? dev.driverDevice.viommu : undefined;
  const viommu = dev.vdevice?.viommu;
  if (!state || !viommu || viommu.driverViommu !== state.viommu) return -ENOENT;
  const queue = viommu.veventqs.get(IOMMU_VEVENTQ_TYPE_SELFTEST);
  if (!queue) return -EOPNOTSUPP;
  queue.report(packStruct(IommuViommuEventSelftest, { virt_id: Number(state.vdevId & 0xffff_ffffn) }));
  return 0;
}
