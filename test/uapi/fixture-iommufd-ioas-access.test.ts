// Port of the in-kernel access cases of the kernel self-test fixture `iommufd_ioas`
// (spec §5.4): access_domain_destory, access_pin, access_pin_unmap, access_rw and
// access_rw_unaligned, in all four variants (the fixture set-up is the same as in
// fixture-iommufd-ioas.test.ts). fork_gone and fork_present stay out: one process.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as U from '../../src/index.js';
import * as MK from '../../src/iommu/abi/selftest.js';
import * as AH from './access-helpers.js';
import { BUFFER_SIZE, expectErrno, expectOk, Harness, HUGEPAGE, PAGE, PAGE_N } from './helpers.js';
import { checkSystem } from './invariants.js';
import * as MH from './mock-helpers.js';

const A = U.MOCK_APERTURE_START;
const NEEDS_PIN = U.MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES;

const VARIANTS = [
  { name: 'no_domain', mockDomains: 0, memoryLimit: 65536, pasidCapable: false },
  { name: 'mock_domain', mockDomains: 1, memoryLimit: 65536, pasidCapable: true },
  { name: 'two_mock_domain', mockDomains: 2, memoryLimit: 65536, pasidCapable: false },
  { name: 'mock_domain_limit', mockDomains: 1, memoryLimit: 16, pasidCapable: false },
];

describe.each(VARIANTS)('fixture iommufd_ioas ($name): in-kernel accesses', (variant) => {
  let h: Harness;
  let ioas: number;
  let buffer: number;
  let base: bigint;
  let stdev = 0;

  beforeEach(async () => {
    h = await Harness.open();
    buffer = h.sys.mem.alloc(BUFFER_SIZE, HUGEPAGE);
    ioas = h.ioasAlloc();
    expectOk(MH.testCmd(h, U.IOMMU_TEST_OP.SET_TEMP_MEMORY_LIMIT, 0, U.TestMemoryLimit, { limit: variant.memoryLimit }).rc);
    stdev = 0;
    for (let i = 0; i < variant.mockDomains; i++) stdev = MH.mockDomainOk(h, ioas).stdev;
    if (variant.pasidCapable) MH.mockDomainOk(h, ioas, MK.MOCK_FLAGS_DEVICE_PASID);
    base = variant.mockDomains > 0 ? A : 0n;
  });
  afterEach(() => {
    checkSystem(h.sys);
    expectOk(h.sys.close(h.fd));
    // teardown_iommufd: nothing pinned once every fd is closed.
    expect(h.sys.liveContexts()).toEqual([]);
    expect(h.sys.pool.totalPins).toBe(0);
  });

  it('access_domain_destory', () => {
    const buf = h.sys.mem.alloc(2 * HUGEPAGE, HUGEPAGE);
    expectOk(h.map(ioas, buf, 2 * HUGEPAGE, base).rc);
    const access = AH.createAccessOk(h, ioas, NEEDS_PIN);
    const pages = AH.accessPages(h, access, base + PAGE_N, PAGE, buf + PAGE);
    expectOk(pages.rc);
    // Unpins across a huge page boundary while the access still holds its page.
    if (stdev) expectOk(h.destroy(stdev));
    checkSystem(h.sys);
    expectOk(AH.destroyAccessPages(h, access, pages.id));
    AH.destroyAccess(h, access);
    expectOk(h.sys.mem.free(buf, 2 * HUGEPAGE));
  });

  it('access_pin', () => {
    const access = AH.createAccessOk(h, ioas, NEEDS_PIN);
    for (let npages = 1; npages < BUFFER_SIZE / PAGE; npages++) {
      const length = npages * PAGE;
      // Single map/unmap.
      expectOk(h.map(ioas, buffer, BUFFER_SIZE, A).rc);
      let r = AH.accessPages(h, access, A, length, buffer);
      expectOk(r.rc);
      expectOk(AH.destroyAccessPages(h, access, r.id));

      // Double user.
      const first = AH.accessPages(h, access, A, length, buffer);
      expectOk(first.rc);
      r = AH.accessPages(h, access, A, length, buffer);
      expectOk(r.rc);
      expect(r.id).toBe(first.id + 1);
      expectOk(AH.destroyAccessPages(h, access, r.id));
      expectOk(AH.destroyAccessPages(h, access, first.id));

      // Add/remove a domain with a user.
      r = AH.accessPages(h, access, A, length, buffer);
      expectOk(r.rc);
      const dom = MH.mockDomainOk(h, ioas);
      expectOk(MH.checkMap(h, dom.hwpt, A, BUFFER_SIZE, buffer));
      checkSystem(h.sys);
      expectOk(h.destroy(dom.stdev));
      expectOk(AH.destroyAccessPages(h, access, r.id));

      expectOk(h.unmap(ioas, A, BigInt(BUFFER_SIZE)).rc);
    }
    AH.destroyAccess(h, access);
  });

  it('access_pin_unmap', () => {
    const access = AH.createAccessOk(h, ioas, NEEDS_PIN);
    expectOk(h.map(ioas, buffer, BUFFER_SIZE, A).rc);
    const r = AH.accessPages(h, access, A, BUFFER_SIZE, buffer);
    expectOk(r.rc);
    // The unmap notification makes the access drop the item.
    expectOk(h.unmap(ioas, A, BigInt(BUFFER_SIZE)).rc);
    expectErrno(U.ENOENT, AH.destroyAccessPages(h, access, r.id));
    AH.destroyAccess(h, access);
  });

  it('access_rw', () => {
    const access = AH.createAccessOk(h, ioas, 0);
    const r = h.map(ioas, buffer, BUFFER_SIZE);
    expectOk(r.rc);
    AH.checkAccessRw(h, access, buffer, r.iova, 0);
    AH.checkAccessRw(h, access, buffer, r.iova, U.MOCK_ACCESS_RW_SLOW_PATH);
    expectOk(h.unmap(ioas, r.iova, BigInt(BUFFER_SIZE)).rc);
    AH.destroyAccess(h, access);
  });

  it('access_rw_unaligned', () => {
    const access = AH.createAccessOk(h, ioas, 0);
    // IOVA and memory disagree on their offset inside a CPU page.
    const iova = base + U.MOCK_PAGE_SIZE;
    expectOk(h.map(ioas, buffer, BUFFER_SIZE, iova).rc);
    AH.checkAccessRw(h, access, buffer, iova, 0);
    expectOk(h.unmap(ioas, iova, BigInt(BUFFER_SIZE)).rc);
    AH.destroyAccess(h, access);
  });
});
