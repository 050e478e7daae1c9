// Random accesses over a mapped working set: what an accelerator's kernels or a
// GPU's gathers look like to the IOMMU. Each access is a short sequential run at a
// uniformly random, run-aligned offset.
import type { Rng } from '../rng.js';
import { DMA_READ, DMA_WRITE, type OpSink } from '../ops.js';

export interface AccessPattern {
  accessesPerStep: number;
  runBytes: number;
  /** Fraction of accesses that write. */
  writeShare: number;
}

export function randomRuns(sink: OpSink, rng: Rng, a: AccessPattern, device: number, pasid: number, base: number, bytes: number, count = a.accessesPerStep): void {
  const runs = Math.max(1, Math.floor(bytes / a.runBytes));
  for (let i = 0; i < count; i++) {
    const at = base + rng.below(runs) * a.runBytes;
    sink.dma(device, pasid, at, a.runBytes, rng.u32() / 2 ** 32 < a.writeShare ? DMA_WRITE : DMA_READ);
  }
}
