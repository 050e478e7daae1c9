// Pages of the process that are not plain anonymous memory: a file mapping (MAP_SHARED
// sees the file's page; MAP_PRIVATE sees it until the first write, or a pin, gives the
// process its own copy) or driver memory mapped through the iommufd (PFN pages, which
// the kernel never pins). A mapping counts its pages so that what it holds (the file,
// the driver object) is let go with the last page unmapped, whatever the munmap calls.
import type { MemFile } from './memfd.js';

export class Mapping {
  private pages = 0;

  constructor(private readonly onLastUnmap: () => void) {}

  add(): void {
    this.pages++;
  }

  drop(): void {
    if (--this.pages === 0) this.onLastUnmap();
  }
}

export interface FilePage {
  readonly kind: 'file';
  readonly mapping: Mapping;
  readonly file: MemFile;
  /** Page number in the file. */
  readonly index: number;
  readonly shared: boolean;
  /** A private page's own frame, once a write or a pin broke copy-on-write. */
  copy?: bigint;
}

export interface PfnPage {
  readonly kind: 'pfn';
  readonly mapping: Mapping;
  readonly frame: bigint;
}

export type MappedPage = FilePage | PfnPage;
