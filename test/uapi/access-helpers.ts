// The self-test's access helpers (iommufd_utils.h, spec §5.3) over the harness:
// test_cmd_create_access, ACCESS_PAGES, test_cmd_destroy_access_pages, ACCESS_RW,
// test_cmd_access_replace_ioas, and check_access_rw with a seeded generator in place
// of rand().
import { expect } from 'vitest';
import * as U from '../../src/index.js';
import { BUFFER_SIZE, expectOk, PAGE, type Harness } from './helpers.js';
import { testCmd } from './mock-helpers.js';

export function createAccess(h: Harness, ioas: number, flags: number): { rc: number; fd: number } {
  const r = testCmd(h, U.IOMMU_TEST_OP.CREATE_ACCESS, ioas, U.TestCreateAccess, { flags });
  return { rc: r.rc, fd: r.out.out_access_fd };
}

export function createAccessOk(h: Harness, ioas: number, flags: number): number {
  const r = createAccess(h, ioas, flags);
  expectOk(r.rc);
  expect(r.fd).toBeGreaterThanOrEqual(3);
  return r.fd;
}

export function accessPages(h: Harness, accessFd: number, iova: bigint, length: number | bigint, uptr: number | bigint, flags = 0): { rc: number; id: number } {
  const r = testCmd(h, U.IOMMU_TEST_OP.ACCESS_PAGES, accessFd, U.TestAccessPages, {
    flags,
    iova,
    length: BigInt(length),
    uptr: BigInt(uptr),
  });
  return { rc: r.rc, id: r.out.out_access_pages_id };
}

export function destroyAccessPages(h: Harness, accessFd: number, id: number): number {
  return testCmd(h, U.IOMMU_TEST_OP.DESTROY_ACCESS_PAGES, accessFd, U.TestDestroyAccessPages, { access_pages_id: id }).rc;
}

export function accessRw(h: Harness, accessFd: number, iova: bigint, length: number, uptr: number, flags: number): number {
  return testCmd(h, U.IOMMU_TEST_OP.ACCESS_RW, accessFd, U.TestAccessRw, { iova, length: BigInt(length), uptr: BigInt(uptr), flags }).rc;
}

export function accessReplaceIoas(h: Harness, accessFd: number, ioas: number): number {
  return testCmd(h, U.IOMMU_TEST_OP.ACCESS_REPLACE_IOAS, accessFd, U.TestAccessReplaceIoas, { ioas_id: ioas }).rc;
}

/** test_cmd_destroy_access: closing the fd is what destroys an access. */
export function destroyAccess(h: Harness, accessFd: number): void {
  expectOk(h.sys.close(accessFd));
}

/** A small deterministic generator standing in for the self-test's rand(). */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 16;
}

const read = (h: Harness, at: number, n: number) => {
  const r = h.sys.mem.read(at, n);
  if (!r.ok) throw new Error(`read of ${at} failed`);
  return r.value;
};

/**
 * check_access_rw: fill the buffer with random halfwords; for IOVAs around the second
 * page boundary (±50 bytes) and every length 1..63, a read through the access returns
 * the buffer's bytes and a write of random bytes lands in the buffer; then one read of
 * the whole buffer.
 */
export function checkAccessRw(h: Harness, accessFd: number, buffer: number, iova: bigint, defFlags: number, rand = lcg(1)): void {
  const fill = new Uint8Array(BUFFER_SIZE);
  const view = new DataView(fill.buffer);
  for (let i = 0; i < BUFFER_SIZE / 2; i++) view.setUint16(i * 2, rand() & 0xffff, true);
  expect(h.sys.mem.write(buffer, fill).ok).toBe(true);
  const tmp = h.sys.mem.alloc(64);
  for (let at = iova + BigInt(PAGE) - 50n; at < iova + BigInt(PAGE) + 50n; at++) {
    for (let length = 1; length < 64; length++) {
      const off = Number(at - iova);
      expectOk(accessRw(h, accessFd, at, length, tmp, defFlags));
      expect(Buffer.from(read(h, tmp, length)).equals(Buffer.from(read(h, buffer + off, length)))).toBe(true);
      const bytes = Uint8Array.from({ length: 64 }, () => rand() & 0xff);
      h.sys.mem.write(tmp, bytes);
      expectOk(accessRw(h, accessFd, at, length, tmp, defFlags | U.MOCK_ACCESS_RW_WRITE));
      expect(Buffer.from(read(h, buffer + off, length)).equals(Buffer.from(bytes.subarray(0, length)))).toBe(true);
    }
  }
  const whole = h.sys.mem.alloc(BUFFER_SIZE);
  expectOk(accessRw(h, accessFd, iova, BUFFER_SIZE, whole, defFlags));
  expect(Buffer.from(read(h, whole, BUFFER_SIZE)).equals(Buffer.from(read(h, buffer, BUFFER_SIZE)))).toBe(true);
  h.sys.mem.free(whole, BUFFER_SIZE);
  h.sys.mem.free(tmp, 64);
}
