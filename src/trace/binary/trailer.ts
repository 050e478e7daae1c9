// The trailer closes the file: its presence proves the writer finished, and its
// counts let a reader prove no whole chunk went missing.

import { TraceFormatError } from '../errors.js';
import { RECORD_TYPES, type RecordCounts } from '../records.js';
import { ByteSink } from './byte-sink.js';
import { crc32 } from './crc32.js';
import { hex32 } from './header.js';
import { TRAILER_BYTES, TRAILER_CHECKED_BYTES, TRAILER_MARKER } from './layout.js';

export interface TraceTrailer {
  counts: RecordCounts;
  chunks: number;
}

export function encodeTrailer(trailer: TraceTrailer): Uint8Array {
  const sink = new ByteSink(TRAILER_BYTES);
  sink.u8(TRAILER_MARKER);
  for (const type of RECORD_TYPES) sink.u64(BigInt(trailer.counts[type]));
  sink.u32(trailer.chunks);
  sink.u32(crc32(sink.bytes()));
  return sink.bytes().slice();
}

/** `bytes` is the whole trailer, marker included, found at `fileOffset`. */
export function parseTrailer(bytes: Uint8Array, fileOffset: number): TraceTrailer {
  const view = new DataView(bytes.buffer, bytes.byteOffset, TRAILER_BYTES);
  const stored = view.getUint32(TRAILER_CHECKED_BYTES, true);
  const computed = crc32(bytes, 0, TRAILER_CHECKED_BYTES);
  if (stored !== computed) {
    throw new TraceFormatError(
      'corrupted',
      `trailer CRC mismatch: stored 0x${hex32(stored)}, computed 0x${hex32(computed)}`,
      { offset: fileOffset },
    );
  }
  const counts = {} as RecordCounts;
  RECORD_TYPES.forEach((type, i) => {
    counts[type] = Number(view.getBigUint64(1 + 8 * i, true));
  });
  return { counts, chunks: view.getUint32(33, true) };
}
