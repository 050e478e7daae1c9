// Files that ioctls hand out (the kernel's anonymous inodes: fault queues, vEVENTQs).
// The System installs them in the fd table and forwards read/write/close to them.
import type { Result } from '../iommu/result.js';

export interface AnonFile {
  /** Name shown by the kernel for the file, e.g. "[iommufd-pgfault]". */
  readonly name: string;
  /** Bytes for a read of `count`, or an errno. */
  read(count: number): Result<Uint8Array>;
  /** Bytes consumed from `data`, or an errno. */
  write(data: Uint8Array): Result<number>;
  /** The last close. */
  release(): void;
}
