// An imported Linux ftrace drives an IOAS through the iommufd syscall surface (issue 5):
// the IOVA layout the trace built is what the IOAS holds afterwards, the mock device
// reads the process's bytes at mapped IOVAs and faults elsewhere, and failures are
// counted by errno without stopping the replay. Lines are written in the format of
// test/trace/ftrace.test.ts (trace_pipe prefix, current-kernel event text).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { replayCommand } from '../../src/cli/commands/replay.js';
import { parseFtraceText } from '../../src/trace/ftrace.js';
import type { TraceRecord } from '../../src/trace/records.js';
import * as U from '../../src/index.js';
import { replayViaIommufd } from '../../src/workload/replay-iommufd.js';

const h16 = (v: bigint): string => v.toString(16).padStart(16, '0');
const mapText = (iova: bigint, paddr: bigint, size: bigint): string =>
  `IOMMU: iova=0x${h16(iova)} - 0x${h16(iova + size)} paddr=0x${h16(paddr)} size=${size}`;
const unmapText = (iova: bigint, size: bigint): string =>
  `IOMMU: iova=0x${h16(iova)} - 0x${h16(iova + size)} size=${size} unmapped_size=${size}`;
function pipeLine(task: string, pid: number, cpu: number, ts: string, event: string, body: string, flags = '.....'): string {
  return `${task.padStart(16)}-${String(pid).padEnd(7)} [${String(cpu).padStart(3, '0')}] ${flags} ${ts.padStart(12)}: ${event}: ${body}`;
}

const A = 0x0100_0000n; // MOCK_APERTURE_START: the mock domain's aperture is 16 MiB .. 2 GiB
const MB2 = 0x20_0000n;

const FTRACE = [
  '# tracer: nop',
  '#',
  pipeLine('kworker/u16:3', 412, 2, '12034.567890', 'map', mapText(A, 0x1_1234_5000n, 8192n)),
  pipeLine('Web Content', 4321, 1, '12034.567900', 'map', mapText(A + MB2, 0x2_0000_0000n, MB2)),
  pipeLine('<idle>', 0, 0, '12034.567901', 'io_page_fault', 'IOMMU:intel-iommu 0000:00:02.0 iova=0x0000000000001000 flags=0x0000', 'd.h2.'),
  // Outside the default mock domain's aperture (16 MiB .. 2 GiB), where Linux puts
  // 32-bit DMA: the replay's domain has a 47-bit aperture, so it maps.
  pipeLine('kworker/u16:3', 412, 2, '12034.567905', 'map', mapText(0xfffc_0000n, 0x1_0000_0000n, 4096n)),
  pipeLine('kworker/u16:3', 412, 2, '12034.567912', 'unmap', unmapText(A, 8192n)),
  // Never mapped: ENOENT, counted, the replay goes on.
  pipeLine('kworker/u16:3', 412, 2, '12034.567913', 'unmap', unmapText(A + 0x10_0000n, 4096n)),
  pipeLine('fio', 2231, 3, '12034.567920', 'map', mapText(A + 0x1000n, 0x1_1234_6000n, 4096n)),
].join('\n');

describe('replay through iommufd', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
    vi.restoreAllMocks();
  });

  it('an imported ftrace builds the IOVA layout of the trace in one IOAS', async () => {
    const imported = parseFtraceText(FTRACE);
    expect(imported.stats.records).toEqual({ map: 4, unmap: 2 });
    expect(imported.warnings).toEqual([]);
    const extra: TraceRecord[] = [
      { type: 'invalidate', kind: 'range', space: 0, iova: A, length: 8192n, leafOnly: true },
      { type: 'dma', device: 7, iova: A + MB2 + 100n, length: 64n, access: 'read' },
      { type: 'dma', device: 7, iova: A + 0x1000n, length: 16n, access: 'write' },
      { type: 'dma', device: 7, iova: A, length: 8n, access: 'read' }, // unmapped: fault
    ];
    const { summary, sys, iommufd, ioasId, device, mappings } = await replayViaIommufd([...imported.records, ...extra]);

    // The IOAS holds exactly the mappings the trace left.
    const ioas = sys.contextOf(iommufd.fd)!.objects.get<U.IoasObject>(ioasId, U.ObjectType.IOAS)!;
    expect(ioas.iopt.areas.map((a) => [a.start, a.last])).toEqual([
      [A + 0x1000n, A + 0x1fffn],
      [A + MB2, A + 2n * MB2 - 1n],
      [0xfffc_0000n, 0xfffc_0fffn],
    ]);
    expect([...mappings.keys()].sort()).toEqual([A + MB2, A + 0x1000n, 0xfffc_0000n].sort());

    // The device sees the bytes the process writes behind a mapped IOVA...
    const big = mappings.get(A + MB2)!;
    const pattern = Uint8Array.from({ length: 32 }, (_, i) => (i * 7 + 3) & 0xff);
    sys.mem.write(big.userAddress + 0x1234, pattern);
    const read = sys.dma(device.devId, { iova: A + MB2 + 0x1234n, length: 32 });
    expect('data' in read && [...read.data]).toEqual([...pattern]);
    // ...and faults where the trace unmapped, and where it never mapped.
    expect('fault' in sys.dma(device.devId, { iova: A, length: 4 })).toBe(true);
    expect('fault' in sys.dma(device.devId, { iova: 0x4000_0000n, length: 4 })).toBe(true);
    // The IOVA above the self-test's aperture translates.
    expect('data' in sys.dma(device.devId, { iova: 0xfffc_0000n, length: 4 })).toBe(true);
    // The unmapped range is gone from the IOAS: unmapping it again is ENOENT.
    expect(() => iommufd.ioasUnmap({ ioasId, iova: A, length: 0x1000n })).toThrow(/ENOENT/);

    expect(summary.records).toEqual({ map: 4, unmap: 2, invalidate: 1, dma: 3 });
    expect(summary.maps).toEqual({ ok: 4, failed: 0 });
    expect(summary.unmaps).toEqual({ ok: 1, failed: 1, bytes: '8192' });
    expect(summary.ioctlFailuresByCommand).toEqual({ 'IOMMU_IOAS_UNMAP ENOENT': 1 });
    expect(summary.ioctlFailures).toEqual({ ENOENT: 1 });
    expect(summary.invalidatesSkipped).toBe(1);
    expect(summary.dma).toEqual({ ok: 2, faults: 1, blocked: 0, bytes: 80, pasidIgnored: 0 });
    expect(summary.spaces).toBe(1);
    expect(summary.counters.lookups).toBeGreaterThan(0);
    expect(summary.counters.faults).toBeGreaterThanOrEqual(1);
    expect(summary.counters.invRange).toBeGreaterThanOrEqual(1);
  });

  it('the DMA a process writes is what a later device read returns; partial unmaps fail whole', async () => {
    const records: TraceRecord[] = [
      { type: 'map', space: 0, iova: A, addr: 0n, length: 0x4000n, perms: 3 },
      { type: 'dma', device: 0, iova: A + 0x800n, length: 0x2000n, access: 'write' },
      { type: 'unmap', space: 0, iova: A + 0x1000n, length: 0x1000n },
      { type: 'unmap', space: 0, iova: A, length: 0x4000n },
      { type: 'unmap', space: 0, iova: A, length: 0x4000n },
    ];
    const { summary, mappings } = await replayViaIommufd(records, { dmaChunkBytes: 0x1000 });
    expect(summary.dma).toMatchObject({ ok: 1, faults: 0, bytes: 0x2000 });
    expect(summary.unmaps.ok).toBe(1);
    expect(summary.unmaps.failed).toBe(2);
    expect(summary.unmaps.bytes).toBe(String(0x4000));
    expect(mappings.size).toBe(0);
  });

  it('`replay FILE --via iommufd` reads ftrace text and prints the summary as JSON', async () => {
    dir = mkdtempSync(join(tmpdir(), 'replay-iommufd-'));
    const file = join(dir, 'trace.txt');
    writeFileSync(file, `${FTRACE}\n`);
    let out = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    });
    const saved = process.exitCode;
    await replayCommand(file, { json: true, via: 'iommufd' });
    const json = JSON.parse(out) as Record<string, any>;
    expect(json.form).toBe('ftrace');
    expect(json.records).toEqual({ map: 4, unmap: 2, invalidate: 0, dma: 0 });
    expect(json.maps).toEqual({ ok: 4, failed: 0 });
    // ftrace has no DMA records: every map is touched once, all of them translate.
    expect(json.touches).toBe(4);
    expect(json.dma).toMatchObject({ ok: 4, faults: 0 });
    expect(json.ioctlFailuresByCommand['IOMMU_IOAS_UNMAP ENOENT']).toBe(1);
    // A failed unmap makes the replay's exit code 1.
    expect(process.exitCode).toBe(1);
    out = '';
    process.exitCode = saved;
    await replayCommand(file, { via: 'iommufd', touch: 'none', lenient: true });
    expect(process.exitCode).toBe(saved);
    expect(out).toContain('IOAS_MAP     ok 4, failed 0');
    expect(out).toContain('IOMMU_IOAS_UNMAP ENOENT 1');
    expect(out).toContain('DMA          ok 0');
  });
});
