// IOMMU_TEST_CMD (spec §5.1), the self-test hook. Ops that only touch an IOAS are
// implemented; ops that need the mock device, its domains or in-kernel accesses do the
// lookups the kernel would do first and are marked AWAITING-MOCK.
import { EFAULT, EINVAL, ENOENT, EOPNOTSUPP, EOVERFLOW } from '../errno.js';
import { TEST_RESERVATION } from '../ioas/io-pagetable.js';
import { U64_MAX } from '../limits.js';
import { ObjectType } from '../objects.js';
import {
  decodeStruct,
  IOMMU_TEST_OP,
  TestAddReserved,
  TestCheckRefs,
  TestMemoryLimit,
  TestMockDomainFlags,
  type IommuTestCmd,
} from '../structs/index.js';
import type { Ucmd } from '../ucmd.js';
import { lookupIoas, NO_SUCH_OBJECT } from './common.js';

type TestCmd = Ucmd<typeof IommuTestCmd.fields>;

const AWAITING_MOCK = -EOPNOTSUPP;
/** MOCK_FLAGS_DEVICE_NO_DIRTY | MOCK_FLAGS_DEVICE_HUGE_IOVA | MOCK_FLAGS_DEVICE_PASID. */
const MOCK_DEVICE_FLAGS = (1 << 0) | (1 << 1) | (1 << 2);
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
      return mockDomain(u);
    case IOMMU_TEST_OP.MOCK_DOMAIN_FLAGS: {
      const flags = decodeStruct(TestMockDomainFlags, u.view).dev_flags;
      if ((flags & ~MOCK_DEVICE_FLAGS) !== 0) return -EINVAL;
      return mockDomain(u);
    }
    case IOMMU_TEST_OP.MOCK_DOMAIN_REPLACE:
      if (!u.ctx.objects.get(u.get('id'), ObjectType.SELFTEST)) return -ENOENT;
      return AWAITING_MOCK;
    default:
      // AWAITING-MOCK: MD_CHECK_MAP, accesses (5-8, 11), DIRTY, IOTLB/cache checks,
      // IOPF/vEVENT triggers, PASID ops, dma-buf. Unknown ops are EOPNOTSUPP as well.
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
 * teardown checks 0 after close). Unmapped memory is EFAULT. The kernel compares page
 * reference counts; here pins are counted directly, which is what those counts track.
 */
function checkRefs(u: TestCmd): number {
  const { length, uptr, refs } = decodeStruct(TestCheckRefs, u.view);
  if (length === 0n) return 0;
  if (uptr + length - 1n > U64_MAX || length > BigInt(Number.MAX_SAFE_INTEGER)) return -EOVERFLOW;
  const mem = u.mem;
  if (!mem.isMapped(uptr, Number(length))) return -EFAULT;
  const first = uptr / 4096n;
  const last = (uptr + length - 1n) / 4096n;
  for (let page = first; page <= last; page++) {
    const frame = mem.frameOf(page * 4096n);
    const pins = frame === undefined ? 0 : mem.pool.pinCount(frame);
    if (pins !== refs) return -EINVAL;
  }
  return 0;
}

/** MOCK_DOMAIN attaches a new mock device to an IOAS or a paging HWPT. */
function mockDomain(u: TestCmd): number {
  const id = u.get('id');
  if (!u.ctx.objects.get(id, ObjectType.IOAS) && !u.ctx.objects.get(id, ObjectType.HWPT_PAGING)) return -ENOENT;
  return AWAITING_MOCK;
}
