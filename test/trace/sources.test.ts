// The browser-safe trace entry's sources and destinations: bytes, web streams,
// iterables and Node streams; a string (a path) is the Node entry's and is refused
// with a pointer to it.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  BinaryTraceReader,
  BinaryTraceWriter,
  encodeBinaryTrace,
  formatNdjsonTrace,
  importFtrace,
  readBinaryTrace,
  readNdjsonTrace,
  writeBinaryTrace,
  writeNdjsonTrace,
  type ByteSource,
  type TraceRecord,
} from '../../src/trace/index.js';
import { fileDestination, importFtraceFile, writeBinaryTraceFile } from '../../src/trace/node.js';
import { mapUnmapTrace } from './workloads.js';

const header = { creator: 'sources', seed: 5n };
const records: TraceRecord[] = [...mapUnmapTrace(200)];

function webStream(bytes: Uint8Array, piece = 9): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) controller.close();
      else controller.enqueue(bytes.slice(at, (at += piece)));
    },
  });
}

/** A WritableStream that holds few chunks, so the writer must wait for it. */
function collector(highWaterMark = 1): { stream: WritableStream<Uint8Array>; bytes(): Uint8Array; closed(): boolean } {
  const parts: Uint8Array[] = [];
  let closed = false;
  const stream = new WritableStream<Uint8Array>({
    async write(chunk) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      parts.push(chunk.slice());
    },
    close() {
      closed = true;
    },
  }, new CountQueuingStrategy({ highWaterMark }));
  return { stream, bytes: () => Buffer.concat(parts), closed: () => closed };
}

describe('trace sources and destinations', () => {
  it('encodes to a plain Uint8Array and reads back from bytes, a web stream and an iterable', async () => {
    const bytes = await encodeBinaryTrace(header, records, { chunkBytes: 256 });
    expect(Object.getPrototypeOf(bytes)).toBe(Uint8Array.prototype);
    for (const source of [bytes, webStream(bytes), [bytes.subarray(0, 100), bytes.subarray(100)]] as ByteSource[]) {
      const back = await readBinaryTrace(source);
      expect(back.records).toEqual(records);
      expect(back.header.creator).toBe('sources');
    }
  });

  it('writes to a WritableStream with backpressure and closes it', async () => {
    const out = collector();
    const summary = await writeBinaryTrace(out.stream, header, records, { chunkBytes: 128 });
    expect(summary.chunks).toBeGreaterThan(10);
    expect(out.closed()).toBe(true);
    expect(out.bytes().length).toBe(summary.bytes);
    expect((await readBinaryTrace(out.bytes())).records).toEqual(records);
    const ndjson = collector(4);
    await writeNdjsonTrace(ndjson.stream, header, records);
    expect(new TextDecoder().decode(ndjson.bytes())).toBe(formatNdjsonTrace(header, records));
  });

  it('leaves a stream open with endStream: false', async () => {
    const out = collector();
    const writer = await BinaryTraceWriter.open(out.stream, header, { endStream: false });
    await writer.writeAll(records);
    await writer.close();
    expect(out.closed()).toBe(false);
    const node = new PassThrough();
    const chunks: Buffer[] = [];
    node.on('data', (chunk: Buffer) => chunks.push(chunk));
    const nodeWriter = await BinaryTraceWriter.open(node, header, { endStream: false });
    await nodeWriter.writeAll(records);
    await nodeWriter.close();
    expect(node.writableEnded).toBe(false);
    expect((await readBinaryTrace(Buffer.concat(chunks))).records).toEqual(records);
  });

  it('reports an error the Node stream emits on the next write or close', async () => {
    const failing = new Writable({
      write(_chunk, _encoding, done) {
        done(new Error('disk full'));
      },
    });
    await expect(writeBinaryTrace(failing, header, records, { chunkBytes: 64 })).rejects.toThrow('disk full');
  });

  it('refuses a path on the browser-safe entry and names the Node entry', async () => {
    await expect(readBinaryTrace('/tmp/x.iotrace' as unknown as ByteSource)).rejects.toThrow(/fileSource\(\) \/ fileDestination\(\) from 'iommu-wasm\/trace\/node'/);
    await expect(BinaryTraceReader.open('x' as unknown as ByteSource)).rejects.toThrow(TypeError);
    await expect(writeBinaryTrace('/tmp/x.iotrace' as never, header, records)).rejects.toThrow(/iommu-wasm\/trace\/node/);
    await expect(readNdjsonTrace(42 as unknown as ByteSource)).rejects.toThrow(/expected bytes \(Uint8Array\), a stream or an \(async\) iterable/);
  });

  it('decodes UTF-8 split across chunks, and files through the Node entry', async () => {
    const line = '# tracer: nop — ünïcode\n';
    const bytes = new TextEncoder().encode(line.repeat(3));
    const pieces = Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
    const imported = await importFtrace(pieces);
    expect(imported.stats.lines).toBe(3);
    expect(imported.stats.ignored.comments).toBe(3);
    const dir = await mkdtemp(join(tmpdir(), 'trace-sources-'));
    try {
      const path = join(dir, 'trace.txt');
      const file = fileDestination(join(dir, 'out.iotrace'));
      await writeBinaryTrace(file, header, records);
      expect(file.closed).toBe(true);
      expect((await readBinaryTrace(await readFile(join(dir, 'out.iotrace')))).records).toEqual(records);
      await import('node:fs/promises').then((fs) => fs.writeFile(path, bytes));
      expect((await importFtraceFile(path)).stats.ignored.comments).toBe(3);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reports a file that cannot be created on the writer, even when it failed before the writer opened', async () => {
    const missing = join(tmpdir(), `no-such-dir-${process.pid}`, 't.iotrace');
    await expect(writeBinaryTraceFile(missing, header, records)).rejects.toThrow(/ENOENT/);
    const early = fileDestination(missing);
    await new Promise((resolve) => setTimeout(resolve, 50)); // the open has failed by now
    expect(early.destroyed).toBe(true);
    await expect(BinaryTraceWriter.open(early, header)).rejects.toThrow(/ENOENT/);
  });
});
