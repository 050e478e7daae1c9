// Driver memory a process may mmap through its iommufd (the self-test vIOMMU's pages,
// a HW queue's doorbell page): what a driver asks for and gets back. The uAPI's
// MmapRegions is the implementation (offset cookies, frames, busy owners).
import type { Result } from './result.js';

/** What a driver gets back for its pages: the cookie to report, and the way to drop them. */
export interface DriverMmap {
  readonly offset: bigint;
  readonly length: bigint;
  /** Writes driver data into the pages (the self-test stores in_data in the first word). */
  write(at: number, data: Uint8Array): void;
  /** The driver object is destroyed: the region and its pages go. */
  release(): void;
}

/** Registration of driver pages (part of the driver environment). */
export interface MmapRegistry {
  create(pages: number): Result<DriverMmap>;
}
