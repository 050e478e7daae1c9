// The built-in default scenario: a device streaming DMA through one x86-64 4-level
// domain whose buffers mix 2 MiB and 4 KiB pages, the way a NIC walks its receive
// rings: many rings, each advancing sequentially through its buffers, interleaved.
import { Engine, Access, Perm, type Counters, type EngineOptions } from '../../engine/index.js';
import { Rng } from '../rng.js';

export interface DmaStreamOptions {
  translations: number;
  seed: number;
  rings: number;
  /** Bytes per DMA (one translation each). */
  packetBytes: number;
  /** Bytes mapped with 2 MiB pages and with 4 KiB pages. */
  hugeBytes: number;
  smallBytes: number;
  engine?: EngineOptions;
  onProgress?: (done: number, total: number) => void;
}

export const DMA_STREAM_DEFAULTS: Omit<DmaStreamOptions, 'onProgress'> = {
  translations: 8_000_000,
  seed: 1,
  rings: 64,
  packetBytes: 2048,
  hugeBytes: 128 << 20,
  smallBytes: 128 << 20,
};

export interface ScenarioResult {
  scenario: string;
  translations: number;
  seconds: number;
  translationsPerSecond: number;
  hitRate: number;
  hitRateBySize: { '4K': number; '2M': number; '1G': number };
  walksPerTranslation: number;
  pteReadsPerTranslation: number;
  faults: number;
  counters: Counters;
  config: Record<string, unknown>;
}

const HUGE_IOVA = 0x4000_0000;
const SMALL_IOVA = 0x1_0000_0000;

export async function runDmaStream(options: Partial<DmaStreamOptions> = {}): Promise<ScenarioResult> {
  const o = { ...DMA_STREAM_DEFAULTS, ...options };
  const engine = await Engine.create(o.engine);
  const space = engine.createSpace({ format: 'x86-64', levels: 4 });
  engine.map(space, HUGE_IOVA, 0x8000_0000, o.hugeBytes, Perm.R | Perm.W);
  // Output frames 4 KiB off a 2 MiB boundary: the builder has to use 4 KiB pages.
  engine.map(space, SMALL_IOVA, 0x2_0000_1000, o.smallBytes, Perm.R | Perm.W);

  // Each ring owns a contiguous slice of one region and walks it packet by packet.
  const rng = new Rng(o.seed);
  const rings = Array.from({ length: o.rings }, (_, i) => {
    const huge = i % 2 === 0;
    const regionBytes = huge ? o.hugeBytes : o.smallBytes;
    const slice = Math.floor(regionBytes / Math.ceil(o.rings / 2));
    const base = (huge ? HUGE_IOVA : SMALL_IOVA) + Math.floor(i / 2) * slice;
    return { base, slice, offset: rng.below(slice / o.packetBytes) * o.packetBytes };
  });

  const batch = engine.batch;
  const n = batch.capacity;
  batch.space.fill(space, 0, n);
  engine.resetCounters();
  let done = 0;
  let faults = 0;
  const started = process.hrtime.bigint();
  while (done < o.translations) {
    const count = Math.min(n, o.translations - done);
    for (let i = 0; i < count; i++) {
      const ring = rings[rng.below(rings.length)]!;
      batch.set(i, space, ring.base + ring.offset, (i & 3) === 0 ? Access.READ : Access.WRITE);
      ring.offset = (ring.offset + o.packetBytes) % ring.slice;
    }
    faults += batch.run(count);
    done += count;
    if ((done / n) % 64 === 0 || done === o.translations) o.onProgress?.(done, o.translations);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const c = engine.counters();
  return {
    scenario: 'dma-stream',
    translations: done,
    seconds,
    translationsPerSecond: done / seconds,
    hitRate: c.hits / c.lookups,
    hitRateBySize: { '4K': c.hits4K / c.lookups, '2M': c.hits2M / c.lookups, '1G': c.hits1G / c.lookups },
    walksPerTranslation: c.walks / done,
    pteReadsPerTranslation: c.pteReads / done,
    faults,
    counters: c,
    config: { rings: o.rings, packetBytes: o.packetBytes, hugeBytes: o.hugeBytes, smallBytes: o.smallBytes, seed: o.seed, iotlbEntries: engine.iotlbEntries() },
  };
}
