// Streaming reader of the binary form: header first, then one chunk at a time,
// so memory stays at one chunk whatever the file size.

import { TraceFormatError } from '../errors.js';
import { openByteSource, type ByteSource } from '../io.js';
import { emptyCounts, RECORD_TYPES, type RecordCounts, type TraceHeader, type TraceRecord } from '../records.js';
import { crc32 } from './crc32.js';
import { ExactReader } from './exact-reader.js';
import { checkHeaderCrc, checkVersion, hex32, parseHeaderBody, parsePreamble } from './header.js';
import {
  CHUNK_FRAME_BYTES,
  CHUNK_FRAME_CHECKED_BYTES,
  CHUNK_MARKER,
  HEADER_CRC_BYTES,
  MAX_CHUNK_PAYLOAD_BYTES,
  PREAMBLE_BYTES,
  TRAILER_BYTES,
  TRAILER_MARKER,
} from './layout.js';
import { decodeChunk } from './record-decoder.js';
import { parseTrailer, type TraceTrailer } from './trailer.js';

export class BinaryTraceReader implements AsyncIterable<TraceRecord> {
  private consumed = false;
  /** Set once the whole file has been read and checked. */
  trailer: TraceTrailer | undefined;

  private constructor(
    private readonly input: ExactReader,
    readonly header: TraceHeader,
  ) {}

  /** Reads and checks the header; records follow through iteration. */
  static async open(source: ByteSource): Promise<BinaryTraceReader> {
    const input = new ExactReader(openByteSource(source));
    try {
      return new BinaryTraceReader(input, await readHeader(input));
    } catch (error) {
      await input.release();
      throw error;
    }
  }

  [Symbol.asyncIterator](): AsyncGenerator<TraceRecord> {
    return this.records();
  }

  async *records(): AsyncGenerator<TraceRecord> {
    for await (const batch of this.batches()) yield* batch;
  }

  /** One array per chunk: the cheap way through millions of records. */
  async *batches(): AsyncGenerator<TraceRecord[]> {
    if (this.consumed) throw new Error('a trace reader can be iterated only once');
    this.consumed = true;
    const input = this.input;
    const seen = emptyCounts();
    let chunks = 0;
    try {
      for (;;) {
        const at = input.offset;
        const marker = await input.read(1);
        if (marker.length === 0) {
          throw new TraceFormatError('truncated', 'file ends before the trailer', { offset: at });
        }
        if (marker[0] === TRAILER_MARKER) {
          this.trailer = await readTrailer(input, marker[0], at, seen, chunks);
          return;
        }
        if (marker[0] !== CHUNK_MARKER) {
          throw new TraceFormatError(
            'corrupted',
            `expected a chunk or trailer marker, found byte 0x${marker[0].toString(16).padStart(2, '0')}`,
            { offset: at },
          );
        }
        const records = await readChunk(input, at);
        for (const record of records) seen[record.type]++;
        chunks++;
        if (records.length > 0) yield records;
      }
    } finally {
      await input.release();
    }
  }

  /** Stops reading and closes the source. Only needed when not iterating to the end. */
  async close(): Promise<void> {
    await this.input.release();
  }
}

/** Header and all records of a trace small enough for memory. */
export async function readBinaryTrace(source: ByteSource): Promise<{ header: TraceHeader; records: TraceRecord[] }> {
  const reader = await BinaryTraceReader.open(source);
  const records: TraceRecord[] = [];
  for await (const batch of reader.batches()) for (const r of batch) records.push(r);
  return { header: reader.header, records };
}

async function readExactly(input: ExactReader, n: number, what: string): Promise<Uint8Array> {
  const bytes = await input.read(n);
  if (bytes.length < n) {
    throw new TraceFormatError('truncated', `file ends inside the ${what}`, { offset: input.offset });
  }
  return bytes;
}

async function readHeader(input: ExactReader): Promise<TraceHeader> {
  const preambleBytes = await input.read(PREAMBLE_BYTES);
  const preamble = parsePreamble(preambleBytes);
  const rest = await readExactly(input, preamble.bodyLength + HEADER_CRC_BYTES, 'header');
  const checked = new Uint8Array(PREAMBLE_BYTES + preamble.bodyLength);
  checked.set(preambleBytes);
  checked.set(rest.subarray(0, preamble.bodyLength), PREAMBLE_BYTES);
  const stored = new DataView(rest.buffer, rest.byteOffset + preamble.bodyLength, 4).getUint32(0, true);
  checkHeaderCrc(checked, stored);
  checkVersion(preamble);
  return parseHeaderBody(checked.subarray(PREAMBLE_BYTES), preamble);
}

async function readChunk(input: ExactReader, at: number): Promise<TraceRecord[]> {
  const rest = await readExactly(input, CHUNK_FRAME_BYTES - 1, 'chunk frame');
  const frame = new Uint8Array(CHUNK_FRAME_BYTES);
  frame[0] = CHUNK_MARKER;
  frame.set(rest, 1);
  const view = new DataView(frame.buffer);
  const payloadLength = view.getUint32(1, true);
  const count = view.getUint32(5, true);
  const payloadCrc = view.getUint32(9, true);
  const frameCrc = view.getUint32(CHUNK_FRAME_CHECKED_BYTES, true);
  // The frame has its own CRC so that a damaged length is reported as damage,
  // not as a truncated file or a multi-gigabyte read.
  const computedFrameCrc = crc32(frame, 0, CHUNK_FRAME_CHECKED_BYTES);
  if (computedFrameCrc !== frameCrc) {
    throw new TraceFormatError(
      'corrupted',
      `chunk frame CRC mismatch: stored 0x${hex32(frameCrc)}, computed 0x${hex32(computedFrameCrc)}`,
      { offset: at },
    );
  }
  if (payloadLength > MAX_CHUNK_PAYLOAD_BYTES || count > payloadLength) {
    throw new TraceFormatError('corrupted', `implausible chunk: ${count} records in ${payloadLength} bytes`, {
      offset: at,
    });
  }
  const payloadAt = at + CHUNK_FRAME_BYTES;
  const payload = await readExactly(input, payloadLength, 'chunk payload');
  const computed = crc32(payload);
  if (computed !== payloadCrc) {
    throw new TraceFormatError(
      'corrupted',
      `chunk payload CRC mismatch: stored 0x${hex32(payloadCrc)}, computed 0x${hex32(computed)}; ` +
        `the chunk starts at offset ${at}, its ${payloadLength}-byte payload at offset ${payloadAt}`,
      { offset: at },
    );
  }
  return decodeChunk(payload, count, payloadAt);
}

async function readTrailer(
  input: ExactReader,
  marker: number,
  at: number,
  seen: RecordCounts,
  chunks: number,
): Promise<TraceTrailer> {
  const rest = await readExactly(input, TRAILER_BYTES - 1, 'trailer');
  const bytes = new Uint8Array(TRAILER_BYTES);
  bytes[0] = marker;
  bytes.set(rest, 1);
  const trailer = parseTrailer(bytes, at);
  for (const type of RECORD_TYPES) {
    if (trailer.counts[type] !== seen[type]) {
      throw new TraceFormatError(
        'corrupted',
        `trailer counts ${trailer.counts[type]} ${type} records but the file holds ${seen[type]}`,
        { offset: at },
      );
    }
  }
  if (trailer.chunks !== chunks) {
    throw new TraceFormatError('corrupted', `trailer counts ${trailer.chunks} chunks but the file holds ${chunks}`, {
      offset: at,
    });
  }
  const after = input.offset;
  if ((await input.read(1)).length > 0) {
    throw new TraceFormatError('corrupted', 'unexpected bytes after the trailer', { offset: after });
  }
  return trailer;
}
