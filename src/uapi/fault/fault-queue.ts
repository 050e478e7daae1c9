// The FAULT object (spec §2.18): a queue of I/O page-fault groups for user space to
// read as iommu_hwpt_pgfault records and answer with iommu_hwpt_page_response. Its fd
// keeps the object alive (DESTROY is EBUSY while it is open) and keeps the iommufd
// file alive too, as the kernel's fd holds the context.
//
// Faults are raised by devices: the mock's TRIGGER_IOPF and any device DMA that faults
// on a HWPT allocated with this queue (sys.dma).
import type { AnonFile } from '../anon-file.js';
import type { IommufdContext } from '../context.js';
import { EINVAL, ESPIPE } from '../../iommu/errno.js';
import { IommufdObject, ObjectType } from '../objects.js';
import { readWholeRecords } from '../queue-read.js';
import { fail, ok, type Result } from '../../iommu/result.js';
import {
  decodeStruct,
  IOMMUFD_PAGE_RESP_INVALID,
  IOMMUFD_PAGE_RESP_SUCCESS,
  IommuHwptPageResponse,
  IommuHwptPgfault,
  packStruct,
  type StructValue,
} from '../../iommu/abi/index.js';

export type PgfaultRecord = Omit<StructValue<typeof IommuHwptPgfault.fields>, 'cookie'>;

/** One page request group: delivered and answered as a unit. */
interface FaultGroup {
  readonly records: PgfaultRecord[];
  /** Called with the response code when user space (or teardown) answers. */
  readonly complete: (code: number) => void;
}

export class FaultQueue extends IommufdObject {
  readonly type = ObjectType.FAULT;
  private readonly pending: FaultGroup[] = [];
  /** Delivered groups awaiting a response, by cookie (lowest free from 1). */
  private readonly responses = new Map<number, FaultGroup>();

  /** Queues a group (the device side). */
  report(records: PgfaultRecord[], complete: (code: number) => void): void {
    this.pending.push({ records, complete });
  }

  /** Whole groups only; a group that does not fit stays queued. */
  read(count: number): Result<Uint8Array> {
    const recordSize = IommuHwptPgfault.sizeof;
    if (count % recordSize !== 0) return fail(ESPIPE);
    return ok(readWholeRecords(this.pending, count, (group) => group.records.length * recordSize, (group) => this.deliver(group)));
  }

  /** A group's records, under a fresh cookie its response will name. */
  private deliver(group: FaultGroup): Uint8Array {
    const recordSize = IommuHwptPgfault.sizeof;
    const cookie = this.freeCookie();
    this.responses.set(cookie, group);
    const bytes = new Uint8Array(group.records.length * recordSize);
    group.records.forEach((r, i) => bytes.set(packStruct(IommuHwptPgfault, { ...r, cookie }), i * recordSize));
    return bytes;
  }

  /** Responses are consumed in order; the first bad one ends the write. */
  write(data: Uint8Array): Result<number> {
    const size = IommuHwptPageResponse.sizeof;
    if (data.length % size !== 0) return fail(ESPIPE);
    let done = 0;
    for (; done < data.length; done += size) {
      const view = new DataView(data.buffer, data.byteOffset + done, size);
      const { cookie, code } = decodeStruct(IommuHwptPageResponse, view);
      const group = this.responses.get(cookie);
      if ((code !== IOMMUFD_PAGE_RESP_SUCCESS && code !== IOMMUFD_PAGE_RESP_INVALID) || !group) {
        return done > 0 ? ok(done) : fail(EINVAL);
      }
      this.responses.delete(cookie);
      group.complete(code);
    }
    return ok(done);
  }

  /** Groups still owed a response are answered INVALID when the queue goes away. */
  override onDestroy(): void {
    for (const group of [...this.pending, ...this.responses.values()]) group.complete(IOMMUFD_PAGE_RESP_INVALID);
    this.pending.length = 0;
    this.responses.clear();
  }

  private freeCookie(): number {
    let cookie = 1;
    while (this.responses.has(cookie)) cookie++;
    return cookie;
  }
}

/** The "[iommufd-pgfault]" fd of a FaultQueue. */
export class FaultFile implements AnonFile {
  readonly name = '[iommufd-pgfault]';

  constructor(
    private readonly ctx: IommufdContext,
    private readonly queue: FaultQueue,
  ) {
    ctx.objects.hold(null, queue);
    ctx.get();
  }

  read(count: number): Result<Uint8Array> {
    return this.queue.read(count);
  }

  write(data: Uint8Array): Result<number> {
    return this.queue.write(data);
  }

  release(): void {
    this.ctx.objects.release(null, this.queue);
    this.ctx.put();
  }
}
