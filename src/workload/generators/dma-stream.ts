// The original default scenario as a generator: a device streaming DMA through one
// x86-64 4-level domain whose buffers mix 2 MiB and 4 KiB pages, the way a NIC walks
// its receive rings: many rings, each advancing sequentially through its buffers,
// interleaved. Mappings are persistent; one step is one DMA of `packetBytes`.
import { Rng } from '../rng.js';
import { DMA_READ, DMA_WRITE, NO_PASID, type OpSink } from '../ops.js';
import { COMMON_DEFAULTS, withDefaults, type CommonParams } from '../params.js';
import { RW, TopologyBuilder } from '../domain.js';
import { DEFAULTS as ENGINE_DEFAULTS } from '../../engine/index.js';
import type { Workload } from '../workload.js';
import type { JsonValue } from '../../trace/records.js';

export interface DmaStreamParams extends CommonParams {
  rings: number;
  packetBytes: number;
  hugeBytes: number;
  smallBytes: number;
}

export const DMA_STREAM_DEFAULTS: DmaStreamParams = {
  ...COMMON_DEFAULTS,
  steps: 8_000_000,
  rings: 64,
  packetBytes: 2048,
  hugeBytes: 128 << 20,
  smallBytes: 128 << 20,
  engine: { iotlb: ENGINE_DEFAULTS.iotlb, walkCache: ENGINE_DEFAULTS.walkCache, nestedTableCache: ENGINE_DEFAULTS.nestedTableCache, physMemBytes: 256 << 20 },
};

const HUGE_IOVA = 0x4000_0000;
const SMALL_IOVA = 0x1_0000_0000;
const DEVICE = 0;

export function dmaStream(name: string, overrides: Partial<DmaStreamParams> = {}): Workload {
  const p = withDefaults(DMA_STREAM_DEFAULTS, overrides);
  const rng = new Rng(p.seed);
  const t = new TopologyBuilder(p);
  const space = t.addSpace({ format: 'x86-64', levels: 4, group: 0 });
  t.bind(DEVICE, space);
  const rings = Array.from({ length: p.rings }, (_, i) => {
    const huge = i % 2 === 0;
    const regionBytes = huge ? p.hugeBytes : p.smallBytes;
    const slice = Math.floor(regionBytes / Math.ceil(p.rings / 2));
    const base = (huge ? HUGE_IOVA : SMALL_IOVA) + Math.floor(i / 2) * slice;
    return { base, slice, offset: rng.below(slice / p.packetBytes) * p.packetBytes };
  });
  let index = 0;

  return {
    name,
    unit: 'DMA',
    steps: p.steps,
    topology: t.build(),
    params: p as unknown as JsonValue,
    setup(sink: OpSink) {
      sink.map(space, HUGE_IOVA, 0x8000_0000, p.hugeBytes, RW);
      // Output frames 4 KiB off a 2 MiB boundary: the builder has to use 4 KiB pages.
      sink.map(space, SMALL_IOVA, 0x2_0000_1000, p.smallBytes, RW);
    },
    step(sink: OpSink) {
      const ring = rings[rng.below(rings.length)]!;
      sink.dma(DEVICE, NO_PASID, ring.base + ring.offset, p.packetBytes, (index++ & 3) === 0 ? DMA_READ : DMA_WRITE);
      ring.offset = (ring.offset + p.packetBytes) % ring.slice;
    },
    finish() {},
  };
}
