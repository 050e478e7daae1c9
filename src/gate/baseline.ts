// The committed baseline (bench/baseline.json): counters per gate scenario, speed
// ratios per benchmark case, and the thresholds the gate applies.
import { readFileSync, writeFileSync } from 'node:fs';
import type { CounterSet } from './scenarios.js';

export interface Baseline {
  version: 1;
  /** How the numbers were produced, for people reading the file. */
  note: string;
  thresholds: {
    /** Relative change a counter may make (0 = exact). */
    counterTolerance: number;
    /** Relative drop of a speed ratio that fails the gate (0.5 = half the speed-up over the peer). */
    speedDrop: number;
  };
  counters: CounterSet;
  speed: Record<string, number>;
}

export const DEFAULT_THRESHOLDS: Baseline['thresholds'] = { counterTolerance: 0, speedDrop: 0.5 };

export function readBaseline(path: string): Baseline {
  let data: Baseline;
  try {
    data = JSON.parse(readFileSync(path, 'utf8')) as Baseline;
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    throw new Error(`${path}: not JSON (${error.message}); write a baseline with iommu-wasm gate --baseline ${path} --update`);
  }
  if (data?.version !== 1 || typeof data.counters !== 'object' || data.counters === null) throw new Error(`${path}: not a version 1 gate baseline (write one with iommu-wasm gate --baseline ${path} --update)`);
  data.thresholds = checkThresholds({ ...DEFAULT_THRESHOLDS, ...data.thresholds }, path);
  data.speed ??= {};
  return data;
}

/**
 * Thresholds a gate can act on: a counter tolerance and a speed drop, each a fraction
 * in [0, 1). NaN would let every regression pass, a negative tolerance marks unchanged
 * counters as moved, and a drop of 1 or more can never trigger (a ratio cannot fall by
 * 100%), so each is refused with the source (`where`) named.
 */
export function checkThresholds(t: Baseline['thresholds'], where: string): Baseline['thresholds'] {
  for (const [key, value] of Object.entries(t)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value >= 1) {
      throw new RangeError(`${where}: threshold ${key} must be a fraction from 0 to below 1 (0.05 = 5%), got ${JSON.stringify(value)}`);
    }
  }
  return t;
}

export function writeBaseline(path: string, baseline: Baseline): void {
  writeFileSync(path, `${JSON.stringify(baseline, null, 2)}\n`);
}
