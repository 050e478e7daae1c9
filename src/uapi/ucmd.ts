// One ioctl in flight: the kernel copy of the user struct and the way back. Handlers
// read and write fields by name through the command's layout and decide themselves
// when to respond (most only on success, a few on errors too), as in the kernel.
import { EFAULT } from '../iommu/errno.js';
import type { IommufdContext } from './context.js';
import { readField, writeField, type Fields, type FieldValue, type StructLayout, type StructValue } from '../iommu/abi/layout.js';
import type { UserAddress, UserMemory } from './user-memory.js';

export class Ucmd<F extends Fields = Fields> {
  readonly view: DataView;

  constructor(
    readonly ctx: IommufdContext,
    readonly layout: StructLayout<F>,
    /** The user's struct address. */
    readonly ubuffer: UserAddress,
    /** The `size` the user passed (already >= layout.minSize). */
    readonly userSize: number,
    /** sizeof bytes: the user's struct, zero-extended if it was shorter. */
    readonly cmd: Uint8Array,
  ) {
    this.view = new DataView(cmd.buffer, cmd.byteOffset, cmd.byteLength);
  }

  get mem(): UserMemory {
    return this.ctx.process.mem;
  }

  get<N extends keyof F & string>(name: N): StructValue<F>[N] {
    return readField(this.view, this.layout.fields[name]) as StructValue<F>[N];
  }

  set<N extends keyof F & string>(name: N, value: StructValue<F>[N]): void {
    writeField(this.view, this.layout.fields[name], value as unknown as FieldValue<F[N]["kind"]>);
  }

  /** Copies the kernel struct back: min(user size, sizeof) bytes. 0 or -EFAULT. */
  respond(): number {
    const n = Math.min(this.userSize, this.layout.sizeof);
    const r = this.mem.write(this.ubuffer, this.cmd.subarray(0, n));
    return r.ok ? 0 : -EFAULT;
  }

  /** Writes back one field only (IOMMU_OPTION returns nothing but val64). */
  respondField<N extends keyof F & string>(name: N): number {
    const f = this.layout.fields[name];
    const at = typeof this.ubuffer === 'bigint' ? this.ubuffer + BigInt(f.offset) : this.ubuffer + f.offset;
    const r = this.mem.write(at, this.cmd.subarray(f.offset, f.offset + f.width));
    return r.ok ? 0 : -EFAULT;
  }
}
