// The `walkers` option: how many misses of one space are walked together. It changes
// how much memory latency overlaps, never a translation; a miss in a region a lane is
// already walking waits for that walk and is looked up again.
import { describe, expect, it } from 'vitest';
import { Access, Engine, EngineError, Perm } from '../../src/engine/index.js';

const RW = Perm.R | Perm.W;
const MiB2 = 0x20_0000;

async function engineWith(walkers?: number): Promise<{ engine: Engine; space: number }> {
  const engine = await Engine.create({ physMemBytes: 64 << 20, ...(walkers === undefined ? {} : { walkers }) });
  const space = engine.createSpace({ format: 'x86-64', levels: 4 });
  return { engine, space };
}

/** Runs one batch; returns the output addresses (as numbers) and the walk count. */
function runBatch(engine: Engine, space: number, iovas: number[]): { out: number[]; walks: number } {
  const before = engine.counters().walks;
  iovas.forEach((iova, i) => engine.batch.set(i, space, iova, Access.READ));
  expect(engine.batch.run(iovas.length)).toBe(0);
  const out = iovas.map((_, i) => engine.batch.outAt(i));
  return { out, walks: engine.counters().walks - before };
}

describe('walkers option', () => {
  it.each([0, 33, 1.5, -1, Number.NaN])('rejects %s', async (walkers) => {
    await expect(Engine.create({ walkers })).rejects.toThrow(EngineError);
  });

  it('translates the same at every walker count; distinct 4 KiB misses all walk', async () => {
    const iovas = Array.from({ length: 100 }, (_, i) => 0x4000_0000 + i * 0x1_3000);
    const results = [];
    for (const walkers of [1, 2, 7, 24, 32]) {
      const { engine, space } = await engineWith(walkers);
      for (const iova of iovas) engine.map(space, BigInt(iova & ~0xFFF), BigInt(0x100_0000 + (iova & 0xFF_F000)), 0x1000n, RW);
      const { out, walks } = runBatch(engine, space, iovas);
      expect(walks).toBe(iovas.length);
      results.push(out);
    }
    for (const r of results) expect(r).toEqual(results[0]);
  });

  it('once the space holds 2 MiB entries, misses inside a 2 MiB region being walked wait for it', async () => {
    const { engine, space } = await engineWith(24);
    for (let i = 0; i < 4; i++) engine.map(space, BigInt((i + 1) * MiB2), BigInt((i + 8) * MiB2), BigInt(MiB2), RW);
    // First batch: no 2 MiB entry yet, so each distinct 4 KiB page of the first region walks.
    expect(runBatch(engine, space, [MiB2, MiB2 + 0x1000]).walks).toBe(2);
    // Now the space has 2 MiB entries: eight misses in each of the other three
    // regions walk once per region.
    const iovas = [2, 3, 4].flatMap((r) => Array.from({ length: 8 }, (_, k) => r * MiB2 + k * 0x3000));
    const { out, walks } = runBatch(engine, space, iovas);
    expect(walks).toBe(3);
    // Region r (IOVA r x 2 MiB) maps to (r + 7) x 2 MiB.
    expect(out).toEqual(iovas.map((iova) => iova + 7 * MiB2));
  });

  it('one walker: a miss after a full group is looked up again and hits what the group filled', async () => {
    const { engine, space } = await engineWith(1);
    engine.map(space, 0x10_0000n, 0x80_0000n, 0x1000n, RW);
    // Two requests on one page: the second finds the group full, waits, and hits.
    expect(runBatch(engine, space, [0x10_0000, 0x10_0008]).walks).toBe(1);
    expect(engine.counters().hits).toBe(1);
  });
});
