// The VFIO type1 compatibility container. Part 1 replays the ioctl arguments of a C
// client compiled against the real /usr/include/linux/vfio.h; part 2 ports the
// self-test's VFIO cases: fixture `iommufd` (no compat IOAS) and fixture
// `vfio_compat_mock_domain` (variants Ver1v2 and Ver1v0).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import * as U from '../../src/index.js';
import * as MK from '../../src/iommu/abi/selftest.js';
import { BUFFER_SIZE, expectErrno, expectOk, Harness, HUGEPAGE, PAGE } from './helpers.js';
import { checkSystem } from './invariants.js';
import * as MH from './mock-helpers.js';

const A = MK.MOCK_APERTURE_START;
const HEADER = '/usr/include/linux/vfio.h';
const SOURCE = join(import.meta.dirname, 'vfio-client', 'vfio-client.c');

function gccAvailable(): boolean {
  try {
    execFileSync('gcc', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const canCompile = existsSync(HEADER) && gccAvailable();
if (!canCompile) console.warn(`vfio-compat: skipping the C client (needs gcc and ${HEADER})`);

interface ClientOutput {
  consts: Record<string, number>;
  structs: Record<string, Uint8Array>;
}

/** Sets up an IOAS with a mock domain as the compat IOAS, then VFIO_SET_IOMMU(type). */
async function compatSetup(type: number) {
  const h = await Harness.open();
  const ioas = h.ioasAlloc();
  const dom = MH.mockDomainOk(h, ioas);
  expectOk(h.call(U.IOMMU_VFIO_IOAS, U.IommuVfioIoas, { ioas_id: ioas, op: U.IOMMU_VFIO_IOAS_SET }).rc);
  expectOk(h.sys.ioctl(h.fd, U.VFIO_SET_IOMMU, type));
  return { h, ioas, dom };
}

describe.runIf(canCompile)('VFIO type1 through a C client built against linux/vfio.h', () => {
  let binary: string;
  beforeAll(() => {
    const dir = mkdtempSync(join(tmpdir(), 'vfio-client-'));
    binary = join(dir, 'vfio-client');
    execFileSync('gcc', ['-O0', '-Wall', '-Werror', '-o', binary, SOURCE]);
  });

  const runClient = (vaddr: number, iova: bigint, size: number, infoArgsz: number): ClientOutput => {
    const text = execFileSync(binary, [String(vaddr), `0x${iova.toString(16)}`, String(size), String(infoArgsz)], { encoding: 'utf8' });
    const out: ClientOutput = { consts: {}, structs: {} };
    for (const line of text.trim().split('\n')) {
      const parts = line.split(' ');
      if (parts[0] === 'const') out.consts[parts[1]] = Number(parts[2]);
      else out.structs[parts[0]] = Uint8Array.from(Buffer.from(parts[1], 'hex'));
    }
    return out;
  };

  it('request numbers, constants and struct sizes match the header', () => {
    const c = runClient(0, 0n, 0, 0).consts;
    expect(c.VFIO_GET_API_VERSION).toBe(U.VFIO_GET_API_VERSION);
    expect(c.VFIO_CHECK_EXTENSION).toBe(U.VFIO_CHECK_EXTENSION);
    expect(c.VFIO_SET_IOMMU).toBe(U.VFIO_SET_IOMMU);
    expect(c.VFIO_IOMMU_GET_INFO).toBe(U.VFIO_IOMMU_GET_INFO);
    expect(c.VFIO_IOMMU_MAP_DMA).toBe(U.VFIO_IOMMU_MAP_DMA);
    expect(c.VFIO_IOMMU_UNMAP_DMA).toBe(U.VFIO_IOMMU_UNMAP_DMA);
    expect(c.VFIO_API_VERSION).toBe(U.VFIO_API_VERSION);
    expect(c.VFIO_TYPE1_IOMMU).toBe(U.VFIO_TYPE1_IOMMU);
    expect(c.VFIO_TYPE1v2_IOMMU).toBe(U.VFIO_TYPE1v2_IOMMU);
    expect(c.VFIO_UNMAP_ALL).toBe(U.VFIO_UNMAP_ALL);
    expect(c.sizeof_info).toBe(U.VfioIommuType1Info.sizeof);
    expect(c.sizeof_map).toBe(U.VfioIommuType1DmaMap.sizeof);
    expect(c.sizeof_unmap).toBe(U.VfioIommuType1DmaUnmap.sizeof);
    expect(c.sizeof_cap_header).toBe(U.VfioInfoCapHeader.sizeof);
    expect(c.sizeof_cap_iova_range).toBe(16);
    expect(c.sizeof_cap_dma_avail).toBe(12);
  });

  it('the client maps, reads info, and unmaps through the syscall surface; a device sees the bytes', async () => {
    const { h, dom } = await compatSetup(U.VFIO_TYPE1v2_IOMMU);
    const buffer = h.sys.mem.alloc(BUFFER_SIZE, HUGEPAGE);
    const pattern = Uint8Array.from({ length: BUFFER_SIZE }, (_, i) => (i * 31) & 0xff);
    h.sys.mem.write(buffer, pattern);
    const out = runClient(buffer, A, BUFFER_SIZE, 512);
    const arg = h.sys.mem.alloc(PAGE);
    const issue = (name: string, request: number) => {
      h.sys.mem.write(arg, out.structs[name]);
      return h.sys.ioctl(h.fd, request, arg);
    };

    expect(h.sys.ioctl(h.fd, out.consts.VFIO_GET_API_VERSION, 0)).toBe(out.consts.VFIO_API_VERSION);
    expect(h.sys.ioctl(h.fd, out.consts.VFIO_CHECK_EXTENSION, out.consts.VFIO_TYPE1v2_IOMMU)).toBe(1);
    expectOk(issue('map', out.consts.VFIO_IOMMU_MAP_DMA));
    const r = h.sys.dma(dom.idev, { iova: A + 5000n, length: 100 });
    expect('data' in r && Buffer.from(r.data).equals(Buffer.from(pattern.subarray(5000, 5100)))).toBe(true);

    h.sys.mem.write(arg, new Uint8Array(512).fill(0xee));
    expectOk(issue('info', out.consts.VFIO_IOMMU_GET_INFO));
    const info = U.unpackStruct(U.VfioIommuType1Info, (h.sys.mem.read(arg, 24) as { ok: true; value: Uint8Array }).value);
    expect(info.flags).toBe(U.VFIO_IOMMU_INFO_PGSIZES | U.VFIO_IOMMU_INFO_CAPS);
    expect(info.cap_offset).toBe(24);

    expectOk(issue('unmap', out.consts.VFIO_IOMMU_UNMAP_DMA));
    expect(h.sys.mem.readU64(arg + 16)).toEqual({ ok: true, value: BigInt(BUFFER_SIZE) });
    expectOk(issue('unmap_all', out.consts.VFIO_IOMMU_UNMAP_DMA));
    expect(h.sys.mem.readU64(arg + 16)).toEqual({ ok: true, value: 0n });
    checkSystem(h.sys);
  });
});

describe('fixture iommufd: VFIO compat without a compat IOAS', () => {
  it('answers as the self-test expects', async () => {
    const h = await Harness.open();
    const sys = h.sys;
    const arg = sys.mem.alloc(PAGE);
    const put = (layout: U.StructLayout, v: Record<string, unknown>) => sys.mem.write(arg, U.packStruct(layout, v as never));
    expect(sys.ioctl(h.fd, U.VFIO_GET_API_VERSION, 0)).toBe(U.VFIO_API_VERSION);
    expect(sys.ioctl(h.fd, U.VFIO_CHECK_EXTENSION, U.VFIO_TYPE1v2_IOMMU)).toBe(1);

    put(U.VfioIommuType1DmaUnmap, { argsz: 1 });
    expectErrno(U.EINVAL, sys.ioctl(h.fd, U.VFIO_IOMMU_UNMAP_DMA, arg));
    put(U.VfioIommuType1DmaUnmap, { argsz: 24, flags: (1 << 31) >>> 0 });
    expectErrno(U.EINVAL, sys.ioctl(h.fd, U.VFIO_IOMMU_UNMAP_DMA, arg));
    put(U.VfioIommuType1DmaUnmap, { argsz: 24 });
    expectErrno(U.ENODEV, sys.ioctl(h.fd, U.VFIO_IOMMU_UNMAP_DMA, arg));

    put(U.VfioIommuType1DmaMap, { argsz: 1 });
    expectErrno(U.EINVAL, sys.ioctl(h.fd, U.VFIO_IOMMU_MAP_DMA, arg));
    put(U.VfioIommuType1DmaMap, { argsz: 32, flags: (1 << 31) >>> 0 });
    expectErrno(U.EINVAL, sys.ioctl(h.fd, U.VFIO_IOMMU_MAP_DMA, arg));
    put(U.VfioIommuType1DmaMap, { argsz: 32, flags: U.VFIO_DMA_MAP_FLAG_READ | U.VFIO_DMA_MAP_FLAG_WRITE });
    expectErrno(U.ENODEV, sys.ioctl(h.fd, U.VFIO_IOMMU_MAP_DMA, arg));

    put(U.VfioIommuType1Info, { argsz: 1 });
    expectErrno(U.EINVAL, sys.ioctl(h.fd, U.VFIO_IOMMU_GET_INFO, arg));
    put(U.VfioIommuType1Info, { argsz: 24 });
    expectErrno(U.ENODEV, sys.ioctl(h.fd, U.VFIO_IOMMU_GET_INFO, arg));

    expectErrno(U.ENODEV, sys.ioctl(h.fd, U.VFIO_SET_IOMMU, U.VFIO_TYPE1v2_IOMMU));
    expectErrno(U.ENODEV, sys.ioctl(h.fd, U.VFIO_SET_IOMMU, U.VFIO_TYPE1_IOMMU));
    checkSystem(sys);
  });
});

describe.each([
  { name: 'Ver1v2', type: U.VFIO_TYPE1v2_IOMMU },
  { name: 'Ver1v0', type: U.VFIO_TYPE1_IOMMU },
])('fixture vfio_compat_mock_domain ($name)', (variant) => {
  let h: Harness;
  let ioas: number;
  let arg: number;
  beforeEach(async () => {
    ({ h, ioas } = await compatSetup(variant.type));
    arg = h.sys.mem.alloc(2 * PAGE);
  });
  afterEach(() => {
    checkSystem(h.sys);
    expectOk(h.sys.close(h.fd));
    expect(h.sys.pool.totalPins).toBe(0);
  });

  const mapDma = (vaddr: number, iova: bigint, size: number) => {
    h.sys.mem.write(arg, U.packStruct(U.VfioIommuType1DmaMap, { argsz: 32, flags: U.VFIO_DMA_MAP_FLAG_READ | U.VFIO_DMA_MAP_FLAG_WRITE, vaddr: BigInt(vaddr), iova, size: BigInt(size) }));
    return h.sys.ioctl(h.fd, U.VFIO_IOMMU_MAP_DMA, arg);
  };
  const unmapDma = (iova: bigint, size: bigint, flags = 0) => {
    h.sys.mem.write(arg, U.packStruct(U.VfioIommuType1DmaUnmap, { argsz: 24, flags, iova, size }));
    const rc = h.sys.ioctl(h.fd, U.VFIO_IOMMU_UNMAP_DMA, arg);
    return { rc, size: (h.sys.mem.readU64(arg + 16) as { ok: true; value: bigint }).value };
  };

  it('option_huge_pages', () => {
    const r = h.call(U.IOMMU_OPTION, U.IommuOption, { option_id: U.IOMMU_OPTION_HUGE_PAGES, op: U.IOMMU_OPTION_OP_GET, object_id: ioas });
    expectOk(r.rc);
    expect(r.out.val64).toBe(variant.type === U.VFIO_TYPE1_IOMMU ? 0n : 1n);
  });

  it('get_info', () => {
    let full = 0;
    for (let argsz = 20; argsz < 256; argsz++) {
      h.sys.mem.write(arg, new Uint8Array(512).fill(0xee));
      h.sys.mem.write(arg, U.packStruct(U.VfioIommuType1Info, { argsz }).subarray(0, 20));
      expectOk(h.sys.ioctl(h.fd, U.VFIO_IOMMU_GET_INFO, arg));
      const bytes = (h.sys.mem.read(arg, 512) as { ok: true; value: Uint8Array }).value;
      for (let i = argsz; i < 512; i++) if (bytes[i] !== 0xee) throw new Error(`byte ${i} written with argsz ${argsz}`);
      const info = U.unpackStruct(U.VfioIommuType1Info, bytes);
      expect(info.flags).toBe(U.VFIO_IOMMU_INFO_PGSIZES | U.VFIO_IOMMU_INFO_CAPS);
      expect(info.iova_pgsizes).not.toBe(0n);
      if (argsz < info.argsz) continue;
      full++;
      const v = new DataView(bytes.buffer);
      const seen: number[] = [];
      for (let at = info.cap_offset; at !== 0; at = v.getUint32(at + 4, true)) {
        const id = v.getUint16(at, true);
        seen.push(id);
        if (id === U.VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE) {
          expect(v.getUint32(at + 8, true)).toBe(1);
          expect(v.getBigUint64(at + 16, true)).toBe(A);
          expect(v.getBigUint64(at + 24, true)).toBe(MK.MOCK_APERTURE_LAST);
        }
      }
      expect(seen.sort()).toEqual([U.VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, U.VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL]);
    }
    expect(full).toBeGreaterThan(0);
  });

  it('map', () => {
    const buffer = h.sys.mem.alloc(BUFFER_SIZE, HUGEPAGE);
    expectOk(mapDma(buffer, A, BUFFER_SIZE));
    let r = unmapDma(A, BigInt(BUFFER_SIZE));
    expectOk(r.rc);
    expect(r.size).toBe(BigInt(BUFFER_SIZE));
    r = unmapDma(A, BigInt(BUFFER_SIZE));
    expectOk(r.rc);
    expect(r.size).toBe(0n);
    expectOk(mapDma(buffer, A, BUFFER_SIZE));
    expectErrno(U.EINVAL, unmapDma(1n, 0n, U.VFIO_DMA_UNMAP_FLAG_ALL).rc);
    expectErrno(U.EINVAL, unmapDma(0n, 1n, U.VFIO_DMA_UNMAP_FLAG_ALL).rc);
    r = unmapDma(0n, 0n, U.VFIO_DMA_UNMAP_FLAG_ALL);
    expectOk(r.rc);
    expect(r.size).toBe(BigInt(BUFFER_SIZE));
    const pages = BUFFER_SIZE / PAGE;
    for (let i = 0; i < pages; i++) expectOk(mapDma(buffer + i * PAGE, A + BigInt(i * PAGE), PAGE));
    // A fixed permutation stands in for the kernel's random order.
    const order = Array.from({ length: pages }, (_, i) => (i * 7) % pages);
    for (const i of order) {
      const u = unmapDma(A + BigInt(i * PAGE), BigInt(PAGE));
      expectOk(u.rc);
      expect(u.size).toBe(BigInt(PAGE));
    }
  });

  it('huge_map', () => {
    const size = 2 * HUGEPAGE;
    const buffer = h.sys.mem.alloc(size, HUGEPAGE);
    expectOk(mapDma(buffer, A, size));
    const piece = BigInt(size / 16);
    for (let i = 0n; i < 16n; i++) {
      const r = unmapDma(A + i * piece, piece);
      if (variant.type === U.VFIO_TYPE1_IOMMU) {
        expectOk(r.rc);
        expect(r.size).toBe(piece);
      } else {
        expectErrno(U.ENOENT, r.rc);
      }
    }
  });
});
