// Small checks several handlers share.
import { Perm } from '../../engine/types.js';
import type { IommufdContext } from '../context.js';
import { ENOENT } from '../../iommu/errno.js';
import type { IoasObject } from '../ioas/ioas-object.js';
import { ObjectType } from '../objects.js';
import {
  IOMMU_IOAS_MAP_FLAGS_ALL,
  IOMMU_IOAS_MAP_READABLE,
  IOMMU_IOAS_MAP_WRITEABLE,
} from '../../iommu/abi/ioas.js';

export function lookupIoas(ctx: IommufdContext, id: number): IoasObject | undefined {
  return ctx.objects.get<IoasObject>(id, ObjectType.IOAS);
}

/** -ENOENT, for the common "typed lookup failed" return. */
export const NO_SUCH_OBJECT = -ENOENT;

export function hasUnknownMapFlags(flags: number): boolean {
  return (flags & ~IOMMU_IOAS_MAP_FLAGS_ALL) !== 0;
}

export function hasAccessFlag(flags: number): boolean {
  return (flags & (IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)) !== 0;
}

/** Map flags to the Perm bits domains receive. */
export function protOf(flags: number): number {
  let prot = 0;
  if (flags & IOMMU_IOAS_MAP_READABLE) prot |= Perm.R;
  if (flags & IOMMU_IOAS_MAP_WRITEABLE) prot |= Perm.W;
  return prot;
}
