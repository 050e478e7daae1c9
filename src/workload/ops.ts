// What a workload generator emits: the operations of src/trace/records.ts as plain
// calls with number arguments. Generators run millions of DMAs; numbers keep the hot
// path free of BigInt and per-record objects. A RecordSink turns the calls into
// TraceRecords when someone wants them (tests, --record).
import type { DmaAccess } from '../trace/records.js';

/** DMA access codes, in the order of DMA_ACCESSES. */
export const DMA_READ = 0;
export const DMA_WRITE = 1;
export const DMA_EXEC = 2;
export type DmaAccessCode = typeof DMA_READ | typeof DMA_WRITE | typeof DMA_EXEC;
export const ACCESS_NAMES: readonly DmaAccess[] = ['read', 'write', 'exec'];

/** No PASID on the request (requester id only). */
export const NO_PASID = -1;

export interface OpSink {
  map(space: number, iova: number, addr: number, bytes: number, perms: number): void;
  unmap(space: number, iova: number, bytes: number): void;
  invalidateRange(space: number, iova: number, bytes: number, leafOnly: boolean): void;
  invalidateSpace(space: number): void;
  invalidateGroup(group: number): void;
  invalidateAll(): void;
  dma(device: number, pasid: number, iova: number, bytes: number, access: DmaAccessCode): void;
}
