// The results in the formats existing CI tooling reads:
// - github-action-benchmark, tool "customSmallerIsBetter": [{name, unit, value}];
// - Bencher Metric Format: {benchmark: {measure: {value}}}.
import type { CounterSet } from './scenarios.js';

export interface GithubBenchmarkEntry {
  name: string;
  unit: string;
  value: number;
  extra?: string;
}

/** Smaller-is-better figures: misses and page-table reads per translation, engine ns per op. */
export function githubActionBenchmark(counters: CounterSet, nsPerOp: Record<string, number>): GithubBenchmarkEntry[] {
  const out: GithubBenchmarkEntry[] = [];
  for (const [scenario, c] of Object.entries(counters)) {
    const lookups = c.lookups || 1;
    out.push({ name: `${scenario} IOTLB misses per translation`, unit: 'misses/translation', value: (c.misses ?? 0) / lookups });
    out.push({ name: `${scenario} page-table reads per translation`, unit: 'reads/translation', value: (c.pteReads ?? 0) / lookups });
  }
  for (const [name, ns] of Object.entries(nsPerOp)) out.push({ name: `bench ${name}`, unit: 'ns/op', value: ns });
  return out;
}

export type Bmf = Record<string, Record<string, { value: number }>>;

export function bencherMetricFormat(counters: CounterSet, ratios: Record<string, number>, nsPerOp: Record<string, number>): Bmf {
  const out: Bmf = {};
  for (const [scenario, c] of Object.entries(counters)) {
    out[`scenario/${scenario}`] = Object.fromEntries(Object.entries(c).map(([k, v]) => [k, { value: v }]));
  }
  for (const name of Object.keys(nsPerOp)) {
    out[`bench/${name}`] = { latency: { value: nsPerOp[name]! }, 'speedup-vs-peer': { value: ratios[name] ?? 0 } };
  }
  return out;
}
