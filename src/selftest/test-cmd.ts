// IOMMU_TEST_CMD (spec §5.1), the self-test hook a kernel built with
// CONFIG_IOMMUFD_TEST adds to the iommufd: IOAS ops here, mock-device ops in the files
// beside it (mock devices, in-kernel accesses, the test dma-buf). A host hands TEST_OP
// to the uAPI's dispatch table; the uAPI itself knows nothing of it.
import { EFAULT, EINVAL, EIO, EOPNOTSUPP, EOVERFLOW } from '../iommu/errno.js';
import { TEST_RESERVATION } from '../uapi/ioas/io-pagetable.js';
import { PAGE_SIZE, U64_MAX } from '../uapi/limits.js';
import {
  decodeStruct,
  IOMMU_TEST_OP,
  TestAddReserved,
  TestCheckRefs,
  TestMemoryLimit,
  IommuTestCmd,
} from '../iommu/abi/index.js';
import type { Ucmd } from '../uapi/ucmd.js';
import { lookupIoas, NO_SUCH_OBJECT } from '../uapi/ioctls/common.js';
import { checkDevCache, checkIotlb, checkMap, dirty } from './checks.js';
import { triggerIopf, triggerVevent } from './events.js';
import { accessPages, accessReplaceIoas, accessRw, createAccess, destroyAccessPages } from './access-ops.js';
import { mockDomain, mockDomainReplace, pasidAttach, pasidCheckHwpt, pasidDetach } from './mock-domain.js';
import { checkDmabuf, dmabufGet, dmabufRevoke } from './dmabuf-ops.js';
import { defineIoctl, type IoctlOp } from '../uapi/dispatch.js';
import { IOMMUFD_CMD } from '../uapi/ioctl-numbers.js';

type TestCmd = Ucmd<typeof IommuTestCmd.fields>;

const MIN_TEST_MEMORY_LIMIT = 12;

export function testCmd(u: TestCmd): number {
  switch (u.get('op')) {
    case IOMMU_TEST_OP.ADD_RESERVED:
      return addReserved(u);
    case IOMMU_TEST_OP.SET_TEMP_MEMORY_LIMIT:
      return setMemoryLimit(u);
    case IOMMU_TEST_OP.MD_CHECK_REFS:
      return checkRefs(u);
    case IOMMU_TEST_OP.MOCK_DOMAIN:
      return mockDomain(u, false);
    case IOMMU_TEST_OP.MOCK_DOMAIN_FLAGS:
      return mockDomain(u, true);
    case IOMMU_TEST_OP.MOCK_DOMAIN_REPLACE:
      return mockDomainReplace(u);
    case IOMMU_TEST_OP.MD_CHECK_MAP:
      return checkMap(u);
    case IOMMU_TEST_OP.MD_CHECK_IOTLB:
      return checkIotlb(u);
    case IOMMU_TEST_OP.DEV_CHECK_CACHE:
      return checkDevCache(u);
    case IOMMU_TEST_OP.DIRTY:
      return dirty(u);
    case IOMMU_TEST_OP.TRIGGER_IOPF:
      return triggerIopf(u);
    case IOMMU_TEST_OP.TRIGGER_VEVENT:
      return triggerVevent(u);
    case IOMMU_TEST_OP.PASID_ATTACH:
      return pasidAttach(u, 'attach');
    case IOMMU_TEST_OP.PASID_REPLACE:
      return pasidAttach(u, 'replace');
    case IOMMU_TEST_OP.PASID_DETACH:
      return pasidDetach(u);
    case IOMMU_TEST_OP.PASID_CHECK_HWPT:
      return pasidCheckHwpt(u);
    case IOMMU_TEST_OP.CREATE_ACCESS:
      return createAccess(u);
    case IOMMU_TEST_OP.ACCESS_REPLACE_IOAS:
      return accessReplaceIoas(u);
    case IOMMU_TEST_OP.ACCESS_PAGES:
      return accessPages(u);
    case IOMMU_TEST_OP.ACCESS_RW:
      return accessRw(u);
    case IOMMU_TEST_OP.DESTROY_ACCESS_PAGES:
      return destroyAccessPages(u);
    case IOMMU_TEST_OP.DMABUF_GET:
      return dmabufGet(u);
    case IOMMU_TEST_OP.DMABUF_REVOKE:
      return dmabufRevoke(u);
    case IOMMU_TEST_OP.MD_CHECK_DMABUF:
      return checkDmabuf(u);
    default:
      return -EOPNOTSUPP;
  }
}

function addReserved(u: TestCmd): number {
  const ioas = lookupIoas(u.ctx, u.get('id'));
  if (!ioas) return NO_SUCH_OBJECT;
  const { start, length } = decodeStruct(TestAddReserved, u.view);
  if (length === 0n) return -EINVAL;
  if (start + length - 1n > U64_MAX) return -EOVERFLOW;
  const r = ioas.iopt.addReserved({ start, last: start + length - 1n }, TEST_RESERVATION);
  return r.ok ? 0 : -r.errno;
}

function setMemoryLimit(u: TestCmd): number {
  const { limit } = decodeStruct(TestMemoryLimit, u.view);
  if (limit < MIN_TEST_MEMORY_LIMIT) return -EINVAL;
  u.ctx.testMemoryLimit = limit;
  return 0;
}

/**
 * Every page of [uptr, uptr+length) must be pinned exactly `refs` times (the self-test
 * teardown checks 0 after close). The range must be whole pages that do not wrap
 * (EINVAL); the pages are then visited in order: unmapped is EFAULT, a wrong count EIO.
 * The kernel compares page reference counts; here pins are counted directly, which is
 * what those counts track.
 */
function checkRefs(u: TestCmd): number {
  const { length, uptr, refs } = decodeStruct(TestCheckRefs, u.view);
  if (length % PAGE_SIZE !== 0n || uptr % PAGE_SIZE !== 0n || uptr + length > U64_MAX) return -EINVAL;
  const mem = u.mem;
  for (let va = uptr; va < uptr + length; va += PAGE_SIZE) {
    if (!mem.isMapped(va, 1)) return -EFAULT;
    const frame = mem.frameOf(va);
    const pins = frame === undefined ? 0 : mem.pool.pinCount(frame);
    if (pins !== refs) return -EIO;
  }
  return 0;
}

/** IOMMU_TEST_CMD as a command of the iommufd dispatch table. */
export const TEST_OP: IoctlOp = defineIoctl('IOMMU_TEST_CMD', IOMMUFD_CMD.TEST, IommuTestCmd, testCmd);
