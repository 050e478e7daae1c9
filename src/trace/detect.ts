// Tells the three trace forms apart by content, from the first bytes of a file, so
// `replay` takes whatever a user has without a flag: the binary form by its magic,
// NDJSON by a header object on its first line, Linux ftrace text by lines the
// ftrace grammar knows (a "# tracer:" banner, comments, event lines). What is none
// of them is refused with a hint, never read as an empty trace.
import { MAGIC } from './binary/layout.js';
import { NDJSON_FORMAT } from './ndjson-codec.js';
import { classifyNonEventLine, parseEventLine } from './ftrace-line.js';

export type TraceForm = 'binary' | 'ndjson' | 'ftrace';

export type Detection = { form: TraceForm } | { form: undefined; reason: string };

/** Bytes a caller should pass: enough for a header line or a screenful of ftrace text. */
export const DETECT_BYTES = 64 * 1024;

/** Lines of text looked at; one that ftrace's grammar knows is enough. */
const LINES_LOOKED_AT = 64;

const WHAT_IS_ACCEPTED =
  'replay takes a binary trace (iommu-wasm run --record), an NDJSON trace (first line {"format":"' +
  `${NDJSON_FORMAT}",...}) or Linux ftrace text with iommu:map/iommu:unmap events (the trace file of tracefs or trace-cmd report)`;

/** The form of a trace from its first bytes (up to DETECT_BYTES of them). */
export function detectTraceForm(head: Uint8Array): Detection {
  if (head.length === 0) return { form: undefined, reason: `the file is empty; ${WHAT_IS_ACCEPTED}` };
  if (head.length >= MAGIC.length && MAGIC.every((b, i) => head[i] === b)) return { form: 'binary' };
  if (head.length < MAGIC.length && MAGIC.subarray(0, head.length).every((b, i) => head[i] === b)) {
    return { form: undefined, reason: `the file is the start of a binary trace cut short (${head.length} bytes)` };
  }
  const text = asText(head);
  if (text === undefined) return { form: undefined, reason: `the file is not text and has no binary trace magic; ${WHAT_IS_ACCEPTED}` };
  const lines = text.split(/\r?\n/);
  // The last line of a cut-off head may be partial: look at it only if it is all there is.
  const whole = lines.length > 1 && head.length >= DETECT_BYTES ? lines.slice(0, -1) : lines;
  const first = whole.find((l) => l.trim() !== '');
  if (first === undefined) return { form: undefined, reason: `the file holds only blank lines; ${WHAT_IS_ACCEPTED}` };
  if (first.trimStart().startsWith('{')) {
    return isNdjsonHeader(first)
      ? { form: 'ndjson' }
      : { form: undefined, reason: `the first line is JSON but not an NDJSON trace header ({"format":"${NDJSON_FORMAT}","version":1,...})` };
  }
  for (const line of whole.slice(0, LINES_LOOKED_AT)) {
    if (parseEventLine(line) !== undefined) return { form: 'ftrace' };
    const kind = classifyNonEventLine(line).kind;
    if (kind === 'comment' || kind === 'preamble' || kind === 'lost') return { form: 'ftrace' };
  }
  return { form: undefined, reason: `the file is text, but neither an NDJSON trace nor ftrace output (no "# tracer" banner or event line in its first ${LINES_LOOKED_AT} lines); ${WHAT_IS_ACCEPTED}` };
}

/** UTF-8 text without control characters other than tab, CR and LF; undefined otherwise. */
function asText(bytes: Uint8Array): string | undefined {
  // A multi-byte character may be cut at the end of the head: drop up to 3 bytes of it.
  let end = bytes.length;
  for (let back = 0; back < 3 && end > 0 && (bytes[end - 1]! & 0xc0) === 0x80; back++) end--;
  if (end > 0 && bytes[end - 1]! >= 0xc0) end--;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, end));
  } catch {
    return undefined;
  }
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0x7f) return undefined;
  }
  return text;
}

function isNdjsonHeader(line: string): boolean {
  try {
    const value = JSON.parse(line) as unknown;
    return typeof value === 'object' && value !== null && (value as { format?: unknown }).format === NDJSON_FORMAT;
  } catch {
    return false;
  }
}
