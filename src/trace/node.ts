// The trace layer with Node's file system: everything the browser-safe entry
// (trace/index.ts) exports, plus files as sources and destinations. Package subpath
// `iommu-wasm/trace/node`.
import { createReadStream, createWriteStream, type ReadStream, type WriteStream } from 'node:fs';
import { adoptStream } from './io.js';
import type { TraceHeader, TraceHeaderInit, TraceRecord, RecordCounts } from './records.js';
import { readBinaryTrace, writeBinaryTrace, type BinaryWriterOptions, type TraceSummary } from './binary/index.js';
import { readNdjsonTrace, writeNdjsonTrace } from './ndjson.js';
import { importFtrace, type FtraceImport, type FtraceImportOptions } from './ftrace.js';

export * from './index.js';
export { openTraceFile, type OpenedTrace } from './open-file.js';

/** A file as a trace source for any reader: read in 1 MiB chunks, closed when the reader stops. */
export function fileSource(path: string): ReadStream {
  return createReadStream(path, { highWaterMark: 1 << 20 });
}

/**
 * A file as a trace destination for any writer (created or truncated). The writer
 * closes it when it closes, and when it fails.
 */
export function fileDestination(path: string): WriteStream {
  return adoptStream(createWriteStream(path));
}

/** Header and all records of a binary trace file small enough for memory. */
export function readBinaryTraceFile(path: string): Promise<{ header: TraceHeader; records: TraceRecord[] }> {
  return readBinaryTrace(fileSource(path));
}

/** Writes a whole binary trace file. */
export function writeBinaryTraceFile(
  path: string,
  header: TraceHeaderInit,
  records: Iterable<TraceRecord> | AsyncIterable<TraceRecord>,
  options?: Omit<BinaryWriterOptions, 'endStream'>,
): Promise<TraceSummary> {
  return writeBinaryTrace(fileDestination(path), header, records, options);
}

/** Header and all records of an NDJSON trace file. */
export function readNdjsonTraceFile(path: string): Promise<{ header: TraceHeader; records: TraceRecord[] }> {
  return readNdjsonTrace(fileSource(path));
}

/** Writes a whole NDJSON trace file. */
export function writeNdjsonTraceFile(
  path: string,
  header: TraceHeaderInit,
  records: Iterable<TraceRecord> | AsyncIterable<TraceRecord>,
): Promise<{ counts: RecordCounts; bytes: number }> {
  return writeNdjsonTrace(fileDestination(path), header, records);
}

/** Imports the iommu:map/unmap events of a Linux ftrace text file. */
export function importFtraceFile(path: string, options?: FtraceImportOptions): Promise<FtraceImport> {
  return importFtrace(fileSource(path), options);
}
