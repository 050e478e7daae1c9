// Replay on a what-if machine. The strongest check is a differential one: the
// operations a generator emits do not depend on the machine, so a trace recorded on
// one IOTLB and replayed on another must count exactly what a run on that other
// machine counts. Page-size and nesting what-ifs are checked against what the
// formats make exact (a nested 4x4 walk without caches reads 24 entries) and against
// the translations staying the same (no new faults).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createScenario } from '../../src/workload/scenarios/index.js';
import { replayTrace, ReplayStopped, runWorkload } from '../../src/workload/node.js';
import { PageSizeSink } from '../../src/workload/page-size-sink.js';
import { RecordSink } from '../../src/workload/record-sink.js';
import { TraceFormatError } from '../../src/trace/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'iommu-whatif-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function recorded(name: string, steps: number, overrides: Record<string, unknown> = {}, ext = 'iotrace'): Promise<string> {
  const file = join(dir, `${name}-${steps}-${JSON.stringify(overrides).replace(/\W/g, '')}.${ext}`);
  await runWorkload(createScenario(name, { steps, ...overrides }), { record: file });
  return file;
}

const h16 = (v: number) => v.toString(16).padStart(16, '0');
const mapLine = (iova: number, pa: number, size: number, ts = '1.000001') =>
  `  fio-2231    [003] ..... ${ts}: map: IOMMU: iova=0x${h16(iova)} - 0x${h16(iova + size)} paddr=0x${h16(pa)} size=${size}`;
const unmapLine = (iova: number, size: number, ts = '1.000002') =>
  `  fio-2231    [003] ..... ${ts}: unmap: IOMMU: iova=0x${h16(iova)} - 0x${h16(iova + size)} size=${size} unmapped_size=${size}`;

describe('replay on a what-if machine', () => {
  it.each([
    ['nic-pool', { sets: 256, ways: 4 }],
    ['storage-random', { sets: 16, ways: 2 }],
    ['vm', { sets: 128, ways: 8 }],
  ])('%s recorded on the default IOTLB and replayed on %o counts what a run on it counts', async (name, iotlb) => {
    const file = await recorded(name, 400);
    const run = await runWorkload(createScenario(name, { steps: 400, engine: { iotlb } }));
    const replay = await replayTrace(file, { iotlb });
    expect(replay.counters).toEqual(run.counters);
    expect(replay.replay.failed).toBe(0);
    expect(replay.config.iotlbEntries).toBe(iotlb.sets * iotlb.ways);
  });

  it('the walk caches and the request size are what-ifs too', async () => {
    const file = await recorded('vm', 300);
    const geometry = { walkCache: false as const, nestedTableCache: false as const, requestBytes: 256 };
    const run = await runWorkload(createScenario('vm', { steps: 300, requestBytes: 256, engine: { walkCache: false, nestedTableCache: false } }));
    const replay = await replayTrace(file, geometry);
    expect(replay.counters).toEqual(run.counters);
    expect(replay.pteReadsPerWalk).toBe(24);
  });

  it('an NDJSON recording replays to the binary one\'s counters', async () => {
    const binary = await recorded('nic-strict', 300);
    const ndjson = await recorded('nic-strict', 300, {}, 'ndjson');
    const a = await replayTrace(binary);
    const b = await replayTrace(ndjson);
    expect(b.replay.form).toBe('ndjson');
    expect(b.counters).toEqual(a.counters);
    expect(b.records).toEqual(a.records);
  });

  it('--nested puts a flat trace in a guest: same translations, a full 4x4 walk without caches', async () => {
    const file = await recorded('sva', 300);
    const flat = await replayTrace(file, { walkCache: false });
    const nested = await replayTrace(file, { nested: true, walkCache: false, nestedTableCache: false });
    expect(nested.translations).toBe(flat.translations);
    expect(nested.faults).toBe(0);
    expect(flat.pteReadsPerWalk).toBe(4);
    expect(nested.pteReadsPerWalk).toBe(24);
    // 2 MiB guest RAM pages take the stage-2 leaf level out of every nested step.
    const s2m = await replayTrace(file, { nested: true, stage2PageSize: '2M', walkCache: false, nestedTableCache: false });
    expect(s2m.pteReadsPerWalk).toBe(19);
    await expect(replayTrace(await recorded('vm', 50), { nested: true })).rejects.toThrow(/already nested/);
    await expect(replayTrace(file, { stage2PageSize: '2M' })).rejects.toThrow(/only with nesting/);
  });

  it('--page-size 4K takes the 2 MiB pages out of a 2M trace; 2M puts them into a 4K one', async () => {
    const big = await recorded('nic-pool-2m', 300);
    const asIs = await replayTrace(big);
    const small = await replayTrace(big, { pageSize: '4K' });
    expect(asIs.hitRateBySize['2M']).toBeGreaterThan(0.3);
    expect(small.hitRateBySize['2M']).toBe(0);
    expect(small.translations).toBe(asIs.translations);
    expect(small.faults).toBe(0);
    const four = await recorded('sva', 300);
    const a = await replayTrace(four);
    const b = await replayTrace(four, { pageSize: '2M' });
    expect(a.hitRateBySize['2M']).toBe(0);
    expect(b.hitRateBySize['2M']).toBeGreaterThan(a.hitRate - 0.01);
    expect(b.hitRate).toBeGreaterThan(a.hitRate);
    expect(b.faults).toBe(0);
  });

  it('ftrace text replays into the engine: invalidation after unmap, one access per map, failures counted', async () => {
    const file = join(dir, 'linux.txt');
    writeFileSync(file, [
      '# tracer: nop',
      mapLine(0xfffc0000, 0x112345000, 8192),
      mapLine(0xff000000, 0x200000000, 2 << 20),
      unmapLine(0xfffc0000, 8192),
      'CPU:3 [LOST 5 EVENTS]',
      mapLine(0xff000000, 0x200000000, 2 << 20), // still mapped: EXISTS
      '  fio-2231    [003] ..... 1.000009: unmap: IOMMU: iova=garbage',
      unmapLine(0xff000000, 2 << 20),
    ].join('\n'));
    const r = await replayTrace(file);
    expect(r.replay.form).toBe('ftrace');
    expect(r.records).toEqual({ map: 3, unmap: 2, invalidate: 0, dma: 0 });
    expect(r.replay.added).toEqual({ dma: 2, invalidations: 2 });
    // 2 pages of the small map, 512 of the large one: one translation per page.
    expect(r.translations).toBe(514);
    expect(r.counters.invRange).toBe(2);
    expect(r.replay.failures).toEqual({ 'map EXISTS': 1 });
    expect(r.replay.firstFailures[0]).toMatchObject({ record: 4 });
    expect(r.replay.ftrace).toMatchObject({ malformed: 1, lostNotices: 1, lostEvents: 5 });
    // Without the added accesses nothing translates.
    expect((await replayTrace(file, { touch: 'none' })).translations).toBe(0);
    // Strict stops at the first problem: the lost-events line.
    await expect(replayTrace(file, { strict: true })).rejects.toThrow(new RegExp(`${file}: .*dropped 5 events.*line 5`));
    await expect(replayTrace(file, { strict: true })).rejects.toBeInstanceOf(TraceFormatError);
  });

  it('strict stops at the first refused record, naming it', async () => {
    const file = join(dir, 'twice.txt');
    writeFileSync(file, [mapLine(0x100000, 0x200000, 4096), mapLine(0x100000, 0x200000, 4096)].join('\n'));
    await expect(replayTrace(file, { strict: true })).rejects.toThrow(ReplayStopped);
    await expect(replayTrace(file, { strict: true })).rejects.toThrow(/record 2 \(map space 0 iova 0x100000/);
  });

  it('an empty file or random bytes are errors, not an empty replay', async () => {
    const empty = join(dir, 'empty');
    writeFileSync(empty, '');
    await expect(replayTrace(empty)).rejects.toThrow(/not a trace: the file is empty/);
    const random = join(dir, 'random');
    writeFileSync(random, Uint8Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24));
    await expect(replayTrace(random)).rejects.toThrow(/not a trace/);
  });
});

describe('PageSizeSink', () => {
  it('2M maps each touched block once and unmaps it with its last bytes', () => {
    const out = new RecordSink();
    const sink = new PageSizeSink(out, '2M', () => true);
    sink.map(0, 0x201000, 0x40001000, 0x2000, 1);
    sink.map(0, 0x3ff000, 0x40003000, 0x2000, 1); // crosses into the next block
    expect(out.take()).toEqual([
      { type: 'map', space: 0, iova: 0x200000n, addr: 0x40000000n, length: 0x200000n, perms: 3 },
      // The block's address is the map's, aligned down: 0x40003000 + 0x1000 -> 0x40000000.
      { type: 'map', space: 0, iova: 0x400000n, addr: 0x40000000n, length: 0x200000n, perms: 3 },
    ]);
    sink.unmap(0, 0x201000, 0x2000);
    expect(out.take()).toEqual([]);
    sink.unmap(0, 0x3ff000, 0x2000);
    expect(out.take()).toEqual([
      { type: 'unmap', space: 0, iova: 0x200000n, length: 0x200000n },
      { type: 'unmap', space: 0, iova: 0x400000n, length: 0x200000n },
    ]);
  });

  it('an unmap of a huge range costs the blocks held, not its length', () => {
    const out = new RecordSink();
    const sink = new PageSizeSink(out, '2M', () => true);
    sink.map(0, 0x40000000, 0, 0x1000, 3);
    out.take();
    // The work counted as lookups of the held-bytes map: one per block visited. The
    // range spans 2^31 blocks; one is held.
    const lookups = vi.spyOn(Map.prototype, 'get');
    sink.unmap(0, 0, 2 ** 52);
    const visited = lookups.mock.calls.length;
    lookups.mockRestore();
    expect(out.take()).toEqual([{ type: 'unmap', space: 0, iova: 0x40000000n, length: 0x200000n }]);
    // One lookup of the space's map, one of the block held.
    expect(visited).toBe(2);
  });

  it('4K splits only maps that could get large pages', () => {
    const out = new RecordSink();
    const sink = new PageSizeSink(out, '4K', () => true);
    sink.map(0, 0x200000, 0x400000, 0x3000, 3);
    sink.map(0, 0x200000, 0x401000, 0x3000, 3);
    expect(out.take().map((r) => r.type === 'map' && [r.iova, r.length])).toEqual([
      [0x200000n, 0x1000n], [0x201000n, 0x1000n], [0x202000n, 0x1000n], [0x200000n, 0x3000n],
    ]);
  });
});
