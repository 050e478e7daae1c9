// Streaming writer of the binary form. Records are encoded into an in-memory
// chunk; a full chunk is framed, checksummed and handed to the destination
// with backpressure, so memory stays at one chunk whatever the trace size.

import { ByteOutput, type ByteDestination } from '../io.js';
import { emptyCounts, validateHeader, validateRecord, type RecordCounts, type TraceHeaderInit, type TraceRecord } from '../records.js';
import { ByteSink } from './byte-sink.js';
import { crc32 } from './crc32.js';
import { encodeHeader } from './header.js';
import { CHUNK_FRAME_BYTES, CHUNK_FRAME_CHECKED_BYTES, CHUNK_MARKER, DEFAULT_CHUNK_BYTES, MAX_CHUNK_PAYLOAD_BYTES } from './layout.js';
import { ChunkEncoder } from './record-encoder.js';
import { encodeTrailer } from './trailer.js';

export interface BinaryWriterOptions {
  /** Payload size at which a chunk is closed; smaller chunks lose less to a bad byte. */
  chunkBytes?: number;
  /** End a caller-supplied stream on close (default true; a file the Node entry opened is always closed). */
  endStream?: boolean;
}

export interface TraceSummary {
  counts: RecordCounts;
  chunks: number;
  bytes: number;
}

export class BinaryTraceWriter {
  private readonly encoder = new ChunkEncoder();
  private readonly counts = emptyCounts();
  private chunks = 0;
  private closed = false;

  private constructor(
    private readonly output: ByteOutput,
    private readonly chunkBytes: number,
  ) {}

  static async open(
    destination: ByteDestination,
    header: TraceHeaderInit,
    options: BinaryWriterOptions = {},
  ): Promise<BinaryTraceWriter> {
    validateHeader(header);
    const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
    // Leave room for the record that crosses the threshold (at most ~40 bytes).
    if (!(chunkBytes >= 1 && chunkBytes <= MAX_CHUNK_PAYLOAD_BYTES - 64)) {
      throw new RangeError(`chunkBytes must be in [1, ${MAX_CHUNK_PAYLOAD_BYTES - 64}]`);
    }
    const output = new ByteOutput(destination, options.endStream ?? true);
    try {
      await output.write(encodeHeader(header));
    } catch (error) {
      output.abort();
      throw error;
    }
    return new BinaryTraceWriter(output, chunkBytes);
  }

  /** Validates and appends one record; resolves once any full chunk is handed over. */
  async write(record: TraceRecord): Promise<void> {
    this.append(record);
    if (this.encoder.sink.length >= this.chunkBytes) await this.flushChunk();
  }

  async writeAll(records: Iterable<TraceRecord> | AsyncIterable<TraceRecord>): Promise<void> {
    for await (const record of records) {
      this.append(record);
      if (this.encoder.sink.length >= this.chunkBytes) await this.flushChunk();
    }
  }

  private append(record: TraceRecord): void {
    if (this.closed) throw new Error('write after close');
    validateRecord(record);
    this.encoder.encode(record);
    this.counts[record.type]++;
  }

  private async flushChunk(): Promise<void> {
    const encoder = this.encoder;
    if (encoder.count === 0) return;
    const payload = encoder.sink.bytes();
    const framed = new ByteSink(CHUNK_FRAME_BYTES + payload.length);
    framed.u8(CHUNK_MARKER);
    framed.u32(payload.length);
    framed.u32(encoder.count);
    framed.u32(crc32(payload));
    framed.u32(crc32(framed.bytes(), 0, CHUNK_FRAME_CHECKED_BYTES));
    framed.raw(payload);
    encoder.reset();
    this.chunks++;
    await this.output.write(framed.bytes());
  }

  /** Writes the last chunk and the trailer, then ends the destination. */
  async close(): Promise<TraceSummary> {
    if (this.closed) throw new Error('trace writer already closed');
    try {
      await this.flushChunk();
      this.closed = true;
      await this.output.write(encodeTrailer({ counts: this.counts, chunks: this.chunks }));
      await this.output.close();
    } catch (error) {
      this.closed = true;
      this.output.abort();
      throw error;
    }
    return { counts: { ...this.counts }, chunks: this.chunks, bytes: this.output.bytesWritten };
  }
}

/** Writes a whole trace in one call. */
export async function writeBinaryTrace(
  destination: ByteDestination,
  header: TraceHeaderInit,
  records: Iterable<TraceRecord> | AsyncIterable<TraceRecord>,
  options?: BinaryWriterOptions,
): Promise<TraceSummary> {
  const writer = await BinaryTraceWriter.open(destination, header, options);
  await writer.writeAll(records);
  return writer.close();
}

/** The binary form of a trace as bytes, for small traces and tests. */
export async function encodeBinaryTrace(
  header: TraceHeaderInit,
  records: Iterable<TraceRecord> | AsyncIterable<TraceRecord>,
  options?: Omit<BinaryWriterOptions, 'endStream'>,
): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const sink = new WritableStream<Uint8Array>({
    write(chunk) {
      parts.push(chunk);
    },
  });
  await writeBinaryTrace(sink, header, records, options);
  const bytes = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
  }
  return bytes;
}
