// IOMMU_HWPT_ALLOC (spec §2.13): generic checks in the kernel's order, then the
// device's driver allocates the domain from the driver data it alone decodes.
import type { IommufdContext } from '../context.js';
import { EINVAL, ENOENT, ENOMEM, EOPNOTSUPP } from '../../iommu/errno.js';
import type { FaultQueue } from '../fault/fault-queue.js';
import { HwptNested, HwptPaging, type Hwpt } from '../hwpt/hwpt.js';
import { installPagingHwpt } from '../hwpt/alloc-paging.js';
import { IoasObject } from '../ioas/ioas-object.js';
import { ObjectType } from '../objects.js';
import { fail, ok, type Result } from '../../iommu/result.js';
import {
  IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
  IOMMU_HWPT_ALLOC_NEST_PARENT,
  IOMMU_HWPT_ALLOC_PASID,
  IOMMU_HWPT_DATA_NONE,
  IOMMU_HWPT_FAULT_ID_VALID,
  type IommuHwptAlloc,
} from '../../iommu/abi/index.js';
import type { Ucmd } from '../ucmd.js';
import type { UserData } from '../../iommu/user-data.js';
import type { DriverDevice } from '../../iommu/driver.js';
import { ViommuObject } from '../viommu/viommu.js';
import type { DeviceObject } from '../device/device.js';
import { lookupDevice } from './lookup.js';

type HwptAllocCmd = Ucmd<typeof IommuHwptAlloc.fields>;

const PAGING_FLAGS = IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_DIRTY_TRACKING | IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_PASID;
const NESTED_FLAGS = IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_PASID;

export function hwptAlloc(u: HwptAllocCmd): number {
  if (u.get('__reserved') !== 0) return -EOPNOTSUPP;
  const dataType = u.get('data_type');
  const hasType = dataType !== IOMMU_HWPT_DATA_NONE;
  if (hasType !== (u.get('data_len') !== 0)) return -EINVAL;
  const dev = lookupDevice(u.ctx, u.get('dev_id'));
  if (!dev) return -ENOENT;
  const pt = u.ctx.objects.getAny(u.get('pt_id'));
  if (!pt) return -EINVAL;
  const data: UserData | undefined = hasType ? { type: dataType, uptr: u.get('data_uptr'), len: u.get('data_len') } : undefined;

  let made: Result<Hwpt>;
  if (pt instanceof IoasObject) made = allocPaging(u, dev, pt, data);
  else if (pt instanceof HwptPaging || pt instanceof ViommuObject) made = allocNested(u, dev, pt, data);
  else return -EINVAL;
  if (!made.ok) return -made.errno;

  u.set('out_hwpt_id', made.value.id);
  const rc = u.respond();
  if (rc !== 0) u.ctx.objects.destroy(made.value.id);
  return rc;
}

function allocPaging(u: HwptAllocCmd, dev: DeviceObject, ioas: IoasObject, data: UserData | undefined): Result<Hwpt> {
  const flags = u.get('flags');
  const vdev = dev.driverDevice;
  if ((flags & ~PAGING_FLAGS) !== 0) return fail(EOPNOTSUPP);
  if (flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING && !vdev.dirtyCapable) return fail(EOPNOTSUPP);
  if (flags & IOMMU_HWPT_FAULT_ID_VALID && flags & IOMMU_HWPT_ALLOC_NEST_PARENT) return fail(EOPNOTSUPP);
  if (data && !ownsData(u.ctx, vdev, data)) return fail(EOPNOTSUPP);
  const domain = vdev.allocPaging(u.ctx.env, flags & ~IOMMU_HWPT_FAULT_ID_VALID, data);
  if (!domain.ok) return domain;
  const fault = faultOf(u);
  if (!fault.ok) {
    domain.value.free();
    return fault;
  }
  return installPagingHwpt(u.ctx, ioas, domain.value, { auto: false, fault: fault.value });
}

function allocNested(u: HwptAllocCmd, dev: DeviceObject, pt: HwptPaging | ViommuObject, data: UserData | undefined): Result<Hwpt> {
  const flags = u.get('flags');
  const vdev = dev.driverDevice;
  if (pt instanceof ViommuObject && pt.iommu !== vdev.iommu) return fail(EINVAL);
  if ((flags & ~NESTED_FLAGS) !== 0 || !data) return fail(EOPNOTSUPP);
  if (pt instanceof HwptPaging && (pt.auto || !pt.nestParent || pt.domain.driver !== vdev.driver)) return fail(EINVAL);
  if (!ownsData(u.ctx, vdev, data)) return fail(EOPNOTSUPP);
  const parentDomain = pt instanceof ViommuObject ? pt.driverViommu : pt.domain;
  const domain = vdev.allocNested(u.ctx.env, parentDomain, flags & ~IOMMU_HWPT_FAULT_ID_VALID, data);
  if (!domain.ok) return domain;
  const fault = faultOf(u);
  if (!fault.ok) {
    domain.value.free();
    return fault;
  }
  const parent = pt instanceof ViommuObject ? pt.parent : pt;
  const hwpt = new HwptNested(parent, pt instanceof ViommuObject ? pt : undefined, domain.value, fault.value);
  const added = u.ctx.objects.add(hwpt);
  if (!added.ok) {
    domain.value.free();
    return fail(ENOMEM);
  }
  u.ctx.objects.hold(hwpt, pt);
  if (fault.value) u.ctx.objects.hold(hwpt, fault.value);
  return ok(hwpt);
}

/** Driver bytes go only to the driver that owns their type: another driver's type is unsupported. */
function ownsData(ctx: IommufdContext, vdev: DriverDevice, data: UserData): boolean {
  return ctx.process.drivers.ownerOfHwptData(data.type) === vdev.driver;
}

function faultOf(u: HwptAllocCmd): Result<FaultQueue | undefined> {
  if ((u.get('flags') & IOMMU_HWPT_FAULT_ID_VALID) === 0) return ok(undefined);
  const fault = u.ctx.objects.get<FaultQueue>(u.get('fault_id'), ObjectType.FAULT);
  return fault ? ok(fault) : fail(ENOENT);
}
