// How the typed API reaches the syscall surface: a command struct is packed with its
// exported layout into a scratch page of the process, the ioctl is issued, and the
// struct is read back. Payloads (driver data, range arrays, bitmaps) live in temporary
// user buffers that are freed whatever the outcome.
import { packStruct, unpackStruct, type Fields, type StructLayout, type StructValue } from '../../iommu/abi/layout.js';
import type { IommufdSystem } from '../system.js';
import { check } from './errors.js';

const PAGE = 4096;

export interface IoctlResult<F extends Fields> {
  /** The syscall's non-negative result. */
  rc: number;
  /** The struct as the kernel left it. */
  out: StructValue<F>;
}

export class IoctlCaller {
  /** One page reused for every command struct (all are far smaller). */
  private readonly scratch: number;

  constructor(
    readonly sys: IommufdSystem,
    readonly fd: number,
  ) {
    this.scratch = sys.mem.alloc(PAGE);
  }

  /**
   * Issues `request` with `value` packed by `layout`. On failure throws IommufdError
   * named `command`, with the listed `keep` fields of the written-back struct attached.
   */
  call<F extends Fields>(
    command: string,
    request: number,
    layout: StructLayout<F>,
    value: Partial<StructValue<F>>,
    keep: readonly (keyof F & string)[] = [],
  ): IoctlResult<F> {
    let out: StructValue<F> | undefined;
    const rc = this.issue(request, packStruct(layout, value), (back) => (out = unpackStruct(layout, back)));
    const details: Record<string, number | bigint> = {};
    for (const k of keep) details[k] = out![k] as number | bigint;
    check(command, rc, details);
    return { rc, out: out! };
  }

  /** Issues `request` with `struct` as the argument bytes; returns the result and the bytes written back. */
  callRaw(command: string, request: number, struct: Uint8Array): { rc: number; out: Uint8Array } {
    let out: Uint8Array = new Uint8Array(0);
    const rc = this.issue(request, struct, (back) => (out = back));
    check(command, rc);
    return { rc, out };
  }

  private issue(request: number, struct: Uint8Array, readBack: (bytes: Uint8Array) => void): number {
    this.writeOrThrow(this.scratch, struct);
    const rc = this.sys.ioctl(this.fd, request, this.scratch);
    const back = this.sys.mem.read(this.scratch, struct.length);
    if (!back.ok) throw new Error('typed API: scratch page vanished');
    readBack(back.value);
    return rc;
  }

  /** Runs `body` with `bytes` copied into a fresh user buffer (address 0 for no bytes). */
  withBuffer<T>(bytes: Uint8Array | undefined, body: (address: number) => T): T {
    if (!bytes || bytes.length === 0) return body(0);
    const at = this.sys.mem.alloc(bytes.length);
    try {
      this.writeOrThrow(at, bytes);
      return body(at);
    } finally {
      this.sys.mem.free(at, bytes.length);
    }
  }

  /** Runs `body` with a zeroed user buffer of `length` bytes, then returns what it holds. */
  withOutBuffer<T>(length: number, body: (address: number) => T): { result: T; bytes: Uint8Array } {
    if (length === 0) return { result: body(0), bytes: new Uint8Array(0) };
    const at = this.sys.mem.alloc(length);
    try {
      const result = body(at);
      const r = this.sys.mem.read(at, length);
      if (!r.ok) throw new Error('typed API: output buffer vanished');
      return { result, bytes: r.value };
    } finally {
      this.sys.mem.free(at, length);
    }
  }

  /** The scratch page is released with the fd's owner; nothing else is held. */
  release(): void {
    this.sys.mem.free(this.scratch, PAGE);
  }

  private writeOrThrow(at: number, bytes: Uint8Array): void {
    if (!this.sys.mem.write(at, bytes).ok) throw new Error(`typed API: user buffer at ${at} is not writable`);
  }
}
