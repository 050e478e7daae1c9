// The syscall surface: a process with an address space and a file table, in which
// /dev/iommu can be opened and driven with ioctl exactly as a Linux program would.
// Every call returns a number: 0 or a value on success, -errno (Linux numbers) on
// failure. Nothing on a documented path throws.
import { Engine } from '../engine/engine.js';
import type { EngineOptions } from '../engine/options.js';
import type { FrameStore } from '../engine/types.js';
import { AllocGuard } from '../iommu/alloc-guard.js';
import type { AnonFile } from './anon-file.js';
import type { DmaBuf } from './dmabuf.js';
import { IommufdContext, type ProcessServices } from './context.js';
import { buildDispatchTable, dispatchIoctl, type IoctlOp } from './dispatch.js';
import { EBADF, EFAULT, EINVAL, ENOENT, ENOTTY } from '../iommu/errno.js';
import { FramePool } from './frame-pool.js';
import { deviceDma, type DmaRequest, type DmaResult } from './dma.js';
import { DeviceObject } from './device/device.js';
import { attachDevice, detachAll, detachDevice } from './device/attach.js';
import { MemFile } from './memfd.js';
import { mmap, munmap } from './mmap.js';
import type { OpenFile } from './open-file.js';
import { ObjectType } from './objects.js';
import { MAX_RW_COUNT, UserMemory, type UserMemoryOptions } from './user-memory.js';
import { DriverRegistry, type IommuDriver, type DriverDevice } from '../iommu/driver.js';

export const IOMMU_DEVICE_PATH = '/dev/iommu';
/** The most read/write copy through JavaScript memory at once. */
const COPY_CHUNK = 1 << 20;
/** The first descriptor open() returns: 0-2 are stdin/stdout/stderr. */
export const FIRST_FD = 3;

/** What an iommufd host is built from; src/host adds the mock driver and the self-test. */
export interface IommufdSystemOptions {
  /** The IOMMU engine to use; by default a new one (with `engineOptions`). */
  engine?: Engine;
  engineOptions?: EngineOptions;
  /** Physical memory behind user pages; defaults to the engine's, so devices see what the process wrote. */
  frameStore?: FrameStore;
  /** The IOMMU drivers devices can be bound behind (the uAPI knows them only through src/iommu). */
  drivers?: readonly IommuDriver[];
  /** Commands beyond the core's (IOCTL_OPS), e.g. the self-test's IOMMU_TEST_CMD. */
  ioctls?: readonly IoctlOp[];
  /** Whether the process holds CAP_SYS_RESOURCE (the self-test runs as root). Default true. */
  capSysResource?: boolean;
  memory?: UserMemoryOptions;
}

/**
 * The iommufd uAPI over a simulated process, with exactly the drivers and extra
 * commands it is given. `System` (src/host) is this with the kernel's mock driver and
 * self-test ops, the default a test or a user starts from.
 */
export class IommufdSystem {
  readonly mem: UserMemory;
  readonly pool: FramePool;
  readonly engine: Engine;
  readonly drivers = new DriverRegistry();
  /** Allocation-failure injection for every call on this host (fail_nth). */
  readonly guard = new AllocGuard();
  private readonly files = new Map<number, OpenFile>();
  private readonly contexts = new Set<IommufdContext>();
  private readonly table: readonly (IoctlOp | undefined)[];
  private readonly services: ProcessServices;

  protected constructor(options: IommufdSystemOptions, engine: Engine) {
    this.engine = engine;
    for (const d of options.drivers ?? []) this.drivers.register(d);
    this.pool = new FramePool(options.frameStore ?? engine.phys, this.guard);
    this.mem = new UserMemory(this.pool, options.memory);
    this.table = buildDispatchTable(options.ioctls);
    const files = this.files;
    const install = (file: OpenFile) => this.install(file);
    this.services = {
      installFile: (file: AnonFile) => install({ kind: 'anon', file }),
      anonFileOf: (fd: number) => {
        const f = files.get(fd);
        return f?.kind === 'anon' ? f.file : undefined;
      },
      uninstallFile: (fd: number) => {
        const f = files.get(fd);
        if (f?.kind !== 'anon') throw new Error(`fd ${fd} is not an anonymous file`);
        files.delete(fd);
        f.file.release();
      },
      mem: this.mem,
      pool: this.pool,
      engine,
      drivers: this.drivers,
      guard: this.guard,
      capSysResource: options.capSysResource ?? true,
      memfdOf(fd: number) {
        const f = files.get(fd);
        if (!f) return null;
        return f.kind === 'memfd' ? f.file : undefined;
      },
      dmaBufOf(fd: number) {
        const f = files.get(fd);
        if (!f) return null;
        return f.kind === 'dmabuf' ? f.buf : undefined;
      },
      installDmaBuf: (buf: DmaBuf) => install({ kind: 'dmabuf', buf }),
    };
  }

  /** Async because the engine behind the frame store instantiates WebAssembly. */
  static async create(options: IommufdSystemOptions = {}): Promise<IommufdSystem> {
    return new IommufdSystem(options, options.engine ?? (await Engine.create(options.engineOptions)));
  }

  /**
   * A device access through the IOMMU by the device object `deviceId` (of the iommufd
   * `request.fd`, or of the first open one that has it). Test and driver API, not a syscall.
   */
  dma(deviceId: number, request: DmaRequest): DmaResult {
    const contexts = request.fd !== undefined ? [this.contextOf(request.fd)] : this.liveContexts();
    for (const ctx of contexts) {
      const dev = ctx?.objects.get<DeviceObject>(deviceId, ObjectType.DEVICE);
      if (dev) return deviceDma(this.pool, dev, request);
    }
    throw new RangeError(`dma: no device object ${deviceId}`);
  }

  /**
   * Binds a driver's device to the iommufd `fd` (what VFIO_DEVICE_BIND_IOMMUFD does for a
   * real device; the mock's devices come from IOMMU_TEST_CMD instead). Returns the device
   * object ID, or -errno. Nothing is attached: the device is blocked until attachDevice.
   */
  bindDevice(fd: number, device: DriverDevice): number {
    const ctx = this.contextOf(fd);
    if (!ctx) return -EBADF;
    const added = ctx.objects.add(new DeviceObject(device));
    return added.ok ? added.value : -added.errno;
  }

  /**
   * VFIO_DEVICE_ATTACH_IOMMUFD_PT (with a PASID, VFIO_DEVICE_ATTACH_PASID): attaches the
   * device at its RID or at `pasid` to the IOAS or HWPT `ptId`, or replaces what is there.
   * Returns the ID of the HWPT now attached, or -errno.
   */
  attachDevice(fd: number, deviceId: number, ptId: number, options: { pasid?: number; replace?: boolean } = {}): number {
    const ctx = this.contextOf(fd);
    if (!ctx) return -EBADF;
    const dev = ctx.objects.get<DeviceObject>(deviceId, ObjectType.DEVICE);
    if (!dev) return -ENOENT;
    const r = attachDevice(ctx, dev, options.pasid, ptId, options.replace ? 'replace' : 'attach');
    return r.ok ? r.value.id : -r.errno;
  }

  /** VFIO_DEVICE_DETACH_IOMMUFD_PT: the RID or `pasid` goes back to blocking DMA. */
  detachDevice(fd: number, deviceId: number, pasid?: number): number {
    const ctx = this.contextOf(fd);
    if (!ctx) return -EBADF;
    const dev = ctx.objects.get<DeviceObject>(deviceId, ObjectType.DEVICE);
    if (!dev) return -ENOENT;
    detachDevice(ctx, dev, pasid);
    return 0;
  }

  /** Unbinding (closing the VFIO device fd): every attachment goes, then the device object. */
  unbindDevice(fd: number, deviceId: number): number {
    const ctx = this.contextOf(fd);
    if (!ctx) return -EBADF;
    const dev = ctx.objects.get<DeviceObject>(deviceId, ObjectType.DEVICE);
    if (!dev) return -ENOENT;
    detachAll(ctx, dev);
    ctx.objects.forceDestroy(dev, null);
    return 0;
  }

  open(path: string): number {
    if (path !== IOMMU_DEVICE_PATH) return -ENOENT;
    const ctx = new IommufdContext(this.services);
    this.contexts.add(ctx);
    return this.install({ kind: 'iommufd', ctx });
  }

  ioctl(fd: number, request: number, arg: number): number {
    const f = this.files.get(fd);
    if (!f) return -EBADF;
    if (f.kind !== 'iommufd') return -ENOTTY;
    return dispatchIoctl(f.ctx, this.table, request, arg);
  }

  /**
   * Reads up to `count` bytes into user memory at `addr`; returns the count read. The
   * count is clamped to MAX_RW_COUNT as Linux does, the user range is checked before
   * anything is copied, and data moves in pieces of COPY_CHUNK bytes: no user length
   * allocates more than that.
   */
  read(fd: number, addr: number, count: number): number {
    const f = this.files.get(fd);
    if (!f) return -EBADF;
    if (f.kind === 'anon') {
      if (!Number.isSafeInteger(count) || count < 0) return -EINVAL;
      count = Math.min(count, MAX_RW_COUNT);
      if (count > 0 && !this.mem.isMapped(addr, count)) return -EFAULT;
      const r = f.file.read(count);
      if (!r.ok) return -r.errno;
      return this.mem.write(addr, r.value).ok ? r.value.length : -EFAULT;
    }
    if (f.kind === 'dmabuf') return -f.buf.ioErrno(false);
    if (f.kind !== 'memfd' || !Number.isSafeInteger(count) || count < 0) return -EINVAL;
    const file = f.file;
    const n = Math.max(0, Math.min(count, MAX_RW_COUNT, file.size - file.position));
    if (!this.mem.canWrite(addr, n)) return -EFAULT;
    for (let done = 0; done < n; ) {
      const data = file.pread(file.position, Math.min(COPY_CHUNK, n - done));
      if (!this.mem.write(addr + done, data).ok) return done > 0 ? done : -EFAULT;
      file.position += data.length;
      done += data.length;
    }
    return n;
  }

  /**
   * Writes `count` bytes from user memory at `addr`; returns the count written. Clamped
   * and checked like `read`, copied in pieces: an anonymous file gets the count's
   * remainder first, then whole COPY_CHUNKs, so a file whose record size divides
   * COPY_CHUNK answers as it would to one buffer; a short write ends the loop.
   */
  write(fd: number, addr: number, count: number): number {
    const f = this.files.get(fd);
    if (!f) return -EBADF;
    if (f.kind === 'dmabuf') return -f.buf.ioErrno(true);
    if ((f.kind !== 'anon' && f.kind !== 'memfd') || !Number.isSafeInteger(count) || count < 0) return -EINVAL;
    count = Math.min(count, MAX_RW_COUNT);
    if (!this.mem.canRead(addr, count)) return -EFAULT;
    if (f.kind === 'anon') {
      let done = 0;
      let piece = count === 0 ? 0 : ((count - 1) % COPY_CHUNK) + 1;
      do {
        const data = this.mem.read(addr + done, piece);
        if (!data.ok) return done > 0 ? done : -data.errno;
        const r = f.file.write(data.value);
        if (!r.ok) return done > 0 ? done : -r.errno;
        done += r.value;
        if (r.value < piece) break;
        piece = COPY_CHUNK;
      } while (done < count);
      return done;
    }
    const file = f.file;
    let done = 0;
    while (done < count) {
      const data = this.mem.read(addr + done, Math.min(COPY_CHUNK, count - done));
      if (!data.ok) return done > 0 ? done : -EFAULT;
      const r = file.pwrite(file.position, data.value);
      if (!r.ok) return done > 0 ? done : -r.errno;
      file.position += r.value;
      done += r.value;
      if (r.value < data.value.length) break;
    }
    return done;
  }

  close(fd: number): number {
    const f = this.files.get(fd);
    if (!f) return -EBADF;
    this.files.delete(fd);
    // An iommufd lives on while fds it handed out (fault queues) or mappings of it exist.
    if (f.kind === 'iommufd') f.ctx.put();
    // A memfd lives on while mapped; its pages stay referenced by any IOAS that pinned them.
    else if (f.kind === 'memfd') f.file.put();
    // A dma-buf lives on while an IOAS imported it.
    else if (f.kind === 'dmabuf') f.buf.put();
    else f.file.release();
    return 0;
  }

  /**
   * mmap(NULL, length, prot, flags, fd, offset): anonymous memory (MAP_ANONYMOUS), a
   * memfd (shared or private), or a driver region of an iommufd. Returns the address or
   * -errno. The placement is always the kernel's choice (no address hint).
   */
  mmap(length: number, prot: number, flags: number, fd: number, offset: number | bigint = 0): number {
    if (typeof offset === 'number' && !Number.isSafeInteger(offset)) return -EINVAL;
    return mmap(this.mem, this.files.get(fd), { length, prot, flags, offset: BigInt(offset) });
  }

  /** munmap(addr, length): 0 or -EINVAL; what was pinned stays pinned. */
  munmap(addr: number, length: number): number {
    return munmap(this.mem, addr, length);
  }

  /** memfd_create + ftruncate(bytes): returns the fd. */
  memfdCreate(bytes: number): number {
    if (!Number.isSafeInteger(bytes) || bytes < 0) return -EINVAL;
    return this.install({ kind: 'memfd', file: new MemFile(this.pool, bytes) });
  }

  ftruncate(fd: number, bytes: number): number {
    const f = this.files.get(fd);
    if (!f) return -EBADF;
    if (f.kind !== 'memfd') return -EINVAL;
    return f.file.truncate(bytes);
  }

  /** lseek(fd, offset, SEEK_SET). */
  lseek(fd: number, offset: number): number {
    const f = this.files.get(fd);
    if (!f) return -EBADF;
    // A dma-buf only seeks to where it already is: its start (or its end, with SEEK_END).
    if (f.kind === 'dmabuf') return offset === 0 ? 0 : -EINVAL;
    if (f.kind !== 'memfd' || !Number.isSafeInteger(offset) || offset < 0) return -EINVAL;
    f.file.position = offset;
    return offset;
  }

  /** The iommufd state behind `fd`, for inspection by tests and higher layers. */
  contextOf(fd: number): IommufdContext | undefined {
    const f = this.files.get(fd);
    return f?.kind === 'iommufd' ? f.ctx : undefined;
  }

  /**
   * Every iommufd file still alive, including those whose /dev/iommu fd is closed but
   * that a fault-queue fd keeps open.
   */
  liveContexts(): IommufdContext[] {
    for (const ctx of this.contexts) if (!ctx.alive) this.contexts.delete(ctx);
    return [...this.contexts];
  }

  /** Open descriptors, ascending. */
  openFds(): number[] {
    return [...this.files.keys()].sort((a, b) => a - b);
  }

  private install(file: OpenFile): number {
    let fd = FIRST_FD;
    while (this.files.has(fd)) fd++;
    this.files.set(fd, file);
    return fd;
  }
}
