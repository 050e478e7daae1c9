// struct iommu_destroy (spec §2.1).
import { defineStruct, u32 } from './layout.js';

export const IommuDestroy = defineStruct('iommu_destroy', 8, { size: u32(0), id: u32(4) }, 'id');
