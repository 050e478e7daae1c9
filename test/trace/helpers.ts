// Shared test plumbing: in-memory sources and a way to collect a whole trace
// or the error it fails with.

import { Readable } from 'node:stream';
import { BinaryTraceReader } from '../../src/trace/binary/index.js';
import { TraceFormatError } from '../../src/trace/errors.js';
import type { TraceHeader, TraceRecord } from '../../src/trace/records.js';

/** A source that delivers `bytes` in pieces of `pieceSize`, to exercise reassembly. */
export function sourceOf(bytes: Uint8Array, pieceSize = 7): Readable {
  const pieces: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += pieceSize) pieces.push(Buffer.from(bytes.subarray(i, i + pieceSize)));
  return Readable.from(pieces, { objectMode: false });
}

export async function readAll(bytes: Uint8Array, pieceSize?: number): Promise<{ header: TraceHeader; records: TraceRecord[] }> {
  const reader = await BinaryTraceReader.open(sourceOf(bytes, pieceSize));
  const records: TraceRecord[] = [];
  for await (const record of reader) records.push(record);
  return { header: reader.header, records };
}

/** The TraceFormatError reading `bytes` fails with; fails the test if it reads cleanly. */
export async function readError(bytes: Uint8Array): Promise<TraceFormatError> {
  try {
    await readAll(bytes, 64);
  } catch (error) {
    if (error instanceof TraceFormatError) return error;
    throw error;
  }
  throw new Error('trace was read without error');
}
