import fc from 'fast-check';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BinaryTraceReader, BinaryTraceWriter, encodeBinaryTrace, readBinaryTrace } from '../../src/trace/binary/index.js';
import { fileDestination, fileSource, readBinaryTraceFile, writeBinaryTraceFile } from '../../src/trace/node.js';
import type { TraceRecord } from '../../src/trace/records.js';
import { headerArb, recordSequenceArb } from './arbitraries.js';
import { readAll } from './helpers.js';
import { mapUnmapTrace, nicRingTrace } from './workloads.js';

describe('binary trace round trip', () => {
  it('reads back any record sequence and header, across chunk boundaries and read sizes', async () => {
    await fc.assert(
      fc.asyncProperty(
        headerArb,
        recordSequenceArb,
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 100 }),
        async (header, records, chunkBytes, pieceSize) => {
          const bytes = await encodeBinaryTrace(header, records, { chunkBytes });
          const back = await readAll(bytes, pieceSize);
          expect(back.records).toEqual(records);
          expect(back.header).toEqual({ version: 1, ...header });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('round-trips realistic workloads with the default chunk size', async () => {
    const records = [...nicRingTrace(20_000), ...mapUnmapTrace(5_000)];
    const bytes = await encodeBinaryTrace({ creator: 'test', seed: 7n }, records);
    expect((await readAll(bytes, 4096)).records).toEqual(records);
  });

  it('keeps an empty trace empty', async () => {
    const bytes = await encodeBinaryTrace({ creator: '', seed: 0n }, []);
    const back = await readAll(bytes);
    expect(back.records).toEqual([]);
    expect(back.header).toEqual({ version: 1, creator: '', seed: 0n });
  });

  it('writes to and reads from a file path, reporting counts in the trailer', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'trace-'));
    try {
      const path = join(dir, 't.iotrace');
      const records = [...mapUnmapTrace(100)];
      const summary = await writeBinaryTraceFile(path, { creator: 'file test', seed: 1n, metadata: { nic: 'e1000' } }, records);
      expect(summary.counts).toEqual({ map: 100, unmap: 100, invalidate: 100, dma: 100 });
      expect((await stat(path)).size).toBe(summary.bytes);
      const reader = await BinaryTraceReader.open(fileSource(path));
      expect(reader.header.metadata).toEqual({ nic: 'e1000' });
      const back: TraceRecord[] = [];
      for await (const r of reader) back.push(r);
      expect(back).toEqual(records);
      expect(reader.trailer?.counts).toEqual(summary.counts);
      expect((await readBinaryTraceFile(path)).records).toEqual(records);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('closes the file when the consumer stops early', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'trace-'));
    try {
      const path = join(dir, 't.iotrace');
      await writeBinaryTraceFile(path, { creator: 'x', seed: 0n }, nicRingTrace(50_000), { chunkBytes: 1024 });
      const stream = createReadStream(path);
      const reader = await BinaryTraceReader.open(stream);
      let n = 0;
      for await (const _ of reader) if (++n === 10) break;
      expect(n).toBe(10);
      expect(stream.destroyed).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses records that would not read back the same', async () => {
    const writer = await BinaryTraceWriter.open(fileDestination(join(tmpdir(), `never-${process.pid}.iotrace`)), { creator: 'x', seed: 0n });
    const bad: TraceRecord[] = [
      { type: 'dma', device: 1, iova: (1n << 64n) - 8n, length: 16n, access: 'read' },
      { type: 'map', space: 1, iova: 0n, addr: 0n, length: 1n, perms: 16 },
      { type: 'unmap', space: -1, iova: 0n, length: 1n },
      { type: 'invalidate', kind: 'group', group: 2 ** 32 },
      { type: 'dma', device: 1, iova: 0n, length: 1n, access: 'fetch' as 'read' },
      { type: 'dma', device: 1, pasid: 1.5, iova: 0n, length: 1n, access: 'read' },
    ];
    for (const record of bad) {
      const error = await writer.write(record).then(() => undefined, (e: unknown) => e);
      expect(error instanceof RangeError || error instanceof TypeError, String(error)).toBe(true);
    }
    await writer.close();
    await rm(join(tmpdir(), `never-${process.pid}.iotrace`), { force: true });
  });

  it('refuses metadata JSON cannot carry', async () => {
    await expect(encodeBinaryTrace({ creator: 'x', seed: 0n, metadata: { n: 1n } as never }, [])).rejects.toThrow();
    await expect(encodeBinaryTrace({ creator: 'x', seed: 0n, metadata: { n: Number.NaN } }, [])).rejects.toThrow();
    await expect(encodeBinaryTrace({ creator: 'x', seed: -1n }, [])).rejects.toThrow(RangeError);
  });
});
