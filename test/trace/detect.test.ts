// The trace form is told by content: replay takes whatever file a user has, and what
// is no trace at all (empty, random bytes, other text) is refused with the reason,
// never read as "0 records".
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DETECT_BYTES, detectTraceForm, formatNdjsonTrace, MAGIC } from '../../src/trace/index.js';
import { encodeHeader } from '../../src/trace/binary/header.js';

const text = (s: string) => new TextEncoder().encode(s);
const EVENT = '   kworker/u16:3-412     [002] ..... 12034.567890: map: IOMMU: iova=0x00000000fffc0000 - 0x00000000fffc1000 paddr=0x0000000112345000 size=4096';

describe('detectTraceForm', () => {
  it('knows the binary form by its magic', () => {
    expect(detectTraceForm(encodeHeader({ creator: 't', seed: 0n }))).toEqual({ form: 'binary' });
  });

  it('knows NDJSON by its header line, after blank lines too', () => {
    const nd = formatNdjsonTrace({ creator: 't', seed: 1n }, []);
    expect(detectTraceForm(text(nd))).toEqual({ form: 'ndjson' });
    expect(detectTraceForm(text(`\n  \n${nd}`))).toEqual({ form: 'ndjson' });
  });

  it.each([
    ['the tracefs banner', '# tracer: nop\n#\n'],
    ['a bare event line (trace_pipe)', `${EVENT}\n`],
    ['trace-cmd report preamble', 'cpus=4\n'],
    ['a lost-events marker first', 'CPU:2 [LOST 17 EVENTS]\n'],
    ['CRLF line ends', `# tracer: nop\r\n${EVENT}\r\n`],
  ])('knows ftrace text by %s', (_name, body) => {
    expect(detectTraceForm(text(body))).toEqual({ form: 'ftrace' });
  });

  it.each([
    ['an empty file', new Uint8Array(0), /empty/],
    ['only blank lines', text('\n\n  \n'), /only blank lines/],
    ['a binary trace cut inside its magic', MAGIC.subarray(0, 5), /cut short/],
    ['JSON that is not a trace header', text('{"format":"something-else"}\n'), /not an NDJSON trace header/],
    ['other text', text('hello world\nthis is not a trace\n'), /neither an NDJSON trace nor ftrace/],
    ['a NUL byte in text', text('# tracer: nop\n\0\n'), /not text/],
    ['invalid UTF-8', Uint8Array.of(0x23, 0x20, 0xff, 0xfe, 0x0a), /not text/],
  ])('refuses %s with the reason', (_name, bytes, reason) => {
    const d = detectTraceForm(bytes);
    expect(d.form).toBeUndefined();
    expect(d.form === undefined && d.reason).toMatch(reason);
  });

  it('a multi-byte character cut at the end of the head is still text', () => {
    const body = `# tracer: nop\n# ${'é'.repeat(DETECT_BYTES)}`;
    expect(detectTraceForm(text(body).subarray(0, DETECT_BYTES))).toEqual({ form: 'ftrace' });
  });

  it('random bytes never throw, and are a trace only when they start with the magic', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        const d = detectTraceForm(bytes);
        if (d.form === 'binary') expect(MAGIC.every((b, i) => bytes[i] === b)).toBe(true);
        if (d.form === undefined) expect(d.reason.length).toBeGreaterThan(0);
      }),
      { seed: 17, numRuns: 2000 },
    );
  });
});
