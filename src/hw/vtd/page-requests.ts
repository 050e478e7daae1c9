// Page requests (PRS): a device that got a translation fault on a PRE-enabled context
// asks the IOMMU's driver to make the page present. Requests go into the page request
// queue (PQA/PQH/PQT) as 32-byte page request descriptors; the driver answers each
// page request group with a page group response descriptor on the invalidation queue.
//
// Descriptor layout (32 bytes): QW0 type 7:0 (1 = page request), PASID-present 8,
// RID 31:16, PASID 51:32, execute 52, privileged 53; QW1 read 0, write 1, last in
// group 2, group index 11:3, page address 63:12; QW2/QW3 private data (zero here).
import { mask, place } from '../common/bits.js';
import type { EventInterrupt } from './interrupts.js';

export interface PageRequest {
  sid: number;
  pasid: number | undefined;
  addr: bigint;
  read: boolean;
  write: boolean;
  privileged: boolean;
  lastInGroup: boolean;
  groupIndex: number;
}

export interface PageResponse {
  rid: number;
  pasid: number | undefined;
  groupIndex: number;
  /** 0 success, 1 invalid request, 0xF response failure. */
  code: number;
  /** False when no outstanding group matched (the response is still passed on to the device). */
  matched: boolean;
  /** True when the unit answered by itself (queue overflow, PRE clear) instead of the driver. */
  byHardware: boolean;
}

export const PageResponseCode = { SUCCESS: 0, INVALID_REQUEST: 1, FAILURE: 0xf } as const;
const ENTRY = 32;

export class PageRequestQueue {
  private pqa = 0n;
  private head = 0;
  private tail = 0;
  /** PRS.PPR and PRS.PRO. */
  pending = false;
  overflow = false;
  private readonly outstanding = new Map<string, number>();
  queued = 0;

  constructor(
    private readonly write64: (pa: bigint, value: bigint) => void,
    private readonly interrupt: EventInterrupt,
    private readonly respond: (response: PageResponse) => void,
  ) {}

  get queueBytes(): number { return 4096 << Number(this.pqa & 7n); }
  readPqa(): bigint { return this.pqa; }
  readHead(): bigint { return BigInt(this.head); }
  readTail(): bigint { return BigInt(this.tail); }

  writePqa(value: bigint): boolean {
    if (value & mask(11, 3)) return false;
    this.pqa = value;
    this.head = 0;
    this.tail = 0;
    return true;
  }

  /** PQH: software consumed entries up to here (bits 18:5). */
  writeHead(value: bigint): boolean {
    if (value & ~mask(18, 5) || Number(value) >= this.queueBytes) return false;
    this.head = Number(value);
    return true;
  }

  /** Queues a request; returns false when the queue was full (PRS.PRO). */
  enqueue(request: PageRequest): boolean {
    if ((this.tail + ENTRY) % this.queueBytes === this.head) {
      this.overflow = true;
      // The request is lost; a group that ended with it still gets an answer so the device does not wait forever.
      if (request.lastInGroup) this.answerByHardware(request, PageResponseCode.SUCCESS);
      return false;
    }
    const at = (this.pqa & mask(63, 12)) + BigInt(this.tail);
    this.write64(at, 1n | (request.pasid !== undefined ? (1n << 8n) | place(request.pasid, 51, 32) : 0n)
      | place(request.sid, 31, 16) | (request.privileged ? 1n << 53n : 0n));
    this.write64(at + 8n, (request.read ? 1n : 0n) | (request.write ? 2n : 0n) | (request.lastInGroup ? 4n : 0n)
      | place(request.groupIndex, 11, 3) | (request.addr & mask(63, 12)));
    this.write64(at + 16n, 0n);
    this.write64(at + 24n, 0n);
    this.tail = (this.tail + ENTRY) % this.queueBytes;
    const key = groupKey(request.sid, request.pasid, request.groupIndex);
    this.outstanding.set(key, (this.outstanding.get(key) ?? 0) + 1);
    this.queued++;
    if (!this.pending) {
      this.pending = true;
      this.interrupt.raise();
    }
    return true;
  }

  /** A page group response descriptor from the invalidation queue. */
  complete(rid: number, pasid: number | undefined, groupIndex: number, code: number): void {
    const key = groupKey(rid, pasid, groupIndex);
    const matched = this.outstanding.delete(key);
    this.respond({ rid, pasid, groupIndex, code, matched, byHardware: false });
  }

  answerByHardware(request: PageRequest, code: number): void {
    this.respond({ rid: request.sid, pasid: request.pasid, groupIndex: request.groupIndex, code, matched: false, byHardware: true });
  }

  outstandingGroups(): number {
    return this.outstanding.size;
  }
}

function groupKey(sid: number, pasid: number | undefined, groupIndex: number): string {
  return `${sid}:${pasid ?? '-'}:${groupIndex}`;
}
