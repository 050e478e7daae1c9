// An OpSink that passes every operation on unchanged: the base of sinks that rewrite
// only some operations (a replay's page-size and guest-RAM what-ifs).
import type { DmaAccessCode, OpSink } from './ops.js';

export class ForwardingSink implements OpSink {
  constructor(protected readonly next: OpSink) {}
  map(space: number, iova: number, addr: number, bytes: number, perms: number): void { this.next.map(space, iova, addr, bytes, perms); }
  unmap(space: number, iova: number, bytes: number): void { this.next.unmap(space, iova, bytes); }
  invalidateRange(space: number, iova: number, bytes: number, leafOnly: boolean): void { this.next.invalidateRange(space, iova, bytes, leafOnly); }
  invalidateSpace(space: number): void { this.next.invalidateSpace(space); }
  invalidateGroup(group: number): void { this.next.invalidateGroup(group); }
  invalidateAll(): void { this.next.invalidateAll(); }
  dma(device: number, pasid: number, iova: number, bytes: number, access: DmaAccessCode): void { this.next.dma(device, pasid, iova, bytes, access); }
}
