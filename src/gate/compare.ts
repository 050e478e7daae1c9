// Compares a run against the baseline. Counters are deterministic, so any move
// beyond the tolerance is reported; a move in the bad direction fails the gate, a
// move in the good one is an improvement to record with --update. Counters with no
// good direction (lookups: the workload itself) fail on any move.
import type { Baseline } from './baseline.js';
import type { CounterSet } from './scenarios.js';

/** 'too brief': a speed ratio measured too briefly to compare (bench/measurement-quality.ts); never a failure. */
export type Status = 'ok' | 'regressed' | 'improved' | 'changed' | 'missing' | 'new' | 'too brief';

export interface Row {
  kind: 'counter' | 'speed';
  name: string;
  baseline: number | undefined;
  current: number | undefined;
  /** Relative change (current / baseline - 1). */
  change: number;
  status: Status;
  /** Why a 'too brief' row was not compared. */
  note?: string;
}

const SMALLER_IS_BETTER = new Set(['misses', 'walks', 'pteReads', 'walkCacheMisses', 'nestedTableMisses', 'stage2Walks', 'iotlbEvictions', 'faults', 'invProbes', 'invSweeps']);
const LARGER_IS_BETTER = new Set(['hits', 'walkCacheHits', 'nestedTableHits']);

function relative(current: number, baseline: number): number {
  if (baseline === 0) return current === 0 ? 0 : Infinity;
  return current / baseline - 1;
}

function checkFraction(name: string, value: number): void {
  if (!(Number.isFinite(value) && value >= 0 && value < 1)) throw new RangeError(`${name} must be a fraction from 0 to below 1, got ${value}`);
}

export function compareCounters(baseline: CounterSet, current: CounterSet, tolerance: number): Row[] {
  checkFraction('counter tolerance', tolerance);
  const rows: Row[] = [];
  const scenarios = new Set([...Object.keys(baseline), ...Object.keys(current)]);
  for (const scenario of scenarios) {
    const b = baseline[scenario] ?? {};
    const c = current[scenario] ?? {};
    for (const counter of new Set([...Object.keys(b), ...Object.keys(c)])) {
      const name = `${scenario}.${counter}`;
      const bv = b[counter];
      const cv = c[counter];
      if (bv === undefined || cv === undefined) {
        rows.push({ kind: 'counter', name, baseline: bv, current: cv, change: NaN, status: bv === undefined ? 'new' : 'missing' });
        continue;
      }
      const change = relative(cv, bv);
      let status: Status = 'ok';
      if (Math.abs(change) > tolerance) {
        if (SMALLER_IS_BETTER.has(counter)) status = change > 0 ? 'regressed' : 'improved';
        else if (LARGER_IS_BETTER.has(counter)) status = change < 0 ? 'regressed' : 'improved';
        else status = 'changed';
      }
      rows.push({ kind: 'counter', name, baseline: bv, current: cv, change, status });
    }
  }
  return rows;
}

/** `brief`: cases measured too briefly, with why; their rows say 'too brief' whatever they moved. */
export function compareSpeed(baseline: Record<string, number>, current: Record<string, number>, drop: number, brief: Record<string, string> = {}): Row[] {
  checkFraction('speed drop', drop);
  return Object.keys(current).map((name) => {
    const bv = baseline[name];
    const cv = current[name]!;
    if (brief[name] !== undefined) {
      return { kind: 'speed' as const, name, baseline: bv, current: cv, change: bv === undefined ? NaN : relative(cv, bv), status: 'too brief' as const, note: brief[name] };
    }
    if (bv === undefined) return { kind: 'speed' as const, name, baseline: bv, current: cv, change: NaN, status: 'new' as const };
    const change = relative(cv, bv);
    const status: Status = change < -drop ? 'regressed' : change > drop ? 'improved' : 'ok';
    return { kind: 'speed' as const, name, baseline: bv, current: cv, change, status };
  });
}

/** Rows that fail the gate: regressions, counters that changed with no good direction, counters gone. */
export function failures(rows: Row[]): Row[] {
  return rows.filter((r) => r.status === 'regressed' || r.status === 'changed' || r.status === 'missing');
}
