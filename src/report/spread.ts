// How much repeated measurements of one thing disagree. A ratio or a throughput is
// only worth comparing when its repeats agree; the spread says how far they do not.

/** The smallest, middle and largest of repeated measurements. */
export interface Spread {
  min: number;
  median: number;
  max: number;
}

export function spreadOf(values: readonly number[]): Spread {
  if (values.length === 0) throw new RangeError('spreadOf needs at least one value');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { min: sorted[0]!, median, max: sorted[sorted.length - 1]! };
}

/** (max - min) / median: 0.1 means the repeats span 10% of their middle value. */
export function relativeSpread(s: Spread): number {
  if (s.median === 0) return s.max === s.min ? 0 : Infinity;
  return (s.max - s.min) / Math.abs(s.median);
}

/** True when two ranges share no value: a difference bigger than either's noise. */
export function rangesDisjoint(a: Spread, b: Spread): boolean {
  return a.max < b.min || b.max < a.min;
}
