// Test harness in the spirit of the kernel self-test helpers: pack a struct into user
// memory, issue the ioctl, decode what came back.
import { expect } from 'vitest';
import {
  errnoName,
  IOMMU_DESTROY,
  IOMMU_IOAS_ALLOC,
  IOMMU_IOAS_MAP,
  IOMMU_IOAS_MAP_FILE,
  IOMMU_IOAS_MAP_FIXED_IOVA,
  IOMMU_IOAS_MAP_READABLE,
  IOMMU_IOAS_MAP_WRITEABLE,
  IOMMU_IOAS_UNMAP,
  IOMMU_TEST_CMD,
  IOMMU_TEST_OP,
  IommuDestroy,
  IommuIoasAlloc,
  IommuIoasMap,
  IommuIoasMapFile,
  IommuIoasUnmap,
  IommuTestCmd,
  packStruct,
  System,
  TestAddReserved,
  unpackStruct,
  type Fields,
  type StructLayout,
  type StructValue,
  type SystemOptions,
} from '../../src/index.js';

export const PAGE = 4096;
export const PAGE_N = 4096n;
export const U64_MAX = (1n << 64n) - 1n;
export const MAP_RW = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;
export const MAP_FIXED_RW = MAP_RW | IOMMU_IOAS_MAP_FIXED_IOVA;
/** BUFFER_SIZE of the self-test: 16 pages. */
export const BUFFER_SIZE = 16 * PAGE;
export const HUGEPAGE = 2 * 1024 * 1024;

export interface CallOptions {
  /** Value of the `size` field (default: sizeof). */
  size?: number;
  /** Bytes placed right after the sizeof bytes (a "future" struct tail). */
  tail?: Uint8Array;
  /** Issue the ioctl with this address instead of the harness's argument buffer. */
  argAddress?: number;
}

export interface CallResult<F extends Fields> {
  rc: number;
  out: StructValue<F>;
}

export class Harness {
  readonly arg: number;

  private constructor(
    readonly sys: System,
    public fd: number,
  ) {
    this.arg = sys.mem.alloc(2 * PAGE);
  }

  static async open(options: SystemOptions = {}): Promise<Harness> {
    const sys = await System.create(options);
    const fd = sys.open('/dev/iommu');
    expect(fd).toBeGreaterThanOrEqual(3);
    return new Harness(sys, fd);
  }

  get ctx() {
    return this.sys.contextOf(this.fd)!;
  }

  call<F extends Fields>(request: number, layout: StructLayout<F>, value: Partial<StructValue<F>>, opts: CallOptions = {}): CallResult<F> {
    const buf = packStruct(layout, value);
    const view = new DataView(buf.buffer);
    if ('size' in layout.fields) view.setUint32(0, opts.size ?? layout.sizeof, true);
    const tail = opts.tail ?? new Uint8Array(0);
    const whole = new Uint8Array(buf.length + tail.length);
    whole.set(buf);
    whole.set(tail, buf.length);
    expect(this.sys.mem.write(this.arg, whole).ok).toBe(true);
    const rc = this.sys.ioctl(this.fd, request, opts.argAddress ?? this.arg);
    const back = this.sys.mem.read(this.arg, layout.sizeof);
    if (!back.ok) throw new Error('argument buffer vanished');
    return { rc, out: unpackStruct(layout, back.value) };
  }

  ioasAlloc(): number {
    const r = this.call(IOMMU_IOAS_ALLOC, IommuIoasAlloc, {});
    expectOk(r.rc);
    return r.out.out_ioas_id;
  }

  destroy(id: number): number {
    return this.call(IOMMU_DESTROY, IommuDestroy, { id }).rc;
  }

  map(ioas: number, userVa: number | bigint, length: number | bigint, iova?: bigint, flags?: number): { rc: number; iova: bigint } {
    const r = this.call(IOMMU_IOAS_MAP, IommuIoasMap, {
      ioas_id: ioas,
      user_va: BigInt(userVa),
      length: BigInt(length),
      iova: iova ?? 0n,
      flags: flags ?? (iova === undefined ? MAP_RW : MAP_FIXED_RW),
    });
    return { rc: r.rc, iova: r.out.iova };
  }

  /** test_ioctl_ioas_map_file / _map_fixed_file: READABLE | WRITEABLE, FIXED_IOVA when `iova` is given. */
  mapFile(ioas: number, fd: number, start: number | bigint, length: number | bigint, iova?: bigint, flags?: number): { rc: number; iova: bigint } {
    const r = this.call(IOMMU_IOAS_MAP_FILE, IommuIoasMapFile, {
      ioas_id: ioas,
      fd,
      start: BigInt(start),
      length: BigInt(length),
      iova: iova ?? 0n,
      flags: flags ?? (iova === undefined ? MAP_RW : MAP_FIXED_RW),
    });
    return { rc: r.rc, iova: r.out.iova };
  }

  unmap(ioas: number, iova: bigint, length: bigint): { rc: number; length: bigint } {
    const r = this.call(IOMMU_IOAS_UNMAP, IommuIoasUnmap, { ioas_id: ioas, iova, length });
    return { rc: r.rc, length: r.out.length };
  }

  addReserved(ioas: number, start: bigint, length: bigint): number {
    const buf = packStruct(IommuTestCmd, { op: IOMMU_TEST_OP.ADD_RESERVED, id: ioas });
    const view = new DataView(buf.buffer);
    view.setBigUint64(TestAddReserved.fields.start.offset, start, true);
    view.setBigUint64(TestAddReserved.fields.length.offset, length, true);
    expect(this.sys.mem.write(this.arg, buf).ok).toBe(true);
    return this.sys.ioctl(this.fd, IOMMU_TEST_CMD, this.arg);
  }
}

/** EXPECT_ERRNO: the call failed with exactly `errno`. */
export function expectErrno(errno: number, rc: number): void {
  expect(errnoName(rc), `rc ${rc}`).toBe(errnoName(errno));
  expect(rc).toBe(-errno);
}

export function expectOk(rc: number): void {
  expect(rc < 0 ? errnoName(rc) : rc).toBe(0);
}
