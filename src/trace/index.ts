// Public surface of the trace layer: decoding and encoding over bytes and streams,
// without a Node module (it runs in a browser). Files: trace/node.ts
// (`iommu-wasm/trace/node`).

export * from './records.js';
export { TraceFormatError, type TraceErrorKind } from './errors.js';
export type { ByteChunk, ByteSource, ByteDestination, WritableLike } from './io.js';
export { MAX_TEXT_LINE_LENGTH } from './io.js';
export { DETECT_BYTES, detectTraceForm, type Detection, type TraceForm } from './detect.js';
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
