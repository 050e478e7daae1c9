// The self-test's dma-buf ops (spec §5.1): DMABUF_GET exports a buffer of zeroed pages
// as a new fd, DMABUF_REVOKE takes it back or makes it valid again, and MD_CHECK_DMABUF
// (op 24, newest development header) checks that a mock domain maps an IOVA range to
// the buffer's pages from a byte offset on.
import { DmaBuf } from '../uapi/dmabuf.js';
import { EBADF, EINVAL, ENOENT } from '../iommu/errno.js';
import { PAGE_SIZE, PAGE_SIZE_NUM, U64_MAX } from '../uapi/limits.js';
import {
  decodeStruct,
  TEST_DMABUF_MAX_PAGES,
  TestCheckDmabuf,
  TestDmabufGet,
  TestDmabufRevoke,
  type IommuTestCmd,
} from '../iommu/abi/index.js';
import type { Ucmd } from '../uapi/ucmd.js';
import { lookupHwptPaging } from '../uapi/ioctls/lookup.js';
import { MockPagingDomain } from '../drivers/mock/paging-domain.js';

type TestCmd = Ucmd<typeof IommuTestCmd.fields>;

/** Returns the new fd (the ioctl's return value), or -errno. */
export function dmabufGet(u: TestCmd): number {
  const { length, open_flags: openFlags } = decodeStruct(TestDmabufGet, u.view);
  const bytes = Math.ceil(length / PAGE_SIZE_NUM) * PAGE_SIZE_NUM;
  if (bytes === 0 || bytes > TEST_DMABUF_MAX_PAGES * PAGE_SIZE_NUM) return -EINVAL;
  const buf = DmaBuf.create(u.ctx.process.pool, bytes, openFlags);
  if (!buf.ok) return -buf.errno;
  return u.ctx.process.installDmaBuf(buf.value);
}

export function dmabufRevoke(u: TestCmd): number {
  const { dmabuf_fd: fd, revoked } = decodeStruct(TestDmabufRevoke, u.view);
  const buf = dmaBufOf(u, fd);
  if (typeof buf === 'number') return buf;
  buf.setRevoked(revoked !== 0);
  return 0;
}

/** Every smallest IO page of [iova, iova+length) translates to the buffer's byte offset+i. */
export function checkDmabuf(u: TestCmd): number {
  const hwpt = lookupHwptPaging(u.ctx, u.get('id'));
  if (!hwpt) return -ENOENT;
  const domain = hwpt.domain;
  if (!(domain instanceof MockPagingDomain)) return -EINVAL;
  const { dmabuf_fd: fd, iova, length, offset } = decodeStruct(TestCheckDmabuf, u.view);
  const buf = dmaBufOf(u, fd);
  if (typeof buf === 'number') return buf;
  const unit = domain.pageSize;
  if (iova % unit !== 0n || length % unit !== 0n || offset % unit !== 0n) return -EINVAL;
  if (offset + length > U64_MAX || offset + length > BigInt(buf.size)) return -EINVAL;
  for (let i = 0n; i < length; i += unit) {
    const at = offset + i;
    const expected = buf.frameAt(Number(at / PAGE_SIZE))! + (at % PAGE_SIZE);
    if (domain.physOf(iova + i) !== expected) return -EINVAL;
  }
  return 0;
}

/** dma_buf_get: a closed fd is EBADF, an fd of another kind EINVAL. */
function dmaBufOf(u: TestCmd, fd: number): DmaBuf | number {
  const buf = u.ctx.process.dmaBufOf(fd);
  if (buf === null) return -EBADF;
  if (buf === undefined) return -EINVAL;
  return buf;
}
