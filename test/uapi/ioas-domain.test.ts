// IOAS <-> paging domain mirroring with the plain RecordingDomain: pinning on attach,
// DMA seeing the process's bytes, aperture and alignment rules, and undo on failure.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as U from '../../src/index.js';
import { RecordingDomain } from '../../src/uapi/testing/recording-domain.js';
import { expectErrno, expectOk, Harness, HUGEPAGE, MAP_RW, PAGE, PAGE_N } from './helpers.js';
import { checkSystem } from './invariants.js';

const A = U.MOCK_APERTURE_START;
const MOCK_LAST = U.MOCK_APERTURE_LAST;

describe('IOAS with attached domains', () => {
  let h: Harness;
  let ioasId: number;
  let ioas: U.IoasObject;
  let buffer: number;

  beforeEach(async () => {
    h = await Harness.open();
    ioasId = h.ioasAlloc();
    ioas = h.ctx.objects.get<U.IoasObject>(ioasId, U.ObjectType.IOAS)!;
    buffer = h.sys.mem.alloc(16 * PAGE, HUGEPAGE);
  });
  afterEach(() => {
    checkSystem(h.sys);
    expectOk(h.sys.close(h.fd));
    expect(h.sys.pool.totalPins).toBe(0);
  });

  const attach = (d: RecordingDomain) => ioas.iopt.attachDomain(d);
  const dmaRead = (d: RecordingDomain, iova: bigint, n: number) => h.sys.pool.store.read(d.translate(iova)!.pa, n);

  it('a device reads what the process wrote, and the process sees device writes', () => {
    expect(h.sys.mem.write(buffer + 10, new TextEncoder().encode('hello')).ok).toBe(true);
    const m = h.map(ioasId, buffer, 2n * PAGE_N);
    expectOk(m.rc);
    expect(h.sys.pool.totalPins).toBe(0); // nothing can DMA yet, nothing pinned
    const d = new RecordingDomain();
    expect(attach(d).ok).toBe(true);
    expect(h.sys.pool.totalPins).toBe(2);
    expect(new TextDecoder().decode(dmaRead(d, m.iova + 10n, 5))).toBe('hello');
    h.sys.pool.store.write(d.translate(m.iova + PAGE_N)!.pa, new Uint8Array([42]));
    const r = h.sys.mem.read(buffer + PAGE, 1);
    expect(r.ok && r.value[0]).toBe(42);
    expect(d.translate(m.iova)!.prot).toBe(3); // Perm.R | Perm.W
  });

  it('maps made while a domain is attached are mirrored at once; unmap removes them', () => {
    const d = new RecordingDomain();
    expect(attach(d).ok).toBe(true);
    const m = h.map(ioasId, buffer, 4n * PAGE_N);
    expectOk(m.rc);
    expect(d.mappedBytes).toBe(4n * PAGE_N);
    checkSystem(h.sys);
    expectOk(h.unmap(ioasId, m.iova, 4n * PAGE_N).rc);
    expect(d.mappedBytes).toBe(0n);
    expect(h.sys.pool.totalPins).toBe(0);
  });

  it('a bad VA is found when pages get pinned: at attach, or at map with a domain (EFAULT)', () => {
    expectOk(h.map(ioasId, 1n << 31n, PAGE_N, 0x10000n).rc);
    const d = new RecordingDomain();
    expect(attach(d)).toEqual({ ok: false, errno: U.EFAULT });
    expect(ioas.iopt.domains.length).toBe(0);
    expectOk(h.unmap(ioasId, 0n, U.U64_MAX).rc);
    expect(attach(d).ok).toBe(true);
    // Half of an 8-page region unmapped: the map as a whole fails and leaves nothing.
    const region = h.sys.mem.alloc(8 * PAGE);
    expectOk(h.sys.mem.free(region + 4 * PAGE, 4 * PAGE));
    expectErrno(U.EFAULT, h.map(ioasId, region, 8n * PAGE_N).rc);
    expect(ioas.iopt.areas.length).toBe(0);
    expect(h.sys.pool.totalPins).toBe(0);
  });

  it('the aperture becomes reserved: IOVA_RANGES, fixed and automatic maps follow it', () => {
    const d = new RecordingDomain({ pageSize: 2048n, aperture: { start: A, last: MOCK_LAST } });
    expect(attach(d).ok).toBe(true);
    const array = h.sys.mem.alloc(PAGE);
    const r = h.call(U.IOMMU_IOAS_IOVA_RANGES, U.IommuIoasIovaRanges, {
      ioas_id: ioasId,
      num_iovas: 4,
      allowed_iovas: BigInt(array),
    });
    expectOk(r.rc);
    expect(r.out.num_iovas).toBe(1);
    expect(r.out.out_iova_alignment).toBe(2048n);
    expect(h.sys.mem.readU64(array)).toEqual({ ok: true, value: A });
    expect(h.sys.mem.readU64(array + 8)).toEqual({ ok: true, value: MOCK_LAST });

    expectErrno(U.EINVAL, h.map(ioasId, buffer, PAGE_N, A - PAGE_N).rc);
    expectErrno(U.EINVAL, h.map(ioasId, buffer, PAGE_N, MOCK_LAST + 1n - 2048n).rc);
    const m = h.map(ioasId, buffer, PAGE_N);
    expectOk(m.rc);
    expect(m.iova >= A && m.iova + PAGE_N - 1n <= MOCK_LAST).toBe(true);
    // ioas_iova_alloc with a mock domain: lengths not a multiple of 2048 are EINVAL.
    expectErrno(U.EINVAL, h.map(ioasId, buffer, 1000n).rc);
    expectErrno(U.EINVAL, h.map(ioasId, buffer + 1024, 2048n).rc);
    expectOk(h.map(ioasId, buffer + 2048, 2048n).rc);
  });

  it('attach refuses areas or allowed ranges outside the aperture and misaligned areas (EADDRINUSE)', () => {
    const d = new RecordingDomain({ pageSize: 2048n, aperture: { start: A, last: MOCK_LAST } });
    expectOk(h.map(ioasId, buffer, PAGE_N, 0n).rc);
    expect(attach(d)).toEqual({ ok: false, errno: U.EADDRINUSE });
    expectOk(h.unmap(ioasId, 0n, PAGE_N).rc);
    expectOk(h.map(ioasId, buffer, 1000n, A).rc);
    expect(attach(d)).toEqual({ ok: false, errno: U.EADDRINUSE });
    expectOk(h.unmap(ioasId, 0n, U.U64_MAX).rc);
    expect(attach(new RecordingDomain({ pageSize: 8192n }))).toEqual({ ok: false, errno: U.EINVAL });
    expect(attach(d).ok).toBe(true);
    expect(attach(d)).toEqual({ ok: false, errno: U.EEXIST });
  });

  it('HUGE_PAGES cannot be disabled while a domain holds areas (EINVAL)', () => {
    expect(attach(new RecordingDomain()).ok).toBe(true);
    expectOk(h.map(ioasId, buffer, PAGE_N).rc);
    const set0 = h.call(U.IOMMU_OPTION, U.IommuOption, {
      option_id: U.IOMMU_OPTION_HUGE_PAGES,
      op: U.IOMMU_OPTION_OP_SET,
      object_id: ioasId,
      val64: 0n,
    });
    expectErrno(U.EINVAL, set0.rc);
  });

  it('a failing domain map undoes the whole map; a failing attach undoes the attach', () => {
    const d1 = new RecordingDomain();
    const d2 = new RecordingDomain();
    expect(attach(d1).ok).toBe(true);
    expect(attach(d2).ok).toBe(true);
    d2.failMapAfter = 0;
    expectErrno(U.ENOMEM, h.map(ioasId, buffer, 2n * PAGE_N).rc);
    expect(ioas.iopt.areas.length).toBe(0);
    expect(d1.mappedBytes).toBe(0n);
    d2.failMapAfter = undefined;
    expectOk(h.map(ioasId, buffer, 2n * PAGE_N).rc);
    expectOk(h.map(ioasId, buffer + 4 * PAGE, 2n * PAGE_N).rc);
    const d3 = new RecordingDomain();
    d3.failMapAfter = 1;
    expect(attach(d3)).toEqual({ ok: false, errno: U.ENOMEM });
    expect(d3.mappedBytes).toBe(0n);
    expect(ioas.iopt.domains.length).toBe(2);
    expect(ioas.iopt.detachDomain(d2).ok).toBe(true);
    expect(d2.mappedBytes).toBe(0n);
    expect(h.sys.pool.totalPins).toBe(4);
    expect(ioas.iopt.detachDomain(d1).ok).toBe(true);
    expect(h.sys.pool.totalPins).toBe(0);
  });

  it('COPY into another IOAS shares the pinned pages (one pin per page)', () => {
    const dstId = h.ioasAlloc();
    const dst = h.ctx.objects.get<U.IoasObject>(dstId, U.ObjectType.IOAS)!;
    const d1 = new RecordingDomain();
    const d2 = new RecordingDomain();
    expect(attach(d1).ok).toBe(true);
    expect(dst.iopt.attachDomain(d2).ok).toBe(true);
    const m = h.map(ioasId, buffer, 4n * PAGE_N);
    expectOk(m.rc);
    const c = h.call(U.IOMMU_IOAS_COPY, U.IommuIoasCopy, {
      flags: MAP_RW,
      dst_ioas_id: dstId,
      src_ioas_id: ioasId,
      length: 2n * PAGE_N,
      src_iova: m.iova + PAGE_N,
    });
    expectOk(c.rc);
    expect(h.sys.pool.totalPins).toBe(4);
    expect(d2.translate(c.out.dst_iova)!.pa).toBe(d1.translate(m.iova + PAGE_N)!.pa);
    expectOk(h.unmap(ioasId, m.iova, 4n * PAGE_N).rc);
    expect(h.sys.pool.totalPins).toBe(2);
    checkSystem(h.sys);
  });

  it('COPY with WRITEABLE from read-only memory is EPERM', () => {
    const m = h.map(ioasId, buffer, PAGE_N, undefined, U.IOMMU_IOAS_MAP_READABLE);
    expectOk(m.rc);
    const c = (flags: number) =>
      h.call(U.IOMMU_IOAS_COPY, U.IommuIoasCopy, {
        flags,
        dst_ioas_id: ioasId,
        src_ioas_id: ioasId,
        length: PAGE_N,
        src_iova: m.iova,
      }).rc;
    expectErrno(U.EPERM, c(MAP_RW));
    expectOk(c(U.IOMMU_IOAS_MAP_READABLE));
  });
});
