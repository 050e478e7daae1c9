// Sample lines are written from the event definitions (see docs/trace-format.md):
// the map event prints "IOMMU: iova=0x%016llx - 0x%016llx paddr=0x%016llx size=%zu"
// with end = iova + size, the unmap event "... size=%zu unmapped_size=%zu"; the
// prefix is "%16s-%-7d [%03d] <flags> %5lu.%06lu: <event>: " in current kernels
// (pid width 5 and 4 flag characters in older ones).

import fc from 'fast-check';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { encodeBinaryTrace } from '../../src/trace/binary/index.js';
import { TraceFormatError } from '../../src/trace/errors.js';
import { FtraceImporter, ftraceRecords, importFtrace, parseFtraceText } from '../../src/trace/ftrace.js';
import type { TraceRecord } from '../../src/trace/records.js';
import { readAll } from './helpers.js';

const h16 = (v: bigint): string => v.toString(16).padStart(16, '0');
const end = (iova: bigint, size: bigint): bigint => (iova + size) % (1n << 64n);

function mapText(iova: bigint, paddr: bigint, size: bigint): string {
  return `IOMMU: iova=0x${h16(iova)} - 0x${h16(end(iova, size))} paddr=0x${h16(paddr)} size=${size}`;
}
function unmapText(iova: bigint, size: bigint, unmapped = size): string {
  return `IOMMU: iova=0x${h16(iova)} - 0x${h16(end(iova, size))} size=${size} unmapped_size=${unmapped}`;
}

/** The kernel's trace / trace_pipe prefix (5.14+: 7-wide pid, 5 flag characters). */
function pipeLine(task: string, pid: number, cpu: number, ts: string, event: string, body: string, flags = '.....'): string {
  return `${task.padStart(16)}-${String(pid).padEnd(7)} [${String(cpu).padStart(3, '0')}] ${flags} ${ts.padStart(12)}: ${event}: ${body}`;
}

/** trace-cmd report's layout: event name padded into a column, no flags by default. */
function reportLine(task: string, pid: number, cpu: number, ts: string, event: string, body: string): string {
  return `${task.padStart(16)}-${String(pid).padEnd(5)} [${String(cpu).padStart(3, '0')}] ${ts.padStart(12)}: ${(event + ':').padEnd(20)} ${body}`;
}

const TRACE_PIPE_SAMPLE = [
  '# tracer: nop',
  '#',
  '# entries-in-buffer/entries-written: 6/6   #P:8',
  '#',
  '#                                _-----=> irqs-off/BH-disabled',
  '#                               / _----=> need-resched',
  '#                              | / _---=> hardirq/softirq',
  '#                              || / _--=> preempt-depth',
  '#                              ||| / _-=> migrate-disable',
  '#                              |||| /     delay',
  '#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION',
  '#              | |         |   |||||     |         |',
  '   kworker/u16:3-412     [002] ..... 12034.567890: map: IOMMU: iova=0x00000000fffc0000 - 0x00000000fffc1000 paddr=0x0000000112345000 size=4096',
  '          <idle>-0       [000] d.h2. 12034.567895: io_page_fault: IOMMU:intel-iommu 0000:00:02.0 iova=0x0000000000001000 flags=0x0000',
  '     Web Content-4321    [001] ...1. 12034.567900: map: IOMMU: iova=0x00000000ff000000 - 0x00000000ff200000 paddr=0x0000000200000000 size=2097152',
  '   kworker/u16:3-412     [002] ..... 12034.567912: unmap: IOMMU: iova=0x00000000fffc0000 - 0x00000000fffc1000 size=4096 unmapped_size=4096',
  '     Web Content-4321    [001] ..... 12034.568000: unmap: IOMMU: iova=0x00000000ff000000 - 0x00000000ff200000 size=2097152 unmapped_size=2097152',
  '          <idle>-0       [000] d.h2. 12034.568001: attach_device_to_domain: IOMMU: device=0000:00:02.0',
].join('\n');

const EXPECTED_PIPE_RECORDS: TraceRecord[] = [
  { type: 'map', space: 0, iova: 0xfffc_0000n, addr: 0x1_1234_5000n, length: 4096n, perms: 3 },
  { type: 'map', space: 0, iova: 0xff00_0000n, addr: 0x2_0000_0000n, length: 0x20_0000n, perms: 3 },
  { type: 'unmap', space: 0, iova: 0xfffc_0000n, length: 4096n },
  { type: 'unmap', space: 0, iova: 0xff00_0000n, length: 0x20_0000n },
];

const TRACE_CMD_SAMPLE = [
  'version = 6',
  'CPU 0 is empty',
  'CPU 3 is empty',
  'cpus=4',
  '             fio-2231  [001]   100.000001: map:                 IOMMU: iova=0x00000000fffff000 - 0x0000000100000000 paddr=0x00000001a2b3c000 size=4096',
  '             fio-2231  [001]   100.000007: sched_switch:        fio:2231 [120] S ==> swapper/1:0 [120]',
  '     irq/35-nvme-812   [003]   100.000010: unmap:               IOMMU: iova=0x00000000fffff000 - 0x0000000100000000 size=4096 unmapped_size=4096',
].join('\n');

describe('ftrace import', () => {
  it('reads trace_pipe/trace output and counts what it ignores', () => {
    const result = parseFtraceText(TRACE_PIPE_SAMPLE);
    expect(result.records).toEqual(EXPECTED_PIPE_RECORDS);
    expect(result.warnings).toEqual([]);
    expect(result.stats).toMatchObject({
      lines: 18,
      records: { map: 2, unmap: 2 },
      ignored: { blank: 0, comments: 12, preamble: 0, otherEvents: 2, unrecognized: 0, lostNotices: 0 },
      malformed: 0,
      legacyFormat: 0,
      partialUnmaps: 0,
      firstTimestamp: '12034.567890',
      lastTimestamp: '12034.568000',
    });
  });

  it('reads trace-cmd report output', () => {
    const result = parseFtraceText(TRACE_CMD_SAMPLE);
    expect(result.records).toEqual([
      { type: 'map', space: 0, iova: 0xffff_f000n, addr: 0x1_a2b3_c000n, length: 4096n, perms: 3 },
      { type: 'unmap', space: 0, iova: 0xffff_f000n, length: 4096n },
    ]);
    expect(result.stats.ignored).toEqual({ blank: 0, comments: 0, preamble: 4, otherEvents: 1, unrecognized: 0, lostNotices: 0 });
    expect(result.warnings).toEqual([]);
  });

  it('reads older kernels: 5-wide pid, 4 flag characters, tgid column, text without the range', () => {
    const text = [
      '          nvme0q3-812   [003] d..1   345.123456: map: IOMMU: iova=0x00000000ffffe000 paddr=0x0000000456789000 size=8192',
      '             fio-2231  (  2229) [001] ....   345.200000: unmap: IOMMU: iova=0x00000000ffffe000 size=8192 unmapped_size=4096',
      '             fio-2231  (-------) [001] ....   345.300000: iommu:map: IOMMU: iova=0x0000000000010000 - 0x0000000000011000 paddr=0x0000000000020000 size=4096',
    ].join('\n');
    const result = parseFtraceText(text);
    expect(result.records).toEqual([
      { type: 'map', space: 0, iova: 0xffff_e000n, addr: 0x4_5678_9000n, length: 8192n, perms: 3 },
      { type: 'unmap', space: 0, iova: 0xffff_e000n, length: 8192n },
      { type: 'map', space: 0, iova: 0x1_0000n, addr: 0x2_0000n, length: 4096n, perms: 3 },
    ]);
    expect(result.stats.legacyFormat).toBe(2);
    expect(result.stats.partialUnmaps).toBe(1);
  });

  it('uses the unmapped size, the space and the permissions it is told to', () => {
    const line = pipeLine('fio', 7, 0, '1.000000', 'unmap', unmapText(0x20_0000n, 0x1000n, 0x20_0000n));
    const mapLine = pipeLine('fio', 7, 0, '1.000001', 'map', mapText(0x20_0000n, 0x30_0000n, 0x1000n));
    const result = parseFtraceText(`${line}\n${mapLine}\n`, { unmapLength: 'unmapped', space: 9, perms: 1 });
    expect(result.records).toEqual([
      { type: 'unmap', space: 9, iova: 0x20_0000n, length: 0x20_0000n },
      { type: 'map', space: 9, iova: 0x20_0000n, addr: 0x30_0000n, length: 0x1000n, perms: 1 },
    ]);
    expect(result.header.metadata).toMatchObject({ space: 9, perms: 1, unmapLength: 'unmapped' });
  });

  it('accepts a range that ends exactly at 2^64 (printed end 0)', () => {
    const line = pipeLine('t', 1, 0, '1.0', 'map', mapText(0xffff_ffff_ffff_f000n, 0x1000n, 0x1000n));
    expect(line).toContain('- 0x0000000000000000');
    expect(parseFtraceText(line).records).toEqual([
      { type: 'map', space: 0, iova: 0xffff_ffff_ffff_f000n, addr: 0x1000n, length: 0x1000n, perms: 3 },
    ]);
  });

  const prefix = '        kworker/0:1-99      [000] ..... 5.000000: ';
  const malformed: [string, string, RegExp][] = [
    ['end before start', 'map: IOMMU: iova=0x0000000000002000 - 0x0000000000001000 paddr=0x0000000000005000 size=4096', /before its start/],
    ['size not matching the range', 'map: IOMMU: iova=0x0000000000001000 - 0x0000000000003000 paddr=0x0000000000005000 size=4096', /size=4096 does not match the range length 8192/],
    ['unmap size not matching', 'unmap: IOMMU: iova=0x0000000000001000 - 0x0000000000002000 size=8192 unmapped_size=8192', /does not match/],
    ['garbage after the fields', 'map: IOMMU: iova=0x0000000000001000 - 0x0000000000002000 paddr=0x0000000000005000 size=4096 extra=1', /unexpected text after the last field: "extra=1"/],
    ['garbage glued to a number', 'unmap: IOMMU: iova=0x0000000000001000 - 0x0000000000002000 size=4096 unmapped_size=4096kB', /unexpected text.*"kB"/],
    ['an address over 64 bits', 'map: IOMMU: iova=0x10000000000001000 - 0x0000000000002000 paddr=0x0000000000005000 size=4096', /more than 64 bits/],
    ['a size over 64 bits', 'unmap: IOMMU: iova=0x0000000000001000 size=18446744073709551616 unmapped_size=0', /does not fit in 64 bits/],
    ['a wrapped range', 'map: IOMMU: iova=0xfffffffffffff000 - 0x0000000000001000 paddr=0x0000000000005000 size=8192', /wraps past 2\^64/],
    ['a missing field', 'map: IOMMU: iova=0x0000000000001000 - 0x0000000000002000 size=4096', /does not have the form/],
    ['a truncated line', 'unmap: IOMMU: iova=0x0000000000001000 - 0x00000000000', /does not have the form/],
    ['a hex size', 'map: IOMMU: iova=0x0000000000001000 - 0x0000000000002000 paddr=0x0000000000005000 size=0x1000', /unexpected text|does not match/],
  ];

  it.each(malformed)('skips and reports %s with its line number', (_name, event, reason) => {
    const lines = ['# comment', prefix + event, TRACE_PIPE_SAMPLE.split('\n')[12]].join('\n');
    const result = parseFtraceText(lines);
    expect(result.records).toHaveLength(1);
    expect(result.stats.malformed).toBe(1);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0].line).toBe(2);
    expect(result.warnings[0].message).toMatch(reason);
    expect(result.warnings[0].text).toBe(prefix + event);
  });

  it.each(malformed)('rejects %s in strict mode with its line number', (_name, event) => {
    const lines = ['# comment', TRACE_PIPE_SAMPLE.split('\n')[12], prefix + event].join('\n');
    let error: unknown;
    try {
      parseFtraceText(lines, { strict: true });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TraceFormatError);
    expect((error as TraceFormatError).line).toBe(3);
    expect((error as TraceFormatError).message).toMatch(/at line 3/);
  });

  it('reports a map/unmap line whose prefix is damaged instead of ignoring it', () => {
    const line = '        kworker/0:1-99      [00x] ..... 5.000000: map: IOMMU: iova=0x0000000000001000 - 0x0000000000002000 paddr=0x0000000000005000 size=4096';
    const result = parseFtraceText(line);
    expect(result.records).toEqual([]);
    expect(result.warnings[0]).toMatchObject({ line: 1, message: expect.stringMatching(/prefix/) });
  });

  it('ignores map/unmap events of other subsystems and counts unrecognized lines', () => {
    const text = [
      prefix + 'xen:map: something=1',
      'random text that is not a trace line',
      '',
      'CPU:2 [LOST 17 EVENTS]',
    ].join('\n');
    const result = parseFtraceText(text);
    expect(result.records).toEqual([]);
    expect(result.stats.ignored).toMatchObject({ otherEvents: 1, unrecognized: 1, blank: 1, lostNotices: 1 });
    expect(result.stats.lostEvents).toBe(17);
    expect(result.warnings).toEqual([expect.objectContaining({ line: 4, message: expect.stringMatching(/dropped 17 events/) })]);
    expect(result.stats.malformed).toBe(0);
  });

  it('caps the warnings it keeps but counts them all', () => {
    const bad = prefix + 'map: IOMMU: iova=0x1 - 0x0 paddr=0x0 size=1';
    const result = parseFtraceText(Array(50).fill(bad).join('\n'), { maxWarnings: 5 });
    expect(result.warnings).toHaveLength(5);
    expect(result.stats.malformed).toBe(50);
  });

  it('parses any well-formed event in either tool layout back to the same record', () => {
    const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
    const event = fc
      .record({ iova: u64, size: u64, paddr: u64, unmapped: u64, isMap: fc.boolean() })
      .filter(({ iova, size }) => iova + size <= 1n << 64n);
    const task = fc.stringMatching(/^[A-Za-z0-9_/:<>. -]{1,16}$/).filter((t) => t.trim() === t && t.length > 0);
    fc.assert(
      fc.property(
        event,
        task,
        fc.nat({ max: 4_194_304 }),
        fc.nat({ max: 255 }),
        fc.constantFrom('.....', 'd.h2.', 'dNs1.', '....', 'd..1'),
        fc.boolean(),
        ({ iova, size, paddr, unmapped, isMap }, comm, pid, cpu, flags, report) => {
          const body = isMap ? mapText(iova, paddr, size) : unmapText(iova, size, unmapped);
          const name = isMap ? 'map' : 'unmap';
          const line = report ? reportLine(comm, pid, cpu, '77.000001', name, body) : pipeLine(comm, pid, cpu, '77.000001', name, body, flags);
          const result = parseFtraceText(line, { strict: true });
          expect(result.records).toEqual([
            isMap ? { type: 'map', space: 0, iova, addr: paddr, length: size, perms: 3 } : { type: 'unmap', space: 0, iova, length: size },
          ]);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('streams from a Readable with CRLF line ends straight into a binary trace', async () => {
    const text = TRACE_PIPE_SAMPLE.replace(/\n/g, '\r\n');
    const pieces = Buffer.from(text).toString('latin1').match(/[\s\S]{1,13}/g)!.map((s) => Buffer.from(s, 'latin1'));
    const imported = await importFtrace(Readable.from(pieces));
    expect(imported.records).toEqual(EXPECTED_PIPE_RECORDS);

    const importer = new FtraceImporter({ space: 4 });
    const bytes = await encodeBinaryTrace(importer.header(), ftraceRecords(Readable.from([Buffer.from(text)]), importer));
    const back = await readAll(bytes);
    expect(back.records.map((r) => r.type)).toEqual(['map', 'map', 'unmap', 'unmap']);
    expect(back.header.metadata).toMatchObject({ source: expect.stringMatching(/ftrace/), space: 4 });
    expect(importer.stats.records).toEqual({ map: 2, unmap: 2 });
  });

  it('puts every line of arbitrary text in exactly one bucket without throwing', () => {
    const line = fc.oneof(
      fc.string({ maxLength: 120 }),
      fc.constantFrom(...TRACE_PIPE_SAMPLE.split('\n'), ...TRACE_CMD_SAMPLE.split('\n')).chain((l) =>
        fc.tuple(fc.nat({ max: l.length }), fc.string({ maxLength: 3 })).map(([at, s]) => l.slice(0, at) + s + l.slice(at + 1)),
      ),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 20 }), (lines) => {
        const text = lines.map((l) => l.replace(/[\r\n]/g, ' ')).join('\n');
        const { stats, records } = parseFtraceText(text);
        const ignored = Object.values(stats.ignored).reduce((a, b) => a + b, 0);
        const expectedLines = text === '' ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
        expect(stats.lines).toBe(expectedLines);
        expect(stats.records.map + stats.records.unmap + ignored + stats.malformed).toBe(stats.lines);
        expect(records).toHaveLength(stats.records.map + stats.records.unmap);
      }),
      { numRuns: 1000 },
    );
  });
});
