// A vEVENTQ (spec §2.22, §3.8): events a vIOMMU reports for its vDEVICEs, read from an
// fd as header + payload records. Sequence numbers run 0..INT_MAX and wrap; when the
// queue is full an event is dropped and a single LOST_EVENTS header (taking the next
// sequence number each time) sits at the tail until a real event replaces it.
import type { AnonFile } from '../anon-file.js';
import type { IommufdContext } from '../context.js';
import { EINVAL } from '../../iommu/errno.js';
import { IommufdObject, ObjectType } from '../objects.js';
import { readWholeRecords } from '../queue-read.js';
import { fail, ok, type Result } from '../../iommu/result.js';
import { IOMMU_VEVENTQ_FLAG_LOST_EVENTS, IommufdVeventHeader, packStruct } from '../../iommu/abi/index.js';
import type { ViommuObject } from './viommu.js';

const INT_MAX = 0x7fff_ffff;

interface Vevent {
  readonly flags: number;
  readonly sequence: number;
  readonly payload: Uint8Array;
}

export class VeventqObject extends IommufdObject {
  readonly type = ObjectType.VEVENTQ;
  private readonly events: Vevent[] = [];
  private sequence = 0;
  /** Whether the last queued record is the LOST_EVENTS header. */
  private lostAtTail = false;

  constructor(
    readonly viommu: ViommuObject,
    readonly eventType: number,
    readonly depth: number,
  ) {
    super();
  }

  report(payload: Uint8Array): void {
    if (this.lostAtTail) {
      this.events.pop();
      this.lostAtTail = false;
    }
    if (this.events.length >= this.depth) {
      this.events.push({ flags: IOMMU_VEVENTQ_FLAG_LOST_EVENTS, sequence: this.nextSequence(), payload: new Uint8Array(0) });
      this.lostAtTail = true;
      return;
    }
    this.events.push({ flags: 0, sequence: this.nextSequence(), payload });
  }

  /** Whole records only, oldest first. */
  read(count: number): Uint8Array {
    const bytes = readWholeRecords(this.events, count, (e) => IommufdVeventHeader.sizeof + e.payload.length, (e) => {
      const record = new Uint8Array(IommufdVeventHeader.sizeof + e.payload.length);
      record.set(packStruct(IommufdVeventHeader, { flags: e.flags, sequence: e.sequence }));
      record.set(e.payload, IommufdVeventHeader.sizeof);
      return record;
    });
    // Read to the end, the LOST_EVENTS header (if it was there) went with the rest.
    if (this.events.length === 0) this.lostAtTail = false;
    return bytes;
  }

  get pending(): number {
    return this.events.length;
  }

  override onDestroy(): void {
    if (this.viommu.veventqs.get(this.eventType) === this) this.viommu.veventqs.delete(this.eventType);
  }

  private nextSequence(): number {
    const s = this.sequence;
    this.sequence = (this.sequence + 1) & INT_MAX;
    return s;
  }
}

/** The "[iommufd-viommu-event]" fd: read-only; it holds the object and the iommufd. */
export class VeventqFile implements AnonFile {
  readonly name = '[iommufd-viommu-event]';

  constructor(
    private readonly ctx: IommufdContext,
    private readonly queue: VeventqObject,
  ) {
    ctx.objects.hold(null, queue);
    ctx.get();
  }

  read(count: number): Result<Uint8Array> {
    return ok(this.queue.read(count));
  }

  /** The fd has no write operation. */
  write(): Result<number> {
    return fail(EINVAL);
  }

  release(): void {
    this.ctx.objects.release(null, this.queue);
    this.ctx.put();
  }
}
