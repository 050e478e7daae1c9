// NDJSON form of a trace: a header object on the first line, then one record
// object per line. Meant for small traces people read, write by hand or diff;
// the binary form is for anything large. Schema: docs/trace-format.md.

import { TraceFormatError } from './errors.js';
import { ByteOutput, splitLines, textLines, type ByteDestination, type ByteSource } from './io.js';
import {
  emptyCounts,
  validateHeader,
  validateRecord,
  type RecordCounts,
  type TraceHeader,
  type TraceHeaderInit,
  type TraceRecord,
} from './records.js';
import { headerToJson, parseHeaderObject, parseJsonObject, parseRecordObject, recordToJson } from './ndjson-codec.js';

export { NDJSON_FORMAT, NDJSON_VERSION } from './ndjson-codec.js';

const isBlank = (line: string): boolean => line.trim() === '';

export class NdjsonTraceReader implements AsyncIterable<TraceRecord> {
  private consumed = false;

  private constructor(
    private readonly lines: AsyncGenerator<[string, number]>,
    readonly header: TraceHeader,
  ) {}

  /** Reads up to and including the header line; records follow through iteration. */
  static async open(source: ByteSource): Promise<NdjsonTraceReader> {
    const lines = textLines(source);
    try {
      for (;;) {
        const next = await lines.next();
        if (next.done) throw new TraceFormatError('truncated', 'no header line: the input is empty', { line: 1 });
        const [text, line] = next.value;
        if (isBlank(text)) continue;
        return new NdjsonTraceReader(lines, parseHeaderObject(parseJsonObject(text, line), line));
      }
    } catch (error) {
      await lines.return(undefined);
      throw error;
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<TraceRecord> {
    if (this.consumed) throw new Error('a trace reader can be iterated only once');
    this.consumed = true;
    try {
      for (;;) {
        const next = await this.lines.next();
        if (next.done) return;
        const [text, line] = next.value;
        if (!isBlank(text)) yield parseRecordObject(parseJsonObject(text, line), line);
      }
    } finally {
      await this.lines.return(undefined);
    }
  }

  async close(): Promise<void> {
    await this.lines.return(undefined);
  }
}

/** Parses a whole NDJSON trace held in memory. */
export function parseNdjsonTrace(text: string): { header: TraceHeader; records: TraceRecord[] } {
  let header: TraceHeader | undefined;
  const records: TraceRecord[] = [];
  for (const [lineText, line] of splitLines(text)) {
    if (isBlank(lineText)) continue;
    const object = parseJsonObject(lineText, line);
    if (header === undefined) header = parseHeaderObject(object, line);
    else records.push(parseRecordObject(object, line));
  }
  if (header === undefined) throw new TraceFormatError('truncated', 'no header line: the input is empty', { line: 1 });
  return { header, records };
}

/** Header and all records from a stream or bytes (a file: readNdjsonTraceFile in trace/node). */
export async function readNdjsonTrace(source: ByteSource): Promise<{ header: TraceHeader; records: TraceRecord[] }> {
  const reader = await NdjsonTraceReader.open(source);
  const records: TraceRecord[] = [];
  for await (const record of reader) records.push(record);
  return { header: reader.header, records };
}

/** The NDJSON text of a trace, one line per object, ending in a newline. */
export function formatNdjsonTrace(header: TraceHeaderInit, records: Iterable<TraceRecord>): string {
  validateHeader(header);
  const lines = [headerToJson(header)];
  for (const record of records) {
    validateRecord(record);
    lines.push(recordToJson(record));
  }
  return lines.join('\n') + '\n';
}

export class NdjsonTraceWriter {
  private readonly counts = emptyCounts();
  private pending: string[] = [];
  private closed = false;

  private constructor(private readonly output: ByteOutput) {}

  static async open(destination: ByteDestination, header: TraceHeaderInit, options: { endStream?: boolean } = {}): Promise<NdjsonTraceWriter> {
    validateHeader(header);
    const output = new ByteOutput(destination, options.endStream ?? true);
    await output.write(headerToJson(header) + '\n');
    return new NdjsonTraceWriter(output);
  }

  async write(record: TraceRecord): Promise<void> {
    if (this.closed) throw new Error('write after close');
    validateRecord(record);
    this.pending.push(recordToJson(record));
    this.counts[record.type]++;
    // Batching lines keeps a stream write per ~hundreds of records, not per record.
    if (this.pending.length >= 256) await this.flush();
  }

  async writeAll(records: Iterable<TraceRecord> | AsyncIterable<TraceRecord>): Promise<void> {
    for await (const record of records) await this.write(record);
  }

  private async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const text = this.pending.join('\n') + '\n';
    this.pending = [];
    await this.output.write(text);
  }

  async close(): Promise<{ counts: RecordCounts; bytes: number }> {
    if (this.closed) throw new Error('trace writer already closed');
    this.closed = true;
    try {
      await this.flush();
      await this.output.close();
    } catch (error) {
      this.output.abort();
      throw error;
    }
    return { counts: { ...this.counts }, bytes: this.output.bytesWritten };
  }
}

export async function writeNdjsonTrace(
  destination: ByteDestination,
  header: TraceHeaderInit,
  records: Iterable<TraceRecord> | AsyncIterable<TraceRecord>,
): Promise<{ counts: RecordCounts; bytes: number }> {
  const writer = await NdjsonTraceWriter.open(destination, header);
  await writer.writeAll(records);
  return writer.close();
}
