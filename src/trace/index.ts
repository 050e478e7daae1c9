// Public surface of the trace layer.

export * from './records.js';
export { TraceFormatError, type TraceErrorKind } from './errors.js';
export type { ByteSource, ByteDestination } from './io.js';
export * from './binary/index.js';
export {
  NdjsonTraceReader,
  NdjsonTraceWriter,
  NDJSON_FORMAT,
  NDJSON_VERSION,
  formatNdjsonTrace,
  parseNdjsonTrace,
  readNdjsonTrace,
  writeNdjsonTrace,
} from './ndjson.js';
export {
  FtraceImporter,
  ftraceRecords,
  importFtrace,
  parseFtraceText,
  type FtraceImport,
  type FtraceImportOptions,
  type FtraceStats,
  type FtraceWarning,
} from './ftrace.js';
