// Turns operation calls into TraceRecords (src/trace/records.ts), optionally passing
// each call on to another sink, so one run both executes and records.
import { TRACE_PERM_MASK, type TraceRecord } from '../trace/records.js';
import { ACCESS_NAMES, type DmaAccessCode, type OpSink } from './ops.js';

export class RecordSink implements OpSink {
  records: TraceRecord[] = [];
  constructor(private readonly next?: OpSink) {}

  /** Hands over the records collected since the last call. */
  take(): TraceRecord[] {
    const out = this.records;
    this.records = [];
    return out;
  }

  map(space: number, iova: number, addr: number, bytes: number, perms: number): void {
    this.records.push({ type: 'map', space, iova: BigInt(iova), addr: BigInt(addr), length: BigInt(bytes), perms: perms & TRACE_PERM_MASK });
    this.next?.map(space, iova, addr, bytes, perms);
  }

  unmap(space: number, iova: number, bytes: number): void {
    this.records.push({ type: 'unmap', space, iova: BigInt(iova), length: BigInt(bytes) });
    this.next?.unmap(space, iova, bytes);
  }

  invalidateRange(space: number, iova: number, bytes: number, leafOnly: boolean): void {
    this.records.push({ type: 'invalidate', kind: 'range', space, iova: BigInt(iova), length: BigInt(bytes), leafOnly });
    this.next?.invalidateRange(space, iova, bytes, leafOnly);
  }

  invalidateSpace(space: number): void {
    this.records.push({ type: 'invalidate', kind: 'space', space });
    this.next?.invalidateSpace(space);
  }

  invalidateGroup(group: number): void {
    this.records.push({ type: 'invalidate', kind: 'group', group });
    this.next?.invalidateGroup(group);
  }

  invalidateAll(): void {
    this.records.push({ type: 'invalidate', kind: 'all' });
    this.next?.invalidateAll();
  }

  dma(device: number, pasid: number, iova: number, bytes: number, access: DmaAccessCode): void {
    const record: TraceRecord = pasid < 0
      ? { type: 'dma', device, iova: BigInt(iova), length: BigInt(bytes), access: ACCESS_NAMES[access]! }
      : { type: 'dma', device, pasid, iova: BigInt(iova), length: BigInt(bytes), access: ACCESS_NAMES[access]! };
    this.records.push(record);
    this.next?.dma(device, pasid, iova, bytes, access);
  }
}

/** Plays a record back into a sink (replay). */
export function applyRecord(record: TraceRecord, sink: OpSink): void {
  switch (record.type) {
    case 'map': return sink.map(record.space, safe(record.iova), safe(record.addr), safe(record.length), record.perms);
    case 'unmap': return sink.unmap(record.space, safe(record.iova), safe(record.length));
    case 'dma': return sink.dma(record.device, record.pasid ?? -1, safe(record.iova), safe(record.length), ACCESS_NAMES.indexOf(record.access) as DmaAccessCode);
    case 'invalidate':
      switch (record.kind) {
        case 'range': return sink.invalidateRange(record.space, safe(record.iova), safe(record.length), record.leafOnly);
        case 'space': return sink.invalidateSpace(record.space);
        case 'group': return sink.invalidateGroup(record.group);
        case 'all': return sink.invalidateAll();
      }
  }
}

/** The engine takes addresses below 2^53 as numbers; anything above is out of every format's range. */
function safe(value: bigint): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`address or length 0x${value.toString(16)} is beyond 2^53, outside every supported format`);
  return Number(value);
}
