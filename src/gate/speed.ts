// Same-run speed ratios: every core benchmark case on the engine and on the plain
// TypeScript peer in one process. The ratio survives a slow or noisy machine far
// better than an absolute time, so it is what the gate compares.
import { runSuite } from '../../bench/run-suite.js';

export interface SpeedResult {
  /** Engine speed-up over the peer per case. */
  ratios: Record<string, number>;
  /** Engine ns per op per case (reported, never gated). */
  nsPerOp: Record<string, number>;
}

export async function collectSpeed(timeMs: number, onCase?: (name: string, i: number, total: number) => void): Promise<SpeedResult> {
  // The native reference is not gated: leave it out.
  const results = await runSuite('core', { time: timeMs, warmupTime: Math.min(100, timeMs / 2), native: false, onCaseStart: onCase });
  return {
    ratios: Object.fromEntries(results.map((r) => [r.name, r.speedupVsPeer])),
    nsPerOp: Object.fromEntries(results.map((r) => [r.name, r.nsPerOp])),
  };
}
