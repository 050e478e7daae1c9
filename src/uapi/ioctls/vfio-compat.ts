// Requests whose nr lies outside the iommufd table go to the VFIO type1 compatibility
// layer (the container ioctls share the ';' type). AWAITING-ENGINE: the compat layer
// (GET_API_VERSION, CHECK_EXTENSION, SET_IOMMU, GET_INFO, MAP/UNMAP_DMA) is not built
// yet, so every such request is "not supported", which is also what the kernel answers
// for numbers the compat layer does not know.
import type { IommufdContext } from '../context.js';
import { ENOTTY } from '../errno.js';

export function vfioCompatIoctl(_ctx: IommufdContext, _request: number, _arg: number): number {
  return -ENOTTY;
}
