// Same-run speed ratios: every core benchmark case on the engine and on the plain
// TypeScript peer in one process. The ratio survives a slow or noisy machine far
// better than an absolute time, so it is what the gate compares.
import { runSuite } from '../../bench/run-suite.js';
import { tooBrief } from '../../bench/measurement-quality.js';
import type { Spread } from '../report/spread.js';

export interface SpeedResult {
  /** Engine speed-up over the peer per case. */
  ratios: Record<string, number>;
  /** Engine ns per op per case (reported, never gated). */
  nsPerOp: Record<string, number>;
  /** Cases measured too briefly to compare, with why: reported, never gated. */
  brief?: Record<string, string>;
  /** Each case's ratio over the rounds. */
  spread?: Record<string, Spread>;
}

export async function collectSpeed(timeMs: number, onCase?: (name: string, i: number, total: number) => void): Promise<SpeedResult> {
  // The native reference is not gated: leave it out.
  const results = await runSuite('core', { time: timeMs, warmupTime: Math.min(100, timeMs / 2), native: false, onCaseStart: onCase });
  return {
    ratios: Object.fromEntries(results.map((r) => [r.name, r.speedupVsPeer])),
    nsPerOp: Object.fromEntries(results.map((r) => [r.name, r.nsPerOp])),
    brief: Object.fromEntries(results.flatMap((r) => { const why = tooBrief(r); return why ? [[r.name, why]] : []; })),
    spread: Object.fromEntries(results.map((r) => [r.name, r.spread.speedupVsPeer])),
  };
}
