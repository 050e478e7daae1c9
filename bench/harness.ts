// Runs each case on the Wasm engine and on the plain TypeScript peer in one process,
// with tinybench, so the reported ratio is measured under the same
// machine conditions. Deterministic counters come from a separate, untimed pass.
//
// On a shared machine a neighbour's burst lands on one measurement and not the one
// next to it. So a case runs in rounds — engine, peer, native reference, again — and
// each side reports its best round (the median of its samples within a round): noise
// only ever adds time, and every side gets the same number of chances. Every round's
// median is kept too: how far the rounds disagree (the spread) says whether the
// ratio means anything (measurement-quality.ts).
import { Bench } from 'tinybench';
import { runNative } from './native/reference.js';
import { spreadOf, type Spread } from '../src/report/spread.js';

export interface BenchCase {
  name: string;
  /** What one op is, for the report ("translation", "invalidation"). */
  unit: string;
  engineOpsPerIteration: number;
  peerOpsPerIteration: number;
  engine: () => void;
  peer: () => void;
  engineBeforeEach?: () => void;
  peerBeforeEach?: () => void;
  /** Runs one untimed engine iteration and returns its counters per op. */
  countersPerOp: () => Record<string, number>;
  /** Releases memory held by the case (engines, peers). */
  dispose?: () => void;
  /** Name of the same case in the native C reference, when it has one. */
  native?: string;
}

export interface CaseResult {
  name: string;
  unit: string;
  nsPerOp: number;
  opsPerSec: number;
  peerNsPerOp: number;
  speedupVsPeer: number;
  counters: Record<string, number>;
  samples: number;
  rmePercent: number;
  /** Rounds the case ran; each side reports its best round. */
  rounds: number;
  /** Min, median and max over the rounds of each round's median (engine, peer) and of each round's ratio. */
  spread: { engineNsPerOp: Spread; peerNsPerOp: Spread; speedupVsPeer: Spread };
  /** The fewest samples either side took in any round. */
  minSamplesPerRound: number;
  /** Measuring time per task and round, in ms (--time split between the rounds). */
  roundMs: number;
  /** The native C reference's median ns/op in its best round, each round right after the engine's (when available). */
  nativeNsPerOp?: number;
  /** Engine time over native time (1.0 = as fast as native C). */
  vsNative?: number;
}

export interface HarnessOptions {
  /** Time budget per task in ms. */
  time: number;
  warmupTime: number;
  /** Also run the native C reference where a case has one (default true). */
  native?: boolean;
  /** Rounds per case (default 3); `time` is split between them. */
  rounds?: number;
}

export const DEFAULT_ROUNDS = 3;

function medianMs(bench: Bench, name: string): { p50: number; samples: number; rme: number } {
  const task = bench.getTask(name);
  const result = task?.result;
  if (!result || result.state !== 'completed') throw new Error(`benchmark task ${name} did not complete (${result?.state ?? 'missing'})`);
  return { p50: result.latency.p50, samples: result.latency.samplesCount, rme: result.latency.rme };
}

export async function runCase(c: BenchCase, options: HarnessOptions): Promise<CaseResult> {
  const counters = c.countersPerOp();
  const rounds = Math.max(1, Math.floor(options.rounds ?? DEFAULT_ROUNDS));
  let engine = { p50: Infinity, samples: 0, rme: 0 };
  let peerMs = Infinity;
  let nativeNs = Infinity;
  const engineNs: number[] = [];
  const peerNs: number[] = [];
  let minSamples = Infinity;
  for (let round = 0; round < rounds; round++) {
    // The first round warms up for the whole warmup time; later ones only re-warm what
    // the native reference run in between pushed out of the CPU caches.
    const warmupTime = round === 0 ? options.warmupTime : options.warmupTime / rounds;
    const bench = new Bench({
      time: options.time / rounds, warmup: warmupTime > 0, warmupTime, timestampProvider: 'hrtimeNow', iterations: 16,
    });
    bench.add('engine', c.engine, c.engineBeforeEach ? { beforeEach: c.engineBeforeEach } : {});
    bench.add('peer', c.peer, c.peerBeforeEach ? { beforeEach: c.peerBeforeEach } : {});
    await bench.run();
    const e = medianMs(bench, 'engine');
    const p = medianMs(bench, 'peer');
    if (e.p50 < engine.p50) engine = e;
    peerMs = Math.min(peerMs, p.p50);
    engineNs.push((e.p50 * 1e6) / c.engineOpsPerIteration);
    peerNs.push((p.p50 * 1e6) / c.peerOpsPerIteration);
    minSamples = Math.min(minSamples, e.samples, p.samples);
    const native = c.native && options.native !== false ? runNative(c.native) : null;
    if (native) nativeNs = Math.min(nativeNs, native.nsPerOp);
  }
  c.dispose?.();
  const nsPerOp = (engine.p50 * 1e6) / c.engineOpsPerIteration;
  const peerNsPerOp = (peerMs * 1e6) / c.peerOpsPerIteration;
  return {
    ...(Number.isFinite(nativeNs) ? { nativeNsPerOp: nativeNs, vsNative: nsPerOp / nativeNs } : {}),
    name: c.name,
    unit: c.unit,
    nsPerOp,
    opsPerSec: 1e9 / nsPerOp,
    peerNsPerOp,
    speedupVsPeer: peerNsPerOp / nsPerOp,
    counters,
    samples: engine.samples,
    rmePercent: engine.rme,
    rounds,
    spread: {
      engineNsPerOp: spreadOf(engineNs),
      peerNsPerOp: spreadOf(peerNs),
      speedupVsPeer: spreadOf(peerNs.map((ns, i) => ns / engineNs[i]!)),
    },
    minSamplesPerRound: minSamples,
    roundMs: options.time / rounds,
  };
}

/** Counter deltas of one call, divided by the ops it made. */
export function perOp(before: Record<string, number>, after: Record<string, number>, ops: number, keys: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of keys) out[k] = ((after[k] ?? 0) - (before[k] ?? 0)) / ops;
  return out;
}
