// Creating a paging HWPT: the driver's domain, filled with every area of the IOAS, as
// one object holding the IOAS (and its fault queue). Used by HWPT_ALLOC and by the
// automatic domain of a device attached straight to an IOAS. All or nothing.
import type { IommufdContext } from '../context.js';
import type { FaultQueue } from '../fault/fault-queue.js';
import type { IoasObject } from '../ioas/ioas-object.js';
import { fail, ok, type Result } from '../../iommu/result.js';
import type { UserData } from '../../iommu/user-data.js';
import type { DriverDevice, DriverPagingDomain } from '../../iommu/driver.js';
import { HwptPaging } from './hwpt.js';

export function allocPagingHwpt(
  ctx: IommufdContext,
  device: DriverDevice,
  ioas: IoasObject,
  flags: number,
  data: UserData | undefined,
  options: { auto: boolean; fault?: FaultQueue },
): Result<HwptPaging> {
  const domain = device.allocPaging(ctx.env, flags, data);
  if (!domain.ok) return domain;
  return installPagingHwpt(ctx, ioas, domain.value, options);
}

/** Fills a freshly allocated domain from the IOAS and gives it an ID; frees it on failure. */
export function installPagingHwpt(
  ctx: IommufdContext,
  ioas: IoasObject,
  domain: DriverPagingDomain,
  options: { auto: boolean; fault?: FaultQueue },
): Result<HwptPaging> {
  const filled = ioas.iopt.attachDomain(domain);
  if (!filled.ok) {
    domain.free();
    return fail(filled.errno);
  }
  const hwpt = new HwptPaging(ioas, domain, options.auto, options.fault);
  const added = ctx.objects.add(hwpt);
  if (!added.ok) {
    ioas.iopt.detachDomain(domain);
    domain.free();
    return fail(added.errno);
  }
  ctx.objects.hold(hwpt, ioas);
  if (options.fault) ctx.objects.hold(hwpt, options.fault);
  return ok(hwpt);
}
