// IOMMU_IOAS_MAP_FILE over memfd files, and IOMMU_IOAS_CHANGE_PROCESS (fixture
// change_process, basic, minus the fork and VmPin accounting parts).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as U from '../../src/uapi/index.js';
import { RecordingDomain } from '../../src/uapi/testing/recording-domain.js';
import { expectErrno, expectOk, Harness, MAP_FIXED_RW, MAP_RW, PAGE, PAGE_N } from './helpers.js';
import { checkSystem } from './invariants.js';

describe('IOMMU_IOAS_MAP_FILE', () => {
  let h: Harness;
  let ioas: number;
  let mfd: number;

  beforeEach(async () => {
    h = await Harness.open();
    ioas = h.ioasAlloc();
    mfd = h.sys.memfdCreate(4 * PAGE);
  });
  afterEach(() => checkSystem(h.sys));

  const mapFile = (fd: number, start: bigint, length: bigint, flags = MAP_RW, iova = 0n, ioasId = ioas) =>
    h.call(U.IOMMU_IOAS_MAP_FILE, U.IommuIoasMapFile, { ioas_id: ioasId, fd, start, length, flags, iova });

  it('maps a file range; a device sees the file bytes, even after the file is truncated', () => {
    const src = h.sys.mem.alloc(PAGE);
    h.sys.mem.write(src, new TextEncoder().encode('file data'));
    expect(h.sys.lseek(mfd, PAGE)).toBe(PAGE);
    expect(h.sys.write(mfd, src, 9)).toBe(9);
    const ioasObj = h.ctx.objects.get<U.IoasObject>(ioas, U.ObjectType.IOAS)!;
    const d = new RecordingDomain();
    expect(ioasObj.iopt.attachDomain(d).ok).toBe(true);
    const m = mapFile(mfd, PAGE_N, PAGE_N);
    expectOk(m.rc);
    expectOk(h.sys.ftruncate(mfd, 0));
    expectOk(h.sys.close(mfd));
    const pa = d.translate(m.out.iova)!.pa;
    expect(new TextDecoder().decode(h.sys.pool.store.read(pa, 9))).toBe('file data');
  });

  it('argument checks in order', () => {
    expectErrno(U.EOPNOTSUPP, mapFile(mfd, 0n, PAGE_N, MAP_RW | 8).rc);
    expectErrno(U.EOVERFLOW, mapFile(mfd, 0n, U.U64_MAX).rc);
    expectErrno(U.EOVERFLOW, mapFile(mfd, 0n, PAGE_N, MAP_FIXED_RW, U.U64_MAX).rc);
    expectErrno(U.EINVAL, mapFile(mfd, 0n, PAGE_N, 0).rc);
    expectErrno(U.ENOENT, mapFile(mfd, 0n, PAGE_N, MAP_RW, 0n, 0).rc);
    expectErrno(U.EBADF, mapFile(99, 0n, PAGE_N).rc);
    expectErrno(U.EINVAL, mapFile(h.fd, 0n, PAGE_N).rc);
    expectErrno(U.EINVAL, mapFile(mfd, 0n, 0n).rc);
    expectErrno(U.EINVAL, mapFile(mfd, 0n, 4n * PAGE_N + 1n).rc);
    expectErrno(U.EINVAL, mapFile(mfd, 4n * PAGE_N, 4n * PAGE_N).rc);
    expectErrno(U.EOVERFLOW, mapFile(mfd, U.U64_MAX - 1n, 2n).rc);
    expectOk(mapFile(mfd, 0n, 4n * PAGE_N).rc);
    expectOk(h.sys.ftruncate(mfd, 0));
    expectErrno(U.EINVAL, mapFile(mfd, 0n, 4n * PAGE_N).rc);
  });

  it('change_process basic: anonymous maps refuse, file maps move', () => {
    const change = () => h.call(U.IOMMU_IOAS_CHANGE_PROCESS, U.IommuIoasChangeProcess, {}).rc;
    const buf = h.sys.mem.alloc(PAGE);
    const m = h.map(ioas, buf, PAGE_N);
    expectOk(m.rc);
    expectErrno(U.EINVAL, change());
    expectOk(h.unmap(ioas, m.iova, PAGE_N).rc);
    expectOk(mapFile(mfd, 0n, PAGE_N).rc);
    expectOk(change());
    expectErrno(U.EOPNOTSUPP, h.call(U.IOMMU_IOAS_CHANGE_PROCESS, U.IommuIoasChangeProcess, { __reserved: 1 }).rc);
  });
});
