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
  const data = JSON.parse(readFileSync(path, 'utf8')) as Baseline;
  if (data.version !== 1 || typeof data.counters !== 'object') throw new Error(`${path}: not a version 1 gate baseline`);
  data.thresholds = { ...DEFAULT_THRESHOLDS, ...data.thresholds };
  data.speed ??= {};
  return data;
}

export function writeBaseline(path: string, baseline: Baseline): void {
  writeFileSync(path, `${JSON.stringify(baseline, null, 2)}\n`);
}
