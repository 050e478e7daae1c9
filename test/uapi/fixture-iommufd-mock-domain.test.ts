// Port of the kernel self-test fixture `iommufd_mock_domain` (spec §5.4): an IOAS with
// one or two mock domains, anonymous or memfd-backed buffers, normal or huge pages.
// MD_CHECK_MAP compares the domain's translation (the engine's page table) with the
// process's pages; the memfd flavour maps the memfd MAP_SHARED into the process (the
// kernel's memfd_mmap), so its pages are the file's and the same checks apply.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as U from '../../src/index.js';
import * as MK from '../../src/iommu/abi/selftest.js';
import * as AH from './access-helpers.js';
import { BUFFER_SIZE, expectErrno, expectOk, Harness, HUGEPAGE, PAGE } from './helpers.js';
import { checkSystem } from './invariants.js';
import * as MH from './mock-helpers.js';

const M = Number(MK.MOCK_PAGE_SIZE);

const VARIANTS = [
  { name: 'one_domain', domains: 1, hugepages: false, file: false },
  { name: 'two_domains', domains: 2, hugepages: false, file: false },
  { name: 'one_domain_hugepage', domains: 1, hugepages: true, file: false },
  { name: 'two_domains_hugepage', domains: 2, hugepages: true, file: false },
  { name: 'one_domain_file', domains: 1, hugepages: false, file: true },
  { name: 'one_domain_file_hugepage', domains: 1, hugepages: true, file: true },
];

describe.each(VARIANTS)('fixture iommufd_mock_domain ($name)', (variant) => {
  let h: Harness;
  let ioas: number;
  let doms: MH.MockDomain[];
  let bufSize: number;
  let buffer: number;
  let mfd: number;

  beforeEach(async () => {
    h = await Harness.open();
    ioas = h.ioasAlloc();
    doms = [];
    for (let i = 0; i < variant.domains; i++) doms.push(MH.mockDomainOk(h, ioas));
    bufSize = variant.hugepages ? 2 * HUGEPAGE : 8 * PAGE;
    mfd = h.sys.memfdCreate(bufSize);
    buffer = variant.file ? memfdMmap(h, mfd, bufSize) : h.sys.mem.alloc(bufSize, HUGEPAGE);
    // A recognisable pattern, so device reads prove which bytes are mapped.
    h.sys.mem.write(buffer, Uint8Array.from({ length: bufSize }, (_, i) => (i * 7 + (i >> 11)) & 0xff));
  });
  afterEach(() => {
    checkSystem(h.sys);
    expectOk(h.sys.close(h.fd));
    expect(h.sys.pool.totalPins).toBe(0);
  });

  const mapAny = (start: number, length: number, iova?: bigint) =>
    variant.file ? h.mapFile(ioas, mfd, start, length, iova) : h.map(ioas, buffer + start, length, iova);

  /** check_mock_iova for every domain. */
  const checkIova = (start: number, iova: bigint, length: number) => {
    for (const d of doms) expectOk(MH.checkMap(h, d.hwpt, iova, length, buffer + start));
  };

  it('basic', () => {
    if (variant.file) {
      const r = h.mapFile(ioas, mfd, 0, PAGE);
      expectOk(r.rc);
      checkIova(0, r.iova, PAGE);
      const other = h.sys.memfdCreate(bufSize);
      expectErrno(U.EINVAL, h.mapFile(ioas, other, 0, bufSize + 1).rc);
      expectOk(h.sys.ftruncate(other, 0));
      expectErrno(U.EINVAL, h.mapFile(ioas, other, 0, bufSize).rc);
      return;
    }
    const r = h.map(ioas, buffer, PAGE);
    expectOk(r.rc);
    checkIova(0, r.iova, PAGE);
    const region = h.sys.mem.alloc(bufSize, HUGEPAGE);
    expectOk(h.sys.mem.free(region + bufSize / 2, bufSize / 2));
    expectErrno(U.EFAULT, h.map(ioas, region, bufSize).rc);
    expectOk(h.sys.mem.free(region, bufSize / 2));
    expectErrno(U.EFAULT, h.map(ioas, region, bufSize).rc);
  });

  it('ro_unshare', () => {
    // The kernel maps its own executable (a read-only file) privately; a memfd with
    // content stands in for it. The fd is closed right after the mmap, as there.
    const fd = h.sys.memfdCreate(PAGE);
    expect(h.sys.mem.write(h.arg + PAGE, new Uint8Array(PAGE).fill(0x7f)).ok).toBe(true);
    expect(h.sys.write(fd, h.arg + PAGE, PAGE)).toBe(PAGE);
    const buf = h.sys.mmap(PAGE, U.PROT_READ | U.PROT_WRITE, U.MAP_PRIVATE, fd, 0);
    expect(buf).toBeGreaterThan(0);
    expectOk(h.sys.close(fd));
    // A write after a read-only pin must not change the page the domain maps.
    const r = h.map(ioas, buf, PAGE, undefined, U.IOMMU_IOAS_MAP_READABLE);
    expectOk(r.rc);
    for (const d of doms) expectOk(MH.checkMap(h, d.hwpt, r.iova, PAGE, buf));
    expect(h.sys.mem.write(buf, new Uint8Array(PAGE).fill(1)).ok).toBe(true);
    for (const d of doms) expectOk(MH.checkMap(h, d.hwpt, r.iova, PAGE, buf));
    expectOk(h.sys.munmap(buf, PAGE));
  });

  const allAligns = (withCopyDomain: boolean) => {
    // The kernel's bounds exactly: `end` stops short of the buffer's end, so the last
    // MOCK page is never mapped, and the huge variants (end starts at the buffer size)
    // map nothing at all.
    const step = variant.hugepages ? bufSize / 16 : M;
    const pageDown = (n: number) => n - (n % PAGE);
    expectOk(MH.checkRefs(h, buffer, bufSize, 0));
    for (let start = 0; start < bufSize; start += step) {
      for (let end = variant.hugepages ? bufSize : start + M; end < bufSize; end += M) {
        const length = end - start;
        const r = mapAny(start, length);
        expectOk(r.rc);
        // check_mock_iova looks at the first domain and at hwpt_ids[1], which the copy
        // variant points at a domain added while the area exists.
        const hwpts = doms.map((d) => d.hwpt);
        const extra = withCopyDomain ? MH.mockDomainOk(h, ioas) : undefined;
        if (extra) hwpts.splice(1, 1, extra.hwpt);
        for (const hwpt of hwpts) expectOk(MH.checkMap(h, hwpt, r.iova, length, buffer + start));
        expectOk(MH.checkRefs(h, buffer + pageDown(start), pageDown(end) - pageDown(start), 1));
        if (extra) expectOk(h.destroy(extra.stdev));
        expectOk(h.unmap(ioas, r.iova, BigInt(length)).rc);
      }
    }
    expectOk(MH.checkRefs(h, buffer, bufSize, 0));
  };

  it('all_aligns', () => allAligns(false));
  it('all_aligns_copy', () => allAligns(true));

  it('user_copy', () => {
    // The self-test's global buffer (anonymous) or its memfd twin mapped shared, BUFFER_SIZE each.
    const file = h.sys.memfdCreate(BUFFER_SIZE);
    const buf = variant.file ? memfdMmap(h, file, BUFFER_SIZE) : h.sys.mem.alloc(BUFFER_SIZE, HUGEPAGE);
    h.sys.mem.write(buf, Uint8Array.from({ length: BUFFER_SIZE }, (_, i) => (i * 13 + 5) & 0xff));
    const mapSource = (id: number) => {
      const r = variant.file ? h.mapFile(id, file, 0, BUFFER_SIZE) : h.map(id, buf, BUFFER_SIZE);
      expectOk(r.rc);
      return r.iova;
    };
    const copyAndCheck = (src: number, srcIova: bigint) => {
      expectOk(
        h.call(U.IOMMU_IOAS_COPY, U.IommuIoasCopy, {
          flags: U.IOMMU_IOAS_MAP_FIXED_IOVA | U.IOMMU_IOAS_MAP_WRITEABLE,
          dst_ioas_id: ioas,
          src_ioas_id: src,
          dst_iova: U.MOCK_APERTURE_START,
          src_iova: srcIova,
          length: BigInt(BUFFER_SIZE),
        }).rc,
      );
      for (const d of doms) expectOk(MH.checkMap(h, d.hwpt, U.MOCK_APERTURE_START, BUFFER_SIZE, buf));
    };

    // Pin the pages in an IOAS without domains, then copy into the one with domains.
    const first = h.ioasAlloc();
    let srcIova = mapSource(first);
    const access = AH.createAccessOk(h, first, U.MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES);
    expectOk(AH.accessPages(h, access, srcIova, BUFFER_SIZE, buf).rc);
    copyAndCheck(first, srcIova);

    // Move the access to a new IOAS, drop the copy and the old IOAS, and repeat.
    const second = h.ioasAlloc();
    srcIova = mapSource(second);
    expectOk(AH.accessReplaceIoas(h, access, second));
    expectOk(h.unmap(ioas, U.MOCK_APERTURE_START, BigInt(BUFFER_SIZE)).rc);
    expectOk(h.destroy(first));
    const pages = AH.accessPages(h, access, srcIova, BUFFER_SIZE, buf);
    expectOk(pages.rc);
    copyAndCheck(second, srcIova);
    expectOk(AH.destroyAccessPages(h, access, pages.id));
    AH.destroyAccess(h, access);
    expectOk(h.destroy(second));
    expectOk(h.sys.close(file));
  });

  it('replace', () => {
    const other = h.ioasAlloc();
    expectOk(MH.replace(h, doms[0].stdev, other).rc);
    if (variant.domains === 1) {
      // The automatic domain went away with its only device.
      expectErrno(U.ENOENT, MH.replace(h, doms[0].stdev, doms[0].hwpt).rc);
      expectOk(MH.replace(h, doms[0].stdev, other).rc);
    } else {
      expectOk(MH.replace(h, doms[0].stdev, doms[1].hwpt).rc);
      expectOk(MH.replace(h, doms[0].stdev, doms[1].hwpt).rc);
      expectOk(MH.replace(h, doms[0].stdev, doms[0].hwpt).rc);
    }
    expectOk(MH.replace(h, doms[0].stdev, ioas).rc);
    expectOk(h.destroy(other));
  });

  it('alloc_hwpt', () => {
    for (const d of doms) {
      expectErrno(U.EOPNOTSUPP, MH.hwptAlloc(h, d.idev, ioas, { flags: ~U.IOMMU_HWPT_ALLOC_NEST_PARENT >>> 0 }).rc);
      const h0 = MH.hwptAlloc(h, d.idev, ioas);
      expectOk(h0.rc);
      const h1 = MH.hwptAlloc(h, d.idev, ioas, { flags: U.IOMMU_HWPT_ALLOC_NEST_PARENT });
      expectOk(h1.rc);
      expectOk(MH.replace(h, d.stdev, h0.id).rc);
      expectErrno(U.EBUSY, h.destroy(h0.id));
      expectOk(MH.replace(h, d.stdev, h1.id).rc);
      expectErrno(U.EBUSY, h.destroy(h1.id));
      expectOk(MH.replace(h, d.stdev, ioas).rc);
      expectOk(h.destroy(h1.id));
      const extra = MH.mockDomainOk(h, h0.id);
      expectOk(h.destroy(extra.stdev));
      expectOk(h.destroy(h0.id));
    }
  });
});

/** memfd_mmap of the self-test: the memfd mapped read-write and shared into the process. */
function memfdMmap(h: Harness, fd: number, length: number): number {
  const addr = h.sys.mmap(length, U.PROT_READ | U.PROT_WRITE, U.MAP_SHARED, fd, 0);
  expect(addr).toBeGreaterThan(0);
  return addr;
}
