// Opens a trace file of any form (detect.ts tells which) as one stream of record
// batches, so replay code never branches on the form. An ftrace import has no
// stored header: it gets the importer's, and its line statistics travel along.
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { BinaryTraceReader } from './binary/reader.js';
import { DETECT_BYTES, detectTraceForm, type TraceForm } from './detect.js';
import { TraceFormatError } from './errors.js';
import { FtraceImporter, ftraceRecords, type FtraceImportOptions } from './ftrace.js';
import { NdjsonTraceReader } from './ndjson.js';
import type { TraceHeader, TraceRecord } from './records.js';

export interface OpenedTrace {
  form: TraceForm;
  header: TraceHeader;
  /** File size in bytes. */
  size: number;
  /** Bytes read so far (for progress). */
  bytesRead(): number;
  /** The records in order, a batch at a time. Iterate once. */
  batches(): AsyncGenerator<TraceRecord[]>;
  /** Stops reading the file (after a failure, or to abandon the rest). */
  close(): void;
  /** Set for ftrace text: its line statistics and warnings, complete once batches() ends. */
  ftrace?: FtraceImporter;
}

/** Records per batch for the text forms (the binary form batches by chunk). */
const TEXT_BATCH = 4096;

/** The first bytes of a file, for detection. */
async function readHead(path: string): Promise<{ head: Uint8Array; size: number }> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const head = new Uint8Array(Math.min(size, DETECT_BYTES));
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    return { head: head.subarray(0, bytesRead), size };
  } finally {
    await fh.close();
  }
}

/**
 * Opens `path` as a trace, whatever its form. Throws TraceFormatError ('bad-magic')
 * with a one-line reason when the content is no trace form at all; the file
 * system's own errors (ENOENT, EISDIR...) pass through.
 */
export async function openTraceFile(path: string, ftraceOptions: FtraceImportOptions = {}): Promise<OpenedTrace> {
  const { head, size } = await readHead(path);
  const detection = detectTraceForm(head);
  if (detection.form === undefined) throw new TraceFormatError('bad-magic', `${path}: not a trace: ${detection.reason}`, {});
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  const bytesRead = (): number => stream.bytesRead;
  const base = { form: detection.form, size, bytesRead, close: () => void stream.destroy() };
  try {
    switch (detection.form) {
      case 'binary': {
        const reader = await BinaryTraceReader.open(stream);
        return { ...base, header: reader.header, batches: () => reader.batches() };
      }
      case 'ndjson': {
        const reader = await NdjsonTraceReader.open(stream);
        return { ...base, header: reader.header, batches: () => batched(reader) };
      }
      case 'ftrace': {
        const importer = new FtraceImporter(ftraceOptions);
        return { ...base, header: { version: 0, ...importer.header() }, ftrace: importer, batches: () => batched(ftraceRecords(stream, importer)) };
      }
    }
  } catch (error) {
    stream.destroy();
    throw error;
  }
}

async function* batched(records: AsyncIterable<TraceRecord>): AsyncGenerator<TraceRecord[]> {
  let batch: TraceRecord[] = [];
  for await (const record of records) {
    batch.push(record);
    if (batch.length === TEXT_BATCH) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
}
