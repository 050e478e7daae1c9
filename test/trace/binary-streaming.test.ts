// A trace bigger than the reader may hold: millions of records written from a
// generator and read back one record at a time, with the live heap sampled
// along the way. Samples are taken after a forced full GC so they measure what
// the writer/reader retain, not garbage waiting for the next collection.

import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BinaryTraceReader, writeBinaryTrace } from '../../src/trace/binary/index.js';
import { fileDestination, fileSource } from '../../src/trace/node.js';
import type { TraceRecord } from '../../src/trace/records.js';
import { prng } from './workloads.js';

setFlagsFromString('--expose_gc');
const collectGarbage = runInNewContext('gc') as () => void;

function liveHeap(): number {
  collectGarbage();
  return process.memoryUsage().heapUsed;
}

const RECORDS = 3_000_000;
const SAMPLE_EVERY = 250_000;

/** DMA scattered over 1 GiB by four devices: ~8 bytes/record, so the file is big. */
function* scatteredDma(n: number, onProgress: (i: number) => void): Generator<TraceRecord> {
  const random = prng(11);
  for (let i = 0; i < n; i++) {
    if (i % SAMPLE_EVERY === 0) onProgress(i);
    const iova = 0x4000_0000n + BigInt(Math.floor(random() * 0x4_0000)) * 4096n;
    yield { type: 'dma', device: 1 + (i & 3), iova, length: 64n, access: i & 4 ? 'write' : 'read' };
  }
}

describe('streaming a multi-million-record trace', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trace-stream-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes and reads back with the live heap far below the file size', async () => {
    const path = join(dir, 'big.iotrace');

    const writeBase = liveHeap();
    let writePeak = 0;
    const summary = await writeBinaryTrace(
      fileDestination(path),
      { creator: 'streaming test', seed: 11n },
      scatteredDma(RECORDS, () => {
        writePeak = Math.max(writePeak, liveHeap() - writeBase);
      }),
    );
    const fileSize = (await stat(path)).size;
    expect(summary.counts.dma).toBe(RECORDS);
    expect(fileSize).toBeGreaterThan(20_000_000);

    const readBase = liveHeap();
    let readPeak = 0;
    const reader = await BinaryTraceReader.open(fileSource(path));
    let count = 0;
    let checksum = 0n;
    for await (const record of reader) {
      if (record.type === 'dma') checksum ^= record.iova;
      if (++count % SAMPLE_EVERY === 0) readPeak = Math.max(readPeak, liveHeap() - readBase);
    }

    // Recompute what was written to check the content, not only the count.
    let expected = 0n;
    for (const record of scatteredDma(RECORDS, () => {})) if (record.type === 'dma') expected ^= record.iova;
    expect(count).toBe(RECORDS);
    expect(checksum).toBe(expected);
    expect(reader.trailer?.counts.dma).toBe(RECORDS);

    console.log(
      `streamed ${RECORDS} records, file ${(fileSize / 1e6).toFixed(1)} MB; ` +
        `live heap growth: write ${(writePeak / 1e6).toFixed(2)} MB, read ${(readPeak / 1e6).toFixed(2)} MB`,
    );
    // One chunk plus its decoded records is about 1 MB; the file is over 20 MB.
    expect(writePeak).toBeLessThan(fileSize / 8);
    expect(readPeak).toBeLessThan(fileSize / 8);
  }, 60_000);
});
