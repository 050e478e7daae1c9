import { describe, expect, it } from 'vitest';
import { EBADF, ENOENT } from '../../src/index.js';
import { expectErrno, expectOk, Harness, PAGE } from './helpers.js';

describe('smoke', () => {
  it('opens, allocates an IOAS, maps and unmaps', async () => {
    const h = await Harness.open();
    expect(h.fd).toBe(3);
    const ioas = h.ioasAlloc();
    expect(ioas).toBe(1);
    const buf = h.sys.mem.alloc(4 * PAGE, 8 * PAGE);
    const m = h.map(ioas, buf, 2 * PAGE);
    expectOk(m.rc);
    expect(m.iova % 8192n).toBe(0n);
    const u = h.unmap(ioas, m.iova, 2n * 4096n);
    expectOk(u.rc);
    expect(u.length).toBe(8192n);
    expectErrno(ENOENT, h.sys.open('/dev/null'));
    expectErrno(EBADF, h.sys.ioctl(42, 0x3b80, buf));
  });
});
