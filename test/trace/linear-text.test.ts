// Regression (issue 17, defect 4): the ftrace line parser was quadratic on whitespace
// (128 KiB of spaces in one line: 10 s) and the streaming text reader quadratic in line
// length (one 32 MiB line: 56 s). Both are linear now, and a line longer than
// MAX_TEXT_LINE_LENGTH is refused with a TraceFormatError instead of being buffered
// without end.
//
// Sizes are chosen so that the quadratic versions take minutes (measured before the
// fix: 64 KiB of spaces 6.4 s, so 512 KiB about 400 s; a 1 MiB line in 256-byte
// chunks 12.5 s, so 3 MiB about 110 s) while the linear ones take milliseconds; the
// per-test timeouts sit between the two, orders of magnitude from each.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TraceFormatError } from '../../src/trace/errors.js';
import { FtraceImporter, importFtrace, parseFtraceText } from '../../src/trace/ftrace.js';
import { parseEventLine } from '../../src/trace/ftrace-line.js';
import { MAX_TEXT_LINE_LENGTH } from '../../src/trace/io.js';
import { parseNdjsonTrace, readNdjsonTrace } from '../../src/trace/ndjson.js';

const TIMEOUT = 15_000;
const BIG = 512 * 1024;
const MAP_BODY = 'IOMMU: iova=0x00000000fffc0000 - 0x00000000fffc1000 paddr=0x0000000112345000 size=4096';
const MAP_LINE = `   kworker/u16:3-412     [002] ..... 12034.567890: map: ${MAP_BODY}`;

/** The event-line grammar as one regular expression, as it was before the fix: the oracle. */
const OLD_EVENT_LINE =
  /^\s*(.+)-(\d+)\s+(?:\(\s*(?:\d+|-+)\)\s+)?\[(\d+)\]\s+(?:[^\s\d][^\s]{3,4}\s+)?(\d+(?:\.\d+)?):\s+(?:([A-Za-z_]\w*):)?([A-Za-z_]\w*):\s*(.*)$/;

function oldParse(line: string) {
  const m = OLD_EVENT_LINE.exec(line);
  if (!m) return undefined;
  return { task: m[1]!.trim(), pid: Number(m[2]), cpu: Number(m[3]), timestamp: m[4], system: m[5], event: m[6], body: m[7] };
}

/** Chunks of `text` of `size` characters each, as UTF-8 bytes. */
function* chunks(text: string, size: number): Generator<Uint8Array> {
  const encoder = new TextEncoder();
  for (let at = 0; at < text.length; at += size) yield encoder.encode(text.slice(at, at + size));
}

/** An endless run of 'a' without a newline, 1 MiB a chunk; counts the chunks taken and refuses to go past 32 MiB. */
function endlessLine(): { source: Iterable<Uint8Array>; taken(): number } {
  let taken = 0;
  const chunk = new Uint8Array(1 << 20).fill(0x61);
  return {
    source: {
      *[Symbol.iterator]() {
        for (;;) {
          if (++taken > 32) throw new Error('the reader buffered 32 MiB of one line without refusing it');
          yield chunk;
        }
      },
    },
    taken: () => taken,
  };
}

async function rejection(promise: Promise<unknown>): Promise<TraceFormatError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(TraceFormatError);
  return error as TraceFormatError;
}

describe('ftrace line parser: linear in the line length', () => {
  const pad = ' '.repeat(BIG);
  it.each([
    ['only spaces', pad, 'blank'],
    ['only tabs', '\t'.repeat(BIG), 'blank'],
    ['spaces, then a word', `${pad}x`, 'unrecognized'],
    ['a word, then spaces', `x${pad}`, 'unrecognized'],
    ['spaces around a task-pid', `${pad}a-1${pad}x`, 'unrecognized'],
    ['spaces before a line separator', `${pad}\u2028x`, 'unrecognized'],
    // "\s" takes in a line separator, "." does not: an event whose body is only spacing is an event.
    ['an event whose body is spaces and a line separator', `a-1 [000] 1.0: map:${pad}\u2028`, 'malformed'],
    ['an event whose body is spaces, a long word and a line separator', `a-1 [000] 1.0: map:${pad}${'x'.repeat(BIG)}\u2028y`, 'unrecognized'],
    ['many event prefixes and a line separator at the end', `${'a-1 [000] 1.0: e: '.repeat(BIG / 18)}x\u2028y`, 'unrecognized'],
    ['dashes', '-'.repeat(BIG), 'unrecognized'],
    ['task-pid pairs', 'a-1 '.repeat(BIG / 4), 'unrecognized'],
    ['a tgid of dashes', `a-1 (${'-'.repeat(BIG)}`, 'unrecognized'],
    ['map: and spaces', `map:${pad}x`, 'unrecognized'],
    ['a map event padded with spaces', `${pad}kworker-1 [000] 1.0: map:${pad}${MAP_BODY}${pad}`, 'map'],
  ])('%s', (_name, line, bucket) => {
    const importer = new FtraceImporter();
    const record = importer.line(line, 1);
    const { records, ignored } = importer.stats;
    const counts: Record<string, number> = { map: records.map, unmap: records.unmap, ...ignored, malformed: importer.stats.malformed };
    expect(counts[bucket]).toBe(1);
    expect(record?.type).toBe(bucket === 'map' ? 'map' : undefined);
  }, TIMEOUT);

  it('reads every line exactly as the single regular expression did', () => {
    const token = fc.constantFrom(
      ' ', '  ', '\t', '\r', '\u2028', '\u00a0', '-', '--', '1', '42', '0.5', '(', ')', '(7)', '(-----)', '[', ']', '[002]',
      '.....', 'd.h2.', 'dnh1', ':', 'map', 'iommu', 'iommu:', 'map:', 'unmap:', 'x', 'Web Content', 'kworker/u16:3', MAP_BODY,
    );
    const line = fc.oneof(
      fc.array(token, { maxLength: 24 }).map((t) => t.join('')),
      fc.tuple(fc.nat({ max: MAP_LINE.length }), fc.array(token, { maxLength: 3 })).map(([at, t]) => MAP_LINE.slice(0, at) + t.join('') + MAP_LINE.slice(at + 1)),
      fc.string({ maxLength: 60 }),
    );
    fc.assert(
      fc.property(line, (text) => {
        expect(parseEventLine(text)).toEqual(oldParse(text));
      }),
      { numRuns: 20_000 },
    );
    for (const text of [MAP_LINE, ` -5 [000] 1.0: map: ${MAP_BODY}`, `-5 [000] 1.0: map: x`, `\r -5 [000] 1.0: map: x`, ` \r-5 [000] 1.0: map: x`, `a-1 [000] 1.0: map:\r\u2028 x`]) {
      expect(parseEventLine(text)).toEqual(oldParse(text));
    }
  });
});

describe('streaming text reader: linear in the line length', () => {
  const LONG = 3 * 1024 * 1024;

  it('imports ftrace text with a 3 MiB line arriving in 256-byte chunks', async () => {
    const text = `${'x'.repeat(LONG)}\n${MAP_LINE}\r\n`;
    const { stats, records } = await importFtrace(chunks(text, 256));
    expect(stats.lines).toBe(2);
    expect(stats.ignored.unrecognized).toBe(1);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ type: 'map', iova: 0xfffc_0000n, length: 4096n });
  }, TIMEOUT);

  it('reads an NDJSON trace with a 3 MiB header line arriving in 256-byte chunks', async () => {
    const header = JSON.stringify({ type: 'header', format: 'iommu-wasm-trace', version: 1, creator: 'long', seed: '0x1', metadata: { note: 'n'.repeat(LONG) } });
    const text = `${header}\n{"type":"invalidate","kind":"all"}\n`;
    const trace = await readNdjsonTrace(chunks(text, 256));
    expect((trace.header.metadata as { note: string }).note).toHaveLength(LONG);
    expect(trace.records).toEqual([{ type: 'invalidate', kind: 'all' }]);
  }, TIMEOUT);
});

describe('line length limit', () => {
  it('is documented as 4 MiB of text', () => {
    expect(MAX_TEXT_LINE_LENGTH).toBe(4 * 1024 * 1024);
  });

  it('refuses an endless ftrace line with its line number after reading little more than the limit', async () => {
    const endless = endlessLine();
    const error = await rejection(importFtrace((function* () { yield new TextEncoder().encode(`${MAP_LINE}\n`); yield* endless.source; })()));
    expect(error.kind).toBe('invalid-line');
    expect(error.line).toBe(2);
    expect(error.message).toMatch(/longer than 4194304 characters/);
    expect(endless.taken()).toBeLessThanOrEqual(MAX_TEXT_LINE_LENGTH / (1 << 20) + 1);
  }, TIMEOUT);

  it('refuses an endless NDJSON line the same way', async () => {
    const endless = endlessLine();
    const error = await rejection(readNdjsonTrace(endless.source));
    expect(error.kind).toBe('invalid-line');
    expect(error.line).toBe(1);
    expect(endless.taken()).toBeLessThanOrEqual(MAX_TEXT_LINE_LENGTH / (1 << 20) + 1);
  }, TIMEOUT);

  it('accepts a line of exactly the limit (CR LF or LF), refuses one character more, in memory and streamed', async () => {
    const atLimit = 'y'.repeat(MAX_TEXT_LINE_LENGTH);
    for (const text of [`${atLimit}\n${MAP_LINE}`, `${atLimit}\r\n${MAP_LINE}`, atLimit, `${atLimit}\r`]) {
      const lines = text.includes('\n') ? 2 : 1;
      expect(parseFtraceText(text).stats.lines).toBe(lines);
      expect((await importFtrace(chunks(text, 1 << 16))).stats.lines).toBe(lines);
    }
    const over = `${MAP_LINE}\n${atLimit}y\r\n${MAP_LINE}`;
    expect(() => parseFtraceText(over)).toThrow(TraceFormatError);
    expect(() => parseFtraceText(over)).toThrow(/longer than 4194304 characters.*at line 2/);
    expect((await rejection(importFtrace(chunks(over, 1 << 16)))).line).toBe(2);
    expect(() => parseNdjsonTrace(`${atLimit}y`)).toThrow(/longer than 4194304 characters/);
  }, TIMEOUT);
});
