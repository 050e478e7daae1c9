// The grammar of one line of ftrace text output, as the kernel's trace and
// trace_pipe files print it and as `trace-cmd report` re-creates it:
//
//   <task>-<pid> [(<tgid>)] [<cpu>] [<irq/preempt flags>] <timestamp>: [<system>:]<event>: <printk text>
//
// and of the printk text of the iommu map and unmap events. Everything the
// importer accepts is described in docs/trace-format.md; nothing here is
// copied from the kernel, only matched against what it prints.

export interface EventLine {
  task: string;
  pid: number;
  cpu: number;
  /** Seconds.microseconds, or a raw counter for non-nanosecond trace clocks. */
  timestamp: string;
  /** Present when the tool printed "system:event" (perf-style); ftrace prints only the event. */
  system: string | undefined;
  event: string;
  /** The event's printk text, leading padding removed. */
  body: string;
}

// The task name may contain spaces and dashes (comm is free text), so it is
// everything up to the last "-<pid>" that is followed by the CPU column.
// Flags are 4 characters on older kernels and 5 since migrate-disable was
// added; they never start with a digit, which tells them from a timestamp.
//
// As one regular expression the grammar is
//
//   ^\s*(.+)-(\d+)\s+(?:\(\s*(?:\d+|-+)\)\s+)?\[(\d+)\]\s+(?:[^\s\d][^\s]{3,4}\s+)?(\d+(?:\.\d+)?):\s+(?:([A-Za-z_]\w*):)?([A-Za-z_]\w*):\s*(.*)$
//
// but a backtracking engine runs that in time quadratic in the line length where
// "\s*" and "(.+)", or "\s*" and "(.*)$", can share a run of whitespace (a line of
// 128 KiB of spaces took 10 s). parseEventLine finds the same match in linear time:
// it skips the leading whitespace once, tries the "-<pid> ... <event>:" part (which
// cannot run over another "-<digits>" of the line except in bounded places) at each
// dash from the last one back, and checks the body's "(.*)$" from precomputed
// positions of the characters "." does not match (test/trace/linear-text.test.ts
// holds the regular expression above as the oracle).
const LEADING_SPACE = /\s*/y;
const AFTER_TASK =
  /-(\d+)\s+(?:\(\s*(?:\d+|-+)\)\s+)?\[(\d+)\]\s+(?:[^\s\d][^\s]{3,4}\s+)?(\d+(?:\.\d+)?):\s+(?:([A-Za-z_]\w*):)?([A-Za-z_]\w*):/y;

/** The characters a regular expression's "." does not match. */
function isLineTerminator(code: number): boolean {
  return code === 0x0a || code === 0x0d || code === 0x2028 || code === 0x2029;
}

function skipSpace(line: string, from: number): number {
  LEADING_SPACE.lastIndex = from;
  LEADING_SPACE.exec(line);
  return LEADING_SPACE.lastIndex;
}

export function parseEventLine(line: string): EventLine | undefined {
  const lead = skipSpace(line, 0);
  // The task ("(.+)") cannot reach past the first line terminator after the leading
  // whitespace; the body ("(.*)$") must start after the last one.
  let taskLimit = lead;
  while (taskLimit < line.length && !isLineTerminator(line.charCodeAt(taskLimit))) taskLimit++;
  let lastTerminator = line.length - 1;
  while (lastTerminator >= 0 && !isLineTerminator(line.charCodeAt(lastTerminator))) lastTerminator--;
  // Longest task first, as the greedy "(.+)" tries them: a dash after at least one
  // character of the task, then, when the leading whitespace can give one back to an
  // empty-looking task, a dash right after it.
  for (let dash = line.lastIndexOf('-', taskLimit - 1); dash >= lead; dash = line.lastIndexOf('-', dash - 1)) {
    if (dash === lead && (lead === 0 || isLineTerminator(line.charCodeAt(lead - 1)))) break;
    AFTER_TASK.lastIndex = dash;
    const m = AFTER_TASK.exec(line);
    if (!m) continue;
    const bodyStart = skipSpace(line, AFTER_TASK.lastIndex);
    // A line terminator in the body fails every way of matching from this dash.
    if (bodyStart <= lastTerminator) continue;
    return {
      task: line.slice(lead, dash).trim(),
      pid: Number(m[1]),
      cpu: Number(m[2]),
      timestamp: m[3],
      system: m[4],
      event: m[5],
      body: line.slice(bodyStart),
    };
  }
  return undefined;
}

/** Lines the tools print around the events, which carry no event. */
const PREAMBLE_LINES = [
  /^cpus=\d+$/, // trace-cmd report
  /^version = \d+$/, // trace-cmd report
  /^CPU \d+ is empty$/, // trace-cmd report
  /^#{3,} CPU \d+ buffer started #{3,}$/, // trace file after an overrun
];
const LOST_EVENTS = /^CPU:?\s*\d+ \[LOST (\d+) EVENTS\]$/;

export type NonEventLine =
  | { kind: 'blank' }
  | { kind: 'comment' }
  | { kind: 'preamble' }
  | { kind: 'lost'; events: number }
  | { kind: 'unrecognized' };

export function classifyNonEventLine(line: string): NonEventLine {
  const text = line.trim();
  if (text === '') return { kind: 'blank' };
  if (text.startsWith('#')) return { kind: 'comment' };
  const lost = LOST_EVENTS.exec(text);
  if (lost) return { kind: 'lost', events: Number(lost[1]) };
  if (PREAMBLE_LINES.some((re) => re.test(text))) return { kind: 'preamble' };
  return { kind: 'unrecognized' };
}

/** A line that is not an event line but mentions a map/unmap event was damaged. */
export function looksLikeIommuEvent(line: string): boolean {
  return /\b(?:un)?map:\s*IOMMU:/.test(line);
}

export interface MapEvent {
  iova: bigint;
  paddr: bigint;
  size: bigint;
  /** Printed by kernels that predate the "start - end" range in the text. */
  legacy: boolean;
}

export interface UnmapEvent {
  iova: bigint;
  size: bigint;
  unmappedSize: bigint;
  legacy: boolean;
}

export type BodyParse<T> = { ok: true; event: T } | { ok: false; reason: string };

const U64_LIMIT = 1n << 64n;
const HEX = '0x([0-9a-fA-F]+)';
const DEC = '(\\d+)';

// Anchored at the start only: what is left after the last field is checked
// separately so that "garbage after the fields" gets its own message.
const MAP_RANGE = new RegExp(`^IOMMU: iova=${HEX} - ${HEX} paddr=${HEX} size=${DEC}`);
const MAP_LEGACY = new RegExp(`^IOMMU: iova=${HEX} paddr=${HEX} size=${DEC}`);
const UNMAP_RANGE = new RegExp(`^IOMMU: iova=${HEX} - ${HEX} size=${DEC} unmapped_size=${DEC}`);
const UNMAP_LEGACY = new RegExp(`^IOMMU: iova=${HEX} size=${DEC} unmapped_size=${DEC}`);

const MAP_SHAPE = '"IOMMU: iova=0x<start> - 0x<end> paddr=0x<paddr> size=<bytes>"';
const UNMAP_SHAPE = '"IOMMU: iova=0x<start> - 0x<end> size=<bytes> unmapped_size=<bytes>"';

class FieldError extends Error {}

function hexField(text: string, name: string): bigint {
  if (text.length > 16) throw new FieldError(`${name}=0x${text} has more than 64 bits`);
  return BigInt(`0x${text}`);
}

function decField(text: string, name: string): bigint {
  const value = BigInt(text);
  if (value >= U64_LIMIT) throw new FieldError(`${name}=${text} does not fit in 64 bits`);
  return value;
}

function trailingGarbage(body: string, matched: string): string | undefined {
  const rest = body.slice(matched.length);
  return rest.trim() === '' ? undefined : `unexpected text after the last field: ${JSON.stringify(rest.trim())}`;
}

/**
 * The kernel prints the end as start + size computed in 64 bits, so the pair
 * must agree exactly; when it does not, the line was damaged or edited.
 */
function rangeProblem(start: bigint, end: bigint, size: bigint): string | undefined {
  const printedEnd = (start + size) % U64_LIMIT;
  if (end !== printedEnd) {
    if (end < start) return `range end 0x${end.toString(16)} is before its start 0x${start.toString(16)}`;
    return `size=${size} does not match the range length ${end - start}`;
  }
  // A range ending exactly at 2^64 prints as end 0 and is fine; beyond, it wrapped.
  if (start + size > U64_LIMIT) return 'the range wraps past 2^64';
  return undefined;
}

function attempt<T>(fn: () => BodyParse<T>): BodyParse<T> {
  try {
    return fn();
  } catch (error) {
    if (error instanceof FieldError) return { ok: false, reason: error.message };
    throw error;
  }
}

export function parseMapBody(body: string): BodyParse<MapEvent> {
  return attempt<MapEvent>(() => {
    const range = MAP_RANGE.exec(body);
    if (range) {
      const iova = hexField(range[1], 'iova');
      const end = hexField(range[2], 'end');
      const paddr = hexField(range[3], 'paddr');
      const size = decField(range[4], 'size');
      const problem = trailingGarbage(body, range[0]) ?? rangeProblem(iova, end, size);
      return problem ? { ok: false, reason: problem } : { ok: true, event: { iova, paddr, size, legacy: false } };
    }
    const legacy = MAP_LEGACY.exec(body);
    if (legacy) {
      const iova = hexField(legacy[1], 'iova');
      const paddr = hexField(legacy[2], 'paddr');
      const size = decField(legacy[3], 'size');
      const problem = trailingGarbage(body, legacy[0]) ?? (iova + size > U64_LIMIT ? 'the range wraps past 2^64' : undefined);
      return problem ? { ok: false, reason: problem } : { ok: true, event: { iova, paddr, size, legacy: true } };
    }
    return { ok: false, reason: `map event text does not have the form ${MAP_SHAPE}` };
  });
}

export function parseUnmapBody(body: string): BodyParse<UnmapEvent> {
  return attempt<UnmapEvent>(() => {
    const range = UNMAP_RANGE.exec(body);
    if (range) {
      const iova = hexField(range[1], 'iova');
      const end = hexField(range[2], 'end');
      const size = decField(range[3], 'size');
      const unmappedSize = decField(range[4], 'unmapped_size');
      const problem = trailingGarbage(body, range[0]) ?? rangeProblem(iova, end, size);
      return problem ? { ok: false, reason: problem } : { ok: true, event: { iova, size, unmappedSize, legacy: false } };
    }
    const legacy = UNMAP_LEGACY.exec(body);
    if (legacy) {
      const iova = hexField(legacy[1], 'iova');
      const size = decField(legacy[2], 'size');
      const unmappedSize = decField(legacy[3], 'unmapped_size');
      const problem = trailingGarbage(body, legacy[0]) ?? (iova + size > U64_LIMIT ? 'the range wraps past 2^64' : undefined);
      return problem ? { ok: false, reason: problem } : { ok: true, event: { iova, size, unmappedSize, legacy: true } };
    }
    return { ok: false, reason: `unmap event text does not have the form ${UNMAP_SHAPE}` };
  });
}
