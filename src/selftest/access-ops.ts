// IOMMU_TEST_CMD ops on in-kernel accesses (spec §5.1 ops 5-8, 11), each with the
// self-test's argument checks in its order: size cap (ENOMEM), flags (EOPNOTSUPP), the
// access fd (EBADFD when it is not one), then the IOAS work.
import { EBADE, EBADFD, EFAULT, ENOENT, ENOMEM, EOPNOTSUPP } from '../iommu/errno.js';
import { PAGE_SIZE } from '../uapi/limits.js';
import {
  decodeStruct,
  MOCK_ACCESS_RW_SLOW_PATH,
  MOCK_ACCESS_RW_WRITE,
  MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
  MOCK_FLAGS_ACCESS_SYZ,
  MOCK_FLAGS_ACCESS_WRITE,
  TestAccessPages,
  TestAccessReplaceIoas,
  TestAccessRw,
  TestCreateAccess,
  TestDestroyAccessPages,
  encodeStruct,
  type IommuTestCmd,
} from '../iommu/abi/index.js';
import type { Ucmd } from '../uapi/ucmd.js';
import { lookupIoas, NO_SUCH_OBJECT } from '../uapi/ioctls/common.js';
import type { IoPageTable } from '../uapi/ioas/io-pagetable.js';
import type { AccessPin } from '../uapi/ioas/access.js';
import { AccessFile, AccessObject } from './access.js';

type TestCmd = Ucmd<typeof IommuTestCmd.fields>;

/** The self-test refuses larger buffers before allocating them (it guards a kernel WARN). */
const MAX_ACCESS_LENGTH = 16n * 1024n * 1024n;

function accessOf(u: TestCmd): AccessObject | undefined {
  const file = u.ctx.process.anonFileOf(u.get('id'));
  return file instanceof AccessFile ? file.access : undefined;
}

export function createAccess(u: TestCmd): number {
  const { flags } = decodeStruct(TestCreateAccess, u.view);
  if (flags & ~MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES) return -EOPNOTSUPP;
  const ioas = lookupIoas(u.ctx, u.get('id'));
  if (!ioas) return NO_SUCH_OBJECT;
  const access = new AccessObject(u.ctx, ioas, (flags & MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES) !== 0);
  const added = u.ctx.objects.add(access);
  if (!added.ok) return -added.errno;
  const attached = ioas.iopt.addAccess(access);
  if (!attached.ok) {
    u.ctx.objects.destroy(added.value);
    return -attached.errno;
  }
  u.ctx.objects.hold(access, ioas);
  const fd = u.ctx.process.installFile(new AccessFile(u.ctx, access));
  encodeStruct(TestCreateAccess, { out_access_fd: fd }, u.view);
  const rc = u.respond();
  // Closing the fd undoes everything: the object, its IOAS hold and the attachment.
  if (rc !== 0) u.ctx.process.uninstallFile(fd);
  return rc;
}

export function accessReplaceIoas(u: TestCmd): number {
  const access = accessOf(u);
  if (!access) return -EBADFD;
  const { ioas_id } = decodeStruct(TestAccessReplaceIoas, u.view);
  // The access's own iommufd names the IOAS (iommufd_access_replace looks in
  // access->ictx), not the file the command came in on.
  const next = lookupIoas(access.ctx, ioas_id);
  if (!next) return NO_SUCH_OBJECT;
  const r = access.replaceIoas(next);
  return r.ok ? 0 : -r.errno;
}

export function accessPages(u: TestCmd): number {
  const cmd = decodeStruct(TestAccessPages, u.view);
  if (cmd.length > MAX_ACCESS_LENGTH) return -ENOMEM;
  if (cmd.flags & ~(MOCK_FLAGS_ACCESS_WRITE | MOCK_FLAGS_ACCESS_SYZ)) return -EOPNOTSUPP;
  const access = accessOf(u);
  if (!access) return -EBADFD;
  if (!access.needsPinPages) return -EOPNOTSUPP;
  const iopt = access.ioas.iopt;
  const iova = cmd.flags & MOCK_FLAGS_ACCESS_SYZ ? syzIova(iopt, cmd.iova) : cmd.iova;
  const pinned = iopt.pinForAccess(access, iova, cmd.length, (cmd.flags & MOCK_FLAGS_ACCESS_WRITE) !== 0);
  if (!pinned.ok) return -pinned.errno;
  // A zero uptr skips the comparison (syzkaller cannot guess the buffer).
  const rc = cmd.uptr === 0n ? 0 : comparePages(u, pinned.value, cmd.uptr - (iova % PAGE_SIZE));
  if (rc !== 0) {
    iopt.unpinForAccess(pinned.value);
    return rc;
  }
  const id = access.addItem(pinned.value);
  encodeStruct(TestAccessPages, { out_access_pages_id: id }, u.view);
  const written = u.respond();
  if (written !== 0) access.destroyItem(id);
  return written;
}

export function destroyAccessPages(u: TestCmd): number {
  const access = accessOf(u);
  if (!access) return -EBADFD;
  const { access_pages_id } = decodeStruct(TestDestroyAccessPages, u.view);
  return access.destroyItem(access_pages_id) ? 0 : -ENOENT;
}

export function accessRw(u: TestCmd): number {
  const cmd = decodeStruct(TestAccessRw, u.view);
  if (cmd.length > MAX_ACCESS_LENGTH) return -ENOMEM;
  if (cmd.flags & ~(MOCK_ACCESS_RW_WRITE | MOCK_ACCESS_RW_SLOW_PATH | MOCK_FLAGS_ACCESS_SYZ)) return -EOPNOTSUPP;
  const access = accessOf(u);
  if (!access) return -EBADFD;
  const write = (cmd.flags & MOCK_ACCESS_RW_WRITE) !== 0;
  const length = Number(cmd.length);
  let buffer: Uint8Array = new Uint8Array(length);
  if (write) {
    const r = u.mem.read(cmd.uptr, length);
    if (!r.ok) return -EFAULT;
    buffer = r.value;
  }
  const iopt = access.ioas.iopt;
  const iova = cmd.flags & MOCK_FLAGS_ACCESS_SYZ ? syzIova(iopt, cmd.iova) : cmd.iova;
  const r = iopt.accessRw(iova, buffer, write, u.ctx.process.pool.store);
  if (!r.ok) return -r.errno;
  if (!write && !u.mem.write(cmd.uptr, buffer).ok) return -EFAULT;
  return 0;
}

/**
 * The pinned pages must be the very frames behind the process's pages from `uptr` on
 * (aligned down like the IOVA): an unmapped VA is EFAULT, another frame EBADE.
 */
function comparePages(u: TestCmd, pin: AccessPin, uptr: bigint): number {
  const { start, last } = pin.range;
  let va = uptr;
  for (let page = start - (start % PAGE_SIZE); page <= last; page += PAGE_SIZE) {
    const pa = physAt(pin, page < start ? start : page);
    if (!u.mem.isMapped(va, 1)) return -EFAULT;
    if (u.mem.frameOf(va) !== pa - (pa % PAGE_SIZE)) return -EBADE;
    va += PAGE_SIZE;
  }
  return 0;
}

/** The physical address behind IOVA `iova` of a pin. */
function physAt(pin: AccessPin, iova: bigint): bigint {
  let offset = iova - pin.range.start;
  for (const s of pin.slices) {
    if (offset < s.length) return s.pages.physOf(s.offset + offset);
    offset -= s.length;
  }
  throw new RangeError(`iova ${iova} outside the pin`);
}

/**
 * MOCK_FLAGS_ACCESS_SYZ: the u64 IOVA is read as {nth_area u32, offset u32} so a fuzzer
 * can hit a mapped IOVA without knowing it; no such area is IOVA 0.
 */
function syzIova(iopt: IoPageTable, raw: bigint): bigint {
  const nth = Number(raw & 0xffff_ffffn);
  const offset = raw >> 32n;
  const area = iopt.areas[nth];
  return area ? area.start + offset : 0n;
}
