// A NIC with RX/TX queue pairs, the way a Linux driver uses the DMA API:
// - strict: every packet buffer is mapped, DMA'd, unmapped and invalidated at once
//   (iommu.strict=1); the IOVA goes straight back to the allocator's cache;
// - flush-queue: unmaps are queued and one domain-wide invalidation is issued per
//   `flushQueueSize` of them (Linux's IOVA flush queue, IOVA_FQ_SIZE = 256); IOVAs are
//   reused only after that flush;
// - pool: a persistent pool of buffers mapped once (page_pool with DMA mapping kept,
//   or shadow buffers), optionally hugepage-backed (pageSize 2M).
// Descriptor rings are coherent allocations mapped for the life of the device.
// Per packet the device reads a descriptor, moves the data, writes the descriptor back.
import { Rng } from '../rng.js';
import { DMA_READ, DMA_WRITE, NO_PASID, type OpSink } from '../ops.js';
import { COMMON_DEFAULTS, PAGE_BYTES, withDefaults, type CommonParams } from '../params.js';
import { IovaAllocator } from '../iova-allocator.js';
import { RW, TopologyBuilder, addDomain, setupDomain, type Domain } from '../domain.js';
import type { Workload } from '../workload.js';
import type { JsonValue } from '../../trace/records.js';

export type NicMode = 'strict' | 'flush-queue' | 'pool';

export interface NicParams extends CommonParams {
  mode: NicMode;
  queues: number;
  ringSize: number;
  packetBytes: number;
  bufferBytes: number;
  /** Fraction of packets sent (TX); the rest are received. */
  txShare: number;
  flushQueueSize: number;
  /** Buffers in the persistent pool (pool mode). */
  poolBuffers: number;
  guestRamBytes: number;
}

export const NIC_DEFAULTS: NicParams = {
  ...COMMON_DEFAULTS,
  mode: 'strict',
  queues: 4,
  ringSize: 256,
  packetBytes: 1500,
  bufferBytes: 2048,
  txShare: 0.5,
  flushQueueSize: 256,
  poolBuffers: 1024,
  guestRamBytes: 1 << 30,
};

const DESCRIPTOR = 16;
const DEVICE = 0;
const PAGE = 4096;

export function nicRing(name: string, overrides: Partial<NicParams> = {}): Workload {
  const p = withDefaults(NIC_DEFAULTS, overrides);
  const rng = new Rng(p.seed);
  const t = new TopologyBuilder(p);
  const domain = addDomain(t, p, p.guestRamBytes);
  t.bind(DEVICE, domain.space);
  const iovas = new IovaAllocator(2 ** 32, 0x10_0000, PAGE_BYTES[p.pageSize]);
  const rings = Array.from({ length: p.queues }, () => ({ rxDesc: 0, txDesc: 0, rxHead: 0, txHead: 0, rxBuffers: new Array<number>(p.ringSize).fill(0) }));
  const buffers = new BufferSource(p, domain, iovas, rng);

  return {
    name,
    unit: 'packet',
    steps: p.steps,
    topology: t.build(),
    params: p as unknown as JsonValue,
    setup(sink) {
      setupDomain(sink, domain);
      for (const ring of rings) {
        ring.rxDesc = mapCoherent(sink, domain, iovas, p.ringSize * DESCRIPTOR);
        ring.txDesc = mapCoherent(sink, domain, iovas, p.ringSize * DESCRIPTOR);
      }
      buffers.setup(sink);
      for (const ring of rings) for (let k = 0; k < p.ringSize; k++) ring.rxBuffers[k] = buffers.acquire(sink);
    },
    step(sink) {
      const ring = rings[rng.below(p.queues)]!;
      if (rng.u32() / 2 ** 32 < p.txShare) {
        const k = ring.txHead;
        ring.txHead = (k + 1) % p.ringSize;
        const buffer = buffers.acquire(sink);
        sink.dma(DEVICE, NO_PASID, ring.txDesc + k * DESCRIPTOR, DESCRIPTOR, DMA_READ);
        sink.dma(DEVICE, NO_PASID, buffer, p.packetBytes, DMA_READ);
        sink.dma(DEVICE, NO_PASID, ring.txDesc + k * DESCRIPTOR, DESCRIPTOR, DMA_WRITE);
        buffers.release(sink, buffer);
      } else {
        const k = ring.rxHead;
        ring.rxHead = (k + 1) % p.ringSize;
        const buffer = ring.rxBuffers[k]!;
        sink.dma(DEVICE, NO_PASID, ring.rxDesc + k * DESCRIPTOR, DESCRIPTOR, DMA_READ);
        sink.dma(DEVICE, NO_PASID, buffer, p.packetBytes, DMA_WRITE);
        sink.dma(DEVICE, NO_PASID, ring.rxDesc + k * DESCRIPTOR, DESCRIPTOR, DMA_WRITE);
        buffers.release(sink, buffer);
        ring.rxBuffers[k] = buffers.acquire(sink);
      }
    },
    finish(sink) {
      buffers.drain(sink);
    },
  };
}

/** Coherent memory (descriptor rings): 4 KiB pages, mapped once. */
function mapCoherent(sink: OpSink, domain: Domain, iovas: IovaAllocator, bytes: number): number {
  const size = Math.ceil(bytes / PAGE) * PAGE;
  const iova = iovas.alloc(size);
  sink.map(domain.space, iova, domain.backing.take(size, iova, '4K'), size, RW);
  return iova;
}

/** Where packet buffers come from and go back to, per mode. */
class BufferSource {
  private readonly flushQueue: number[] = [];
  private poolIova = 0;
  private poolCursor = 0;

  constructor(private readonly p: NicParams, private readonly domain: Domain, private readonly iovas: IovaAllocator, private readonly rng: Rng) {}

  setup(sink: OpSink): void {
    if (this.p.mode !== 'pool') return;
    const bytes = this.p.poolBuffers * this.p.bufferBytes;
    const page = PAGE_BYTES[this.p.pageSize];
    const size = Math.ceil(bytes / page) * page;
    this.poolIova = this.iovas.alloc(size);
    sink.map(this.domain.space, this.poolIova, this.domain.backing.take(size, this.poolIova), size, RW);
  }

  acquire(sink: OpSink): number {
    if (this.p.mode === 'pool') {
      const buffer = this.poolIova + this.poolCursor * this.p.bufferBytes;
      this.poolCursor = (this.poolCursor + 1) % this.p.poolBuffers;
      return buffer;
    }
    // dma_map_single of one buffer: a fresh page-allocator page, one IOVA page.
    const iova = this.iovas.alloc(PAGE);
    const pool = this.domain.framePool;
    const frame = pool.base + this.rng.below(pool.span / PAGE) * PAGE;
    sink.map(this.domain.space, iova, frame, PAGE, RW);
    return iova;
  }

  release(sink: OpSink, iova: number): void {
    if (this.p.mode === 'pool') return;
    sink.unmap(this.domain.space, iova, PAGE);
    if (this.p.mode === 'strict') {
      sink.invalidateRange(this.domain.space, iova, PAGE, this.p.unmapInvalidation === 'leaf');
      this.iovas.free(iova, PAGE);
      return;
    }
    this.flushQueue.push(iova);
    if (this.flushQueue.length >= this.p.flushQueueSize) this.drain(sink);
  }

  /** The flush queue's flush: one domain-wide invalidation, then the IOVAs are free. */
  drain(sink: OpSink): void {
    if (this.flushQueue.length === 0) return;
    sink.invalidateSpace(this.domain.space);
    for (const iova of this.flushQueue) this.iovas.free(iova, PAGE);
    this.flushQueue.length = 0;
  }
}
