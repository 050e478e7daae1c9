// The benchmark harness: rounds, and each side's best round. A fake case whose engine
// is ten times slower for its first 45 ms (the first round's engine task) stands in
// for a neighbour's burst; the report must come from the quiet round.
import { describe, expect, it } from 'vitest';
import { runCase, type BenchCase } from '../../bench/harness.js';

function busyMs(ms: number): void {
  const end = process.hrtime.bigint() + BigInt(Math.round(ms * 1e6));
  while (process.hrtime.bigint() < end);
}

function fakeCase(): BenchCase & { peerCalls: () => number } {
  let start: bigint | undefined;
  const noisy = () => {
    start ??= process.hrtime.bigint();
    return process.hrtime.bigint() - start < 45_000_000n;
  };
  let peerCalls = 0;
  return {
    name: 'fake',
    unit: 'op',
    engineOpsPerIteration: 4,
    peerOpsPerIteration: 1,
    // 1 ms per iteration in the first round (30 ms of engine, then 30 ms of peer),
    // 0.1 ms in the second.
    engine: () => busyMs(noisy() ? 1 : 0.1),
    peer: () => { peerCalls++; busyMs(0.4); },
    countersPerOp: () => ({ lookups: 1 }),
    peerCalls: () => peerCalls,
  };
}

describe('bench harness', () => {
  it('runs every round and reports each side from its best one', async () => {
    const c = fakeCase();
    const r = await runCase(c, { time: 60, warmupTime: 0, native: false, rounds: 2 });
    expect(r.rounds).toBe(2);
    expect(c.peerCalls()).toBeGreaterThan(0);
    // Best engine round: 0.1 ms per iteration of 4 ops = 25,000 ns per op (not 250,000).
    expect(r.nsPerOp).toBeGreaterThan(20_000);
    expect(r.nsPerOp).toBeLessThan(100_000);
    expect(r.peerNsPerOp).toBeGreaterThan(350_000);
    expect(r.speedupVsPeer).toBeCloseTo(r.peerNsPerOp / r.nsPerOp, 6);
    expect(r.counters).toEqual({ lookups: 1 });
    expect(r.nativeNsPerOp).toBeUndefined();
    // Every round's median is kept: the best round is the spread's minimum, the noisy one its maximum.
    expect(r.spread.engineNsPerOp.min).toBeCloseTo(r.nsPerOp, 6);
    expect(r.spread.engineNsPerOp.max).toBeGreaterThan(3 * r.spread.engineNsPerOp.min);
    expect(r.spread.speedupVsPeer.max).toBeGreaterThan(r.spread.speedupVsPeer.min);
    expect(r.minSamplesPerRound).toBeGreaterThanOrEqual(16);
    expect(r.roundMs).toBe(30);
  });

  it('one round reports that round', async () => {
    const c = fakeCase();
    const r = await runCase(c, { time: 30, warmupTime: 0, native: false, rounds: 1 });
    expect(r.rounds).toBe(1);
    expect(r.nsPerOp).toBeGreaterThan(200_000);
  });
});
