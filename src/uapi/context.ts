// One open /dev/iommu file (the kernel's iommufd_ctx): its objects and the few
// settings that belong to the file rather than to an object.
import type { Engine } from '../engine/engine.js';
import type { AllocGuard } from '../iommu/alloc-guard.js';
import type { AnonFile } from './anon-file.js';
import type { DmaBuf } from './dmabuf.js';
import type { FramePool } from './frame-pool.js';
import type { IoasObject } from './ioas/ioas-object.js';
import type { MemFile } from './memfd.js';
import { MmapRegions } from './mmap-regions.js';
import { ObjectTable, type IommufdObject } from './objects.js';
import { TEST_MEMORY_LIMIT_DEFAULT } from '../iommu/abi/test-cmd.js';
import type { UserMemory } from './user-memory.js';
import type { DriverEnv, DriverRegistry } from '../iommu/driver.js';

/** What an iommufd file needs from the process around it. */
export interface ProcessServices {
  readonly mem: UserMemory;
  readonly pool: FramePool;
  /** The memfd behind `fd`, undefined when `fd` is open but not a memfd, null when not open. */
  memfdOf(fd: number): MemFile | undefined | null;
  /** The dma-buf behind `fd`, undefined when `fd` is open but not a dma-buf, null when not open. */
  dmaBufOf(fd: number): DmaBuf | undefined | null;
  /** Puts a dma-buf in the fd table (the fd holds it); returns the fd. */
  installDmaBuf(buf: DmaBuf): number;
  /** CAP_SYS_RESOURCE: needed to change the rlimit accounting mode. */
  readonly capSysResource: boolean;
  /** Puts an anonymous file in the fd table; returns the fd. */
  installFile(file: AnonFile): number;
  /** The anonymous file behind `fd` (an access fd, a fault fd, ...), if it is one. */
  anonFileOf(fd: number): AnonFile | undefined;
  /** Takes an installed file back out (an ioctl failing after creating it); releases it. */
  uninstallFile(fd: number): void;
  /** The IOMMU engine: page tables, caches and physical memory of the host. */
  readonly engine: Engine;
  /** Drivers, and which uAPI data types each one owns. */
  readonly drivers: DriverRegistry;
  /** Allocation-failure injection (fail_nth). */
  readonly guard: AllocGuard;
}

export const RLIMIT_MODE_USER = 0;
export const RLIMIT_MODE_MM = 1;

export class IommufdContext {
  readonly objects: ObjectTable;
  /** The IOAS used by the VFIO compatibility container (IOMMU_VFIO_IOAS). */
  vfioIoas: IoasObject | undefined;
  /** VFIO_SET_IOMMU chose TYPE1 (v1): unmap may cut mappings. */
  vfioType1v1 = false;
  /** IOMMU_OPTION_RLIMIT_MODE: 0 = per-user accounting (default), 1 = per-process. */
  rlimitMode = RLIMIT_MODE_USER;
  /** IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT, kept for the mock driver. */
  testMemoryLimit = TEST_MEMORY_LIMIT_DEFAULT;
  /** Driver pages mmap can reach through this file. */
  readonly mmaps: MmapRegions;

  /** The /dev/iommu fd plus every fd an ioctl handed out and every mmap of it (they keep the file alive). */
  private refs = 1;

  constructor(readonly process: ProcessServices) {
    this.objects = new ObjectTable((obj) => this.forget(obj), process.guard);
    this.mmaps = new MmapRegions(process.pool);
  }

  /** What drivers get while serving a call on this file. */
  get env(): DriverEnv {
    return { mem: this.process.mem, engine: this.process.engine, guard: this.process.guard, mmap: this.mmaps };
  }

  get(): void {
    this.refs++;
  }

  /** Drops a reference; the last one destroys every object, leaf-first. */
  put(): void {
    if (--this.refs > 0) return;
    this.objects.destroyAll();
    this.vfioIoas = undefined;
  }

  /** False once every fd referring to the file is closed. */
  get alive(): boolean {
    return this.refs > 0;
  }

  private forget(obj: IommufdObject): void {
    if (this.vfioIoas === obj) this.vfioIoas = undefined;
  }
}
