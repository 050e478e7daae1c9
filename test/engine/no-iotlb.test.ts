// An engine without an IOTLB takes its own batch loop (translateUncached): every
// request walks, grouped as misses always are. A batch must give what the same
// requests give one at a time: outputs, statuses, fault records in request order
// and the counters (walk-cache counters aside: grouping changes which fills a walk
// sees, never a translation).
import { describe, expect, it } from 'vitest';
import { Access, Engine, Perm } from '../../src/engine/index.js';

const RW = Perm.R | Perm.W;

interface Twin { engine: Engine; a: number; b: number; dead: number }

async function twin(walkCache: boolean, build: 'debug' | 'release'): Promise<Twin> {
  const engine = await Engine.create({ build, iotlb: false, nestedTableCache: false, ...(walkCache ? {} : { walkCache: false }) });
  const a = engine.createSpace({ format: 'x86-64', levels: 4 });
  const b = engine.createSpace({ format: 'vtd-ss', levels: 3 });
  const dead = engine.createSpace({ format: 'x86-64', levels: 4 });
  engine.destroySpace(dead);
  for (let i = 0; i < 40; i++) engine.map(a, BigInt(0x4000_0000 + i * 0x3000), BigInt(0x100_0000 + i * 0x1000), 0x1000n, RW);
  engine.map(b, 0x20_0000n, 0x80_0000n, 0x20_0000n, Perm.R);
  return { engine, a, b, dead };
}

/** Requests: runs of each space, repeats of one page, unmapped pages, a write to a read-only page, a dead space. */
function requests(t: Twin): Array<{ space: number; iova: number; access: number }> {
  const out: Array<{ space: number; iova: number; access: number }> = [];
  for (let i = 0; i < 90; i++) {
    const k = (i * 7) % 45;
    if (i % 11 === 5) out.push({ space: t.dead, iova: 0x1000, access: Access.READ });
    else if (i % 9 === 4) out.push({ space: t.b, iova: 0x20_0000 + k * 0x800, access: i % 2 ? Access.WRITE : Access.READ });
    else out.push({ space: t.a, iova: 0x4000_0000 + k * 0x3000 + (i % 3) * 8, access: Access.READ });
  }
  return out;
}

describe.each(['debug', 'release'] as const)('batches without an IOTLB (%s build)', (build) => {
  it.each([false, true])('walk caches %s: a batch equals the same requests one at a time', async (walkCache) => {
    const batched = await twin(walkCache, build);
    const single = await twin(walkCache, build);
    const reqs = requests(batched);
    reqs.forEach((r, i) => batched.engine.batch.set(i, r.space, r.iova, r.access));
    const failed = batched.engine.batch.run(reqs.length);
    const expected = reqs.map((r) => single.engine.translate(r.space, BigInt(r.iova), r.access));
    expect(failed).toBe(expected.filter((r) => r.fault !== 0).length);
    expect(failed).toBeGreaterThan(10);
    reqs.forEach((_, i) => {
      const want = expected[i]!;
      expect(batched.engine.batch.status[i] === 0, `request ${i}`).toBe(want.fault === 0);
      if (want.fault === 0) expect(BigInt(batched.engine.batch.outAt(i)), `request ${i}`).toBe(want.addr);
    });
    expect(batched.engine.drainFaults()).toEqual(single.engine.drainFaults());
    const [got, want] = [batched.engine.counters(), single.engine.counters()];
    for (const key of ['lookups', 'hits', 'misses', 'walks', 'faults', 'iotlbFills'] as const) expect(got[key], key).toBe(want[key]);
    if (!walkCache) expect(got.pteReads).toBe(want.pteReads);
  });
});
