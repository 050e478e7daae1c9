// Bytes per record for workload shapes the format was designed around. The
// bounds are the design targets; the measured figures are logged so a change
// to the encoder shows its effect.

import { describe, expect, it } from 'vitest';
import { encodeBinaryTrace } from '../../src/trace/binary/index.js';
import type { TraceRecord } from '../../src/trace/records.js';
import { mapUnmapTrace, nicRingTrace, prng } from './workloads.js';

async function bytesPerRecord(records: TraceRecord[]): Promise<number> {
  const empty = await encodeBinaryTrace({ creator: 'size', seed: 0n }, []);
  const full = await encodeBinaryTrace({ creator: 'size', seed: 0n }, records);
  return (full.length - empty.length) / records.length;
}

function* scatteredDma(n: number): Generator<TraceRecord> {
  const random = prng(5);
  for (let i = 0; i < n; i++) {
    // Random 4 KiB-aligned page inside a 1 GiB window, random sub-page offset.
    const iova = 0x4000_0000n + BigInt(Math.floor(random() * 0x4_0000)) * 4096n + BigInt(Math.floor(random() * 64)) * 64n;
    yield { type: 'dma', device: 1 + (i % 4), pasid: i % 4 === 3 ? 5 : undefined, iova, length: 64n, access: random() < 0.5 ? 'read' : 'write' } as TraceRecord;
  }
}

describe('binary trace size', () => {
  it('keeps NIC ring DMA records within the 4-8 byte target (well below, in fact)', async () => {
    const size = await bytesPerRecord([...nicRingTrace(100_000)]);
    console.log(`NIC ring DMA: ${size.toFixed(2)} bytes/record`);
    expect(size).toBeLessThanOrEqual(4);
  });

  it('keeps map/dma/unmap/invalidate cycles compact', async () => {
    const size = await bytesPerRecord([...mapUnmapTrace(50_000)]);
    console.log(`map+dma+unmap+invalidate cycle: ${size.toFixed(2)} bytes/record`);
    expect(size).toBeLessThanOrEqual(6);
  });

  it('bounds scattered DMA across devices', async () => {
    const size = await bytesPerRecord([...scatteredDma(100_000)]);
    console.log(`scattered DMA over 1 GiB, 4 streams: ${size.toFixed(2)} bytes/record`);
    expect(size).toBeLessThanOrEqual(8);
  });
});
