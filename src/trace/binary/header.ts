// The header block: a preamble whose shape never changes across versions
// (magic, major, minor, body length), the version-specific body, and a CRC of
// both. Because the envelope is permanent, a reader can check the CRC before it
// decides whether it understands the version, and so tell a damaged file from
// a newer one.

import { TraceFormatError } from '../errors.js';
import type { JsonValue, TraceHeader, TraceHeaderInit } from '../records.js';
import { ByteCursor } from './byte-cursor.js';
import { ByteSink } from './byte-sink.js';
import { crc32 } from './crc32.js';
import { MAGIC, MAX_HEADER_BODY_BYTES, PREAMBLE_BYTES, VERSION_MAJOR, VERSION_MINOR } from './layout.js';

const HAS_METADATA = 0x01;
const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/** The complete header block: preamble, body, CRC. */
export function encodeHeader(header: TraceHeaderInit): Uint8Array {
  const body = new ByteSink(256);
  body.u64(header.seed);
  const creator = utf8.encode(header.creator);
  body.varNumber(creator.length);
  body.raw(creator);
  if (header.metadata === undefined) {
    body.u8(0);
  } else {
    body.u8(HAS_METADATA);
    const json = utf8.encode(JSON.stringify(header.metadata));
    body.varNumber(json.length);
    body.raw(json);
  }
  if (body.length > MAX_HEADER_BODY_BYTES) {
    throw new RangeError(`header is ${body.length} bytes, more than the ${MAX_HEADER_BODY_BYTES} a reader accepts`);
  }

  const block = new ByteSink(PREAMBLE_BYTES + body.length + 4);
  block.raw(MAGIC);
  block.u16(VERSION_MAJOR);
  block.u16(VERSION_MINOR);
  block.u32(body.length);
  block.raw(body.bytes());
  block.u32(crc32(block.bytes()));
  return block.bytes().slice();
}

export interface Preamble {
  major: number;
  minor: number;
  bodyLength: number;
}

/**
 * Checks the magic of however many bytes the file has (a short file that
 * starts like a trace is truncated, not foreign) and decodes the preamble.
 */
export function parsePreamble(bytes: Uint8Array): Preamble {
  const n = Math.min(bytes.length, MAGIC.length);
  for (let i = 0; i < n; i++) {
    if (bytes[i] !== MAGIC[i]) {
      throw new TraceFormatError('bad-magic', 'not an iommu-wasm binary trace: wrong magic bytes', { offset: i });
    }
  }
  if (bytes.length < PREAMBLE_BYTES) {
    const what = bytes.length === 0 ? 'file is empty' : 'file ends inside the header preamble';
    throw new TraceFormatError('truncated', what, { offset: bytes.length });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, PREAMBLE_BYTES);
  const preamble = {
    major: view.getUint16(8, true),
    minor: view.getUint16(10, true),
    bodyLength: view.getUint32(12, true),
  };
  if (preamble.bodyLength > MAX_HEADER_BODY_BYTES) {
    throw new TraceFormatError(
      'corrupted',
      `header body length ${preamble.bodyLength} exceeds the ${MAX_HEADER_BODY_BYTES}-byte limit`,
      { offset: 12 },
    );
  }
  return preamble;
}

/** Throws unless the file's CRC matches the preamble and body it covers. */
export function checkHeaderCrc(preambleAndBody: Uint8Array, storedCrc: number): void {
  const computed = crc32(preambleAndBody);
  if (computed !== storedCrc) {
    throw new TraceFormatError(
      'corrupted',
      `header CRC mismatch: stored 0x${hex32(storedCrc)}, computed 0x${hex32(computed)}`,
      { offset: 0 },
    );
  }
}

export function checkVersion(preamble: Preamble): void {
  if (preamble.major !== VERSION_MAJOR) {
    throw new TraceFormatError(
      'unsupported-version',
      `trace format version ${preamble.major}.${preamble.minor} is not supported (this reader reads ${VERSION_MAJOR}.x)`,
      { offset: 8 },
    );
  }
}

export function parseHeaderBody(body: Uint8Array, preamble: Preamble): TraceHeader {
  const cursor = new ByteCursor(body, PREAMBLE_BYTES, 'header');
  const seed = cursor.u64();
  const creator = decodeText(cursor, 'creator');
  const flags = cursor.u8();
  if (flags & ~HAS_METADATA) throw cursor.corrupted(`unknown header flags 0x${flags.toString(16)}`);
  let metadata: JsonValue | undefined;
  if (flags & HAS_METADATA) {
    const at = cursor.offset;
    const text = decodeText(cursor, 'metadata');
    try {
      metadata = JSON.parse(text) as JsonValue;
    } catch {
      throw cursor.corrupted('metadata is not valid JSON', at);
    }
  }
  // Minor versions append fields this reader does not know; version x.0 has none.
  if (preamble.minor === VERSION_MINOR && !cursor.atEnd) {
    throw cursor.corrupted(`${cursor.remaining} unexpected bytes at the end of the header`);
  }
  const header: TraceHeader = { version: preamble.major, creator, seed };
  if (metadata !== undefined) header.metadata = metadata;
  return header;
}

function decodeText(cursor: ByteCursor, what: string): string {
  const at = cursor.offset;
  const length = cursor.varNumber(MAX_HEADER_BODY_BYTES, `${what} length`);
  try {
    return utf8Strict.decode(cursor.take(length));
  } catch (error) {
    if (error instanceof TraceFormatError) throw error;
    throw cursor.corrupted(`${what} is not valid UTF-8`, at);
  }
}

export function hex32(value: number): string {
  return value.toString(16).padStart(8, '0');
}
