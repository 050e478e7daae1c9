import fc from 'fast-check';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { TraceFormatError } from '../../src/trace/errors.js';
import {
  NdjsonTraceReader,
  formatNdjsonTrace,
  parseNdjsonTrace,
  readNdjsonTrace,
} from '../../src/trace/ndjson.js';
import { readNdjsonTraceFile, writeNdjsonTraceFile } from '../../src/trace/node.js';
import type { TraceRecord } from '../../src/trace/records.js';
import { headerArb, recordSequenceArb } from './arbitraries.js';
import { mapUnmapTrace } from './workloads.js';

const HEADER_LINE = '{"type":"header","format":"iommu-wasm-trace","version":1,"creator":"hand","seed":"0"}';

function parseError(text: string): TraceFormatError {
  try {
    parseNdjsonTrace(text);
  } catch (error) {
    if (error instanceof TraceFormatError) return error;
    throw error;
  }
  throw new Error('parsed without error');
}

describe('NDJSON traces', () => {
  it('round-trips any record sequence and header, in memory and through a stream', async () => {
    await fc.assert(
      fc.asyncProperty(headerArb, recordSequenceArb, fc.integer({ min: 1, max: 50 }), async (header, records, piece) => {
        const text = formatNdjsonTrace(header, records);
        expect(parseNdjsonTrace(text)).toEqual({ header: { version: 1, ...header }, records });
        const pieces: Buffer[] = [];
        const bytes = Buffer.from(text);
        for (let i = 0; i < bytes.length; i += piece) pieces.push(bytes.subarray(i, i + piece));
        expect(await readNdjsonTrace(Readable.from(pieces))).toEqual({ header: { version: 1, ...header }, records });
      }),
      { numRuns: 200 },
    );
  });

  it('writes one readable object per line', () => {
    const text = formatNdjsonTrace({ creator: 'doc', seed: 42n, metadata: { nic: 'igb' } }, [
      { type: 'map', space: 1, iova: 0x10_0000n, addr: 0x8_0000_0000n, length: 8192n, perms: 3 },
      { type: 'dma', device: 2, pasid: 5, iova: 0x10_0040n, length: 64n, access: 'write' },
      { type: 'invalidate', kind: 'range', space: 1, iova: 0x10_0000n, length: 8192n, leafOnly: true },
      { type: 'unmap', space: 1, iova: 0x10_0000n, length: 8192n },
      { type: 'invalidate', kind: 'all' },
    ]);
    expect(text.split('\n')).toEqual([
      '{"type":"header","format":"iommu-wasm-trace","version":1,"creator":"doc","seed":"0x2a","metadata":{"nic":"igb"}}',
      '{"type":"map","space":1,"iova":"0x100000","addr":"0x800000000","length":"8192","perms":"rw"}',
      '{"type":"dma","device":2,"pasid":5,"iova":"0x100040","length":"64","access":"write"}',
      '{"type":"invalidate","kind":"range","space":1,"iova":"0x100000","length":"8192","leafOnly":true}',
      '{"type":"unmap","space":1,"iova":"0x100000","length":"8192"}',
      '{"type":"invalidate","kind":"all"}',
      '',
    ]);
  });

  it('accepts decimal and hex strings, exact JSON numbers, CRLF and blank lines', () => {
    const text = [
      HEADER_LINE,
      '',
      '{"type":"dma","device":0,"iova":"4096","length":64,"access":"read"}\r',
      '{"type":"map","space":3,"iova":"0X1000","addr":"0xFFFFFFFFFFFFFFFF","length":"0x1","perms":""}',
    ].join('\n');
    expect(parseNdjsonTrace(text).records).toEqual([
      { type: 'dma', device: 0, iova: 4096n, length: 64n, access: 'read' },
      { type: 'map', space: 3, iova: 0x1000n, addr: 0xffff_ffff_ffff_ffffn, length: 1n, perms: 0 },
    ]);
  });

  it.each([
    ['not JSON', '{"type":"dma",', /not valid JSON/],
    ['not an object', '[1,2]', /must be a JSON object/],
    ['unknown type', '{"type":"flush"}', /"type" must be one of/],
    ['missing field', '{"type":"unmap","space":1,"iova":"0x0"}', /unmap: missing "length"/],
    ['unknown field', '{"type":"invalidate","kind":"all","space":1}', /unknown field "space"/],
    ['typo in a field', '{"type":"unmap","space":1,"iova":"0x0","lenght":"1","length":"1"}', /unknown field "lenght"/],
    ['inexact number', '{"type":"unmap","space":1,"iova":18446744073709551615,"length":"1"}', /"iova" must be/],
    ['negative', '{"type":"unmap","space":1,"iova":"-1","length":"1"}', /"iova" must be/],
    ['2^64', '{"type":"unmap","space":1,"iova":"0x10000000000000000","length":"1"}', /"iova" must be/],
    ['range past 2^64', '{"type":"unmap","space":1,"iova":"0xffffffffffffffff","length":"2"}', /exceeds 2\^64/],
    ['fractional id', '{"type":"unmap","space":1.5,"iova":"0","length":"1"}', /"space" must be an integer/],
    ['bad perms', '{"type":"map","space":1,"iova":"0","addr":"0","length":"1","perms":"rr"}', /"perms" must be distinct letters/],
    ['bad access', '{"type":"dma","device":1,"iova":"0","length":"1","access":"rw"}', /"access" must be one of/],
    ['second header', HEADER_LINE, /header may only appear on the first line/],
  ])('rejects %s with its line number', (_name, bad, message) => {
    const error = parseError([HEADER_LINE, '{"type":"invalidate","kind":"all"}', bad, '{"type":"invalidate","kind":"all"}'].join('\n'));
    expect(error.line).toBe(3);
    expect(error.message).toMatch(message);
    expect(error.message).toMatch(/at line 3/);
  });

  it('requires the header first, with the right format and version', () => {
    expect(parseError('').kind).toBe('truncated');
    expect(parseError('{"type":"invalidate","kind":"all"}').message).toMatch(/first line must be the header/);
    expect(parseError(HEADER_LINE.replace('iommu-wasm-trace', 'other')).message).toMatch(/"format"/);
    const v2 = parseError(HEADER_LINE.replace('"version":1', '"version":2'));
    expect(v2.kind).toBe('unsupported-version');
    expect(v2.line).toBe(1);
  });

  it('reports line numbers from the streaming reader too', async () => {
    const reader = await NdjsonTraceReader.open(Readable.from([`${HEADER_LINE}\n\n{"type":"dma"}\n`]));
    const records: TraceRecord[] = [];
    const error = await (async () => {
      for await (const r of reader) records.push(r);
    })().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TraceFormatError);
    expect((error as TraceFormatError).line).toBe(3);
  });

  it('writes to and reads from a file path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ndjson-'));
    try {
      const path = join(dir, 't.ndjson');
      const records = [...mapUnmapTrace(1000)];
      const summary = await writeNdjsonTraceFile(path, { creator: 'file', seed: 3n }, records);
      expect(summary.counts.map).toBe(1000);
      expect((await readFile(path, 'utf8')).split('\n').length).toBe(4000 + 2);
      expect((await readNdjsonTraceFile(path)).records).toEqual(records);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
