export { BinaryTraceReader, readBinaryTrace } from './reader.js';
export { BinaryTraceWriter, encodeBinaryTrace, writeBinaryTrace } from './writer.js';
export type { BinaryWriterOptions, TraceSummary } from './writer.js';
export type { TraceTrailer } from './trailer.js';
export { VERSION_MAJOR, VERSION_MINOR, MAGIC } from './layout.js';
