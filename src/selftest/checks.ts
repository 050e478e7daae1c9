// Self-test ops that look inside the mock driver: MD_CHECK_MAP, MD_CHECK_IOTLB,
// DEV_CHECK_CACHE, and DIRTY (which sets dirty bits the way a device write would).
import { EFAULT, EINVAL, ENOENT } from '../iommu/errno.js';
import { PAGE_SIZE } from '../uapi/limits.js';
import {
  decodeStruct,
  TestCheckDevCache,
  TestCheckIotlb,
  TestCheckMap,
  TestDirty,
  type IommuTestCmd,
} from '../iommu/abi/index.js';
import type { Ucmd } from '../uapi/ucmd.js';
import { lookupDevice, lookupHwptNested, lookupHwptPaging } from '../uapi/ioctls/lookup.js';
import { MockDevice } from '../drivers/mock/device-state.js';
import { MockNestedDomain } from '../drivers/mock/nested-domain.js';
import { MockPagingDomain } from '../drivers/mock/paging-domain.js';
import { MOCK_DEV_CACHE_ID_MAX, MOCK_NESTED_DOMAIN_IOTLB_ID_MAX, MOCK_PAGE_SIZE } from '../iommu/abi/selftest.js';

type TestCmd = Ucmd<typeof IommuTestCmd.fields>;

/** Every mock IO page of [iova, iova+length) maps the byte the process has at uptr+offset. */
export function checkMap(u: TestCmd): number {
  const hwpt = lookupHwptPaging(u.ctx, u.get('id'));
  if (!hwpt) return -ENOENT;
  const domain = hwpt.domain;
  if (!(domain instanceof MockPagingDomain)) return -EINVAL;
  const { iova, length, uptr } = decodeStruct(TestCheckMap, u.view);
  if (length % MOCK_PAGE_SIZE !== 0n || iova % MOCK_PAGE_SIZE !== 0n) return -EINVAL;
  for (let off = 0n; off < length; off += MOCK_PAGE_SIZE) {
    const va = uptr + off;
    const frame = u.mem.frameOf(va);
    if (frame === undefined) return -EFAULT;
    if (domain.physOf(iova + off) !== frame + (va % PAGE_SIZE)) return -EINVAL;
  }
  return 0;
}

export function checkIotlb(u: TestCmd): number {
  const hwpt = lookupHwptNested(u.ctx, u.get('id'));
  if (!hwpt) return -ENOENT;
  if (!(hwpt.domain instanceof MockNestedDomain)) return -EINVAL;
  const { id, iotlb } = decodeStruct(TestCheckIotlb, u.view);
  if (id > MOCK_NESTED_DOMAIN_IOTLB_ID_MAX || hwpt.domain.iotlb[id] !== iotlb) return -EINVAL;
  return 0;
}

export function checkDevCache(u: TestCmd): number {
  const dev = lookupDevice(u.ctx, u.get('id'));
  if (!dev) return -ENOENT;
  if (!(dev.driverDevice instanceof MockDevice)) return -EINVAL;
  const { id, cache } = decodeStruct(TestCheckDevCache, u.view);
  if (id > MOCK_DEV_CACHE_ID_MAX || dev.driverDevice.cache[id] !== cache) return -EINVAL;
  return 0;
}

/** For every set bit i of the user bitmap, the entry mapping iova + i*page_size becomes dirty. */
export function dirty(u: TestCmd): number {
  const { iova, length, page_size: pageSize, uptr } = decodeStruct(TestDirty, u.view);
  if (pageSize === 0n || length === 0n || iova % pageSize !== 0n || length % pageSize !== 0n || uptr === 0n) return -EINVAL;
  const hwpt = lookupHwptPaging(u.ctx, u.get('id'));
  if (!hwpt) return -ENOENT;
  const domain = hwpt.domain;
  if (!(domain instanceof MockPagingDomain) || !domain.dirty?.enabled) return -EINVAL;
  const bits = length / pageSize;
  const bitmap = u.mem.read(uptr, Number((bits + 7n) / 8n));
  if (!bitmap.ok) return -EFAULT;
  let count = 0n;
  for (let i = 0n; i < bits; i++) {
    if ((bitmap.value[Number(i / 8n)] & (1 << Number(i % 8n))) === 0) continue;
    if (domain.markDirty(iova + i * pageSize)) count++;
  }
  u.view.setBigUint64(TestDirty.fields.out_nr_dirty.offset, count, true);
  return u.respond();
}
