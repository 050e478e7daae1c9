// Block storage (an NVMe-style controller): per I/O the device reads a submission
// entry and the PRP list, moves `transferBytes` of data, and writes a completion.
// - mapping 'per-io': the kernel maps each I/O's scatter-gather list into one IOVA
//   range (iommu_dma_map_sg), then unmaps and invalidates it (strict);
// - mapping 'persistent': the buffer pool is mapped once (SPDK, VFIO users).
// The pattern decides where in the working set each transfer lands: sequential
// (streaming) or random (transfer-aligned offsets).
import { Rng } from '../rng.js';
import { DMA_READ, DMA_WRITE, NO_PASID, type OpSink } from '../ops.js';
import { COMMON_DEFAULTS, PAGE_BYTES, withDefaults, type CommonParams } from '../params.js';
import { IovaAllocator } from '../iova-allocator.js';
import { RW, TopologyBuilder, addDomain, setupDomain } from '../domain.js';
import type { Workload } from '../workload.js';
import type { JsonValue } from '../../trace/records.js';

export interface StorageParams extends CommonParams {
  pattern: 'sequential' | 'random';
  mapping: 'per-io' | 'persistent';
  transferBytes: number;
  workingSetBytes: number;
  /** Fraction of I/Os that are reads (device writes memory). */
  readShare: number;
  queueEntries: number;
  guestRamBytes: number;
}

export const STORAGE_DEFAULTS: StorageParams = {
  ...COMMON_DEFAULTS,
  steps: 4000,
  pattern: 'sequential',
  mapping: 'per-io',
  transferBytes: 128 << 10,
  workingSetBytes: 256 << 20,
  readShare: 0.7,
  queueEntries: 1024,
  guestRamBytes: 1 << 30,
};

const DEVICE = 0;
const SQ_ENTRY = 64;
const CQ_ENTRY = 16;
const PAGE = 4096;

export function storage(name: string, overrides: Partial<StorageParams> = {}): Workload {
  const p = withDefaults(STORAGE_DEFAULTS, overrides);
  const rng = new Rng(p.seed);
  const t = new TopologyBuilder(p);
  const domain = addDomain(t, p, p.guestRamBytes);
  t.bind(DEVICE, domain.space);
  const iovas = new IovaAllocator(2 ** 36, 0x10_0000, PAGE_BYTES[p.pageSize]);
  const transfers = Math.max(1, Math.floor(p.workingSetBytes / p.transferBytes));
  let sq = 0, cq = 0, prp = 0, dataIova = 0, dataAddr = 0;
  let slot = 0;
  let cursor = 0;

  const mapRegion = (sink: OpSink, bytes: number, pageSize = p.pageSize): [number, number] => {
    const size = Math.ceil(bytes / PAGE_BYTES[pageSize]) * PAGE_BYTES[pageSize];
    const iova = iovas.alloc(size);
    const addr = domain.backing.take(size, iova, pageSize);
    sink.map(domain.space, iova, addr, size, RW);
    return [iova, addr];
  };

  return {
    name,
    unit: 'I/O',
    steps: p.steps,
    topology: t.build(),
    params: p as unknown as JsonValue,
    setup(sink) {
      setupDomain(sink, domain);
      [sq] = mapRegion(sink, p.queueEntries * SQ_ENTRY, '4K');
      [cq] = mapRegion(sink, p.queueEntries * CQ_ENTRY, '4K');
      [prp] = mapRegion(sink, p.queueEntries * PAGE, '4K');
      if (p.mapping === 'persistent') [dataIova, dataAddr] = mapRegion(sink, p.workingSetBytes);
      else dataAddr = domain.backing.take(p.workingSetBytes, 0, '4K');
    },
    step(sink) {
      const index = p.pattern === 'sequential' ? cursor++ % transfers : rng.below(transfers);
      const offset = index * p.transferBytes;
      const isRead = rng.u32() / 2 ** 32 < p.readShare;
      let iova = dataIova + offset;
      if (p.mapping === 'per-io') {
        iova = iovas.alloc(p.transferBytes);
        sink.map(domain.space, iova, dataAddr + offset, p.transferBytes, RW);
      }
      sink.dma(DEVICE, NO_PASID, sq + slot * SQ_ENTRY, SQ_ENTRY, DMA_READ);
      if (p.transferBytes > 2 * PAGE) sink.dma(DEVICE, NO_PASID, prp + slot * PAGE, (p.transferBytes / PAGE) * 8, DMA_READ);
      sink.dma(DEVICE, NO_PASID, iova, p.transferBytes, isRead ? DMA_WRITE : DMA_READ);
      sink.dma(DEVICE, NO_PASID, cq + slot * CQ_ENTRY, CQ_ENTRY, DMA_WRITE);
      slot = (slot + 1) % p.queueEntries;
      if (p.mapping === 'per-io') {
        sink.unmap(domain.space, iova, p.transferBytes);
        sink.invalidateRange(domain.space, iova, p.transferBytes, p.unmapInvalidation === 'leaf');
        iovas.free(iova, p.transferBytes);
      }
    },
    finish() {},
  };
}
