// IOMMU_IOAS_MAP_FILE over memfd files (the kernel's check order, pins deferred until a
// domain needs them), and IOMMU_IOAS_CHANGE_PROCESS (fixture change_process, basic,
// minus the fork and VmPin accounting parts).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as U from '../../src/index.js';
import { RecordingDomain } from '../../src/uapi/testing/recording-domain.js';
import { expectErrno, expectOk, Harness, MAP_FIXED_RW, MAP_RW, PAGE, PAGE_N } from './helpers.js';
import { checkSystem } from './invariants.js';
import * as MH from './mock-helpers.js';

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
  const ioasObj = () => h.ctx.objects.get<U.IoasObject>(ioas, U.ObjectType.IOAS)!;

  it('maps a file range; a device sees the file bytes, even after the file is truncated', () => {
    const src = h.sys.mem.alloc(PAGE);
    h.sys.mem.write(src, new TextEncoder().encode('file data'));
    expect(h.sys.lseek(mfd, PAGE)).toBe(PAGE);
    expect(h.sys.write(mfd, src, 9)).toBe(9);
    const d = new RecordingDomain();
    expect(ioasObj().iopt.attachDomain(d).ok).toBe(true);
    const m = mapFile(mfd, PAGE_N, PAGE_N);
    expectOk(m.rc);
    expectOk(h.sys.ftruncate(mfd, 0));
    expectOk(h.sys.close(mfd));
    const pa = d.translate(m.out.iova)!.pa;
    expect(new TextDecoder().decode(h.sys.pool.store.read(pa, 9))).toBe('file data');
  });

  it('checks in the kernel order: flags, iova/length, access, IOAS, then the byte range before the fd', () => {
    // Each call is wrong in two ways; the first check in the kernel's order decides.
    const closed = 99;
    expectErrno(U.EOPNOTSUPP, mapFile(closed, 0n, 0n, MAP_RW | 8).rc);
    expectErrno(U.EOVERFLOW, mapFile(closed, 0n, U.U64_MAX, 0).rc);
    expectErrno(U.EOVERFLOW, mapFile(closed, 0n, PAGE_N, MAP_FIXED_RW, U.U64_MAX).rc);
    expectErrno(U.EINVAL, mapFile(closed, 0n, PAGE_N, 0).rc);
    expectErrno(U.ENOENT, mapFile(closed, 0n, 0n, MAP_RW, 0n, 0).rc);
    // iopt_map_file_pages: length 0, then the last byte wrapping, and only then the fd.
    expectErrno(U.EINVAL, mapFile(closed, 0n, 0n).rc);
    expectErrno(U.EOVERFLOW, mapFile(closed, U.U64_MAX - 1n, 3n).rc);
    expectErrno(U.EOVERFLOW, mapFile(h.fd, U.U64_MAX - 1n, 3n).rc);
    expectErrno(U.EBADF, mapFile(closed, 0n, U.U64_MAX - 1n).rc);
    // The pages object refuses a length the page count cannot hold, whatever the file.
    expectErrno(U.EINVAL, mapFile(mfd, 0n, U.U64_MAX - 1n).rc);
    expectErrno(U.EINVAL, mapFile(h.fd, 0n, U.U64_MAX - 1n).rc);
    expect(ioasObj().iopt.areas).toEqual([]);
  });

  it('a file is pinned only when a domain needs it: its kind and size are not checked before', () => {
    // No domain: nothing is pinned, so a non-memfd file, pages past the end of the memfd
    // and an offset whose last byte is U64_MAX are all accepted. Attaching a domain then
    // fails, as pinning them fails (EINVAL).
    const A = U.MOCK_APERTURE_START;
    const half = PAGE_N / 2n;
    const bad: [number, bigint, bigint][] = [
      [h.fd, 0n, PAGE_N],
      [mfd, 4n * PAGE_N, PAGE_N],
      [mfd, 0n, 4n * PAGE_N + half],
      [mfd, U.U64_MAX - half + 1n, half],
    ];
    for (const [fd, start, length] of bad) {
      expectOk(mapFile(fd, start, length, MAP_FIXED_RW, A).rc);
      expectErrno(U.EINVAL, MH.mockDomain(h, ioas).rc);
      expectOk(h.unmap(ioas, A, length).rc);
    }
    const dom = MH.mockDomainOk(h, ioas);
    // With a domain the same maps fail at once, and after the IOVA checks: a fixed IOVA
    // already in use is EEXIST even for a file that could not be pinned.
    expectErrno(U.EINVAL, mapFile(h.fd, 0n, PAGE_N).rc);
    expectErrno(U.EINVAL, mapFile(mfd, 4n * PAGE_N, PAGE_N).rc);
    expectOk(mapFile(mfd, 0n, PAGE_N, MAP_FIXED_RW, A).rc);
    expectErrno(U.EEXIST, mapFile(h.fd, 0n, PAGE_N, MAP_FIXED_RW, A).rc);
    expectErrno(U.EEXIST, mapFile(mfd, 4n * PAGE_N, PAGE_N, MAP_FIXED_RW, A).rc);
    expectOk(h.sys.ftruncate(mfd, 0));
    expectErrno(U.EINVAL, mapFile(mfd, 0n, PAGE_N).rc);
    expectOk(h.destroy(dom.stdev));
  });

  it('the mapping keeps the memfd open: pages can still be pinned after the fd is closed', () => {
    const src = h.sys.mem.alloc(PAGE);
    h.sys.mem.write(src, new TextEncoder().encode('kept'));
    expect(h.sys.write(mfd, src, 4)).toBe(4);
    const m = mapFile(mfd, 0n, PAGE_N);
    expectOk(m.rc);
    expectOk(h.sys.close(mfd));
    const d = new RecordingDomain();
    expect(ioasObj().iopt.attachDomain(d).ok).toBe(true);
    expect(new TextDecoder().decode(h.sys.pool.store.read(d.translate(m.out.iova)!.pa, 4))).toBe('kept');
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
