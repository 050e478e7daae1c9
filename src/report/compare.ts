// `iommu-wasm report --compare A.json B.json`: every point of two reports side by
// side. Counters come from fixed seeds, so any change in them is real; throughput is
// timed, so a change counts only when the two runs' [min, max] ranges do not overlap.
import type { Environment } from './environment.js';
import type { SweepPoint } from './sweeps.js';
import { rangesDisjoint, type Spread } from './spread.js';
import { fixed, table } from './text-table.js';
import { toCsv } from './csv.js';

export type Verdict = 'same' | 'changed' | 'faster' | 'slower' | 'within noise' | 'no spread' | 'only in A' | 'only in B';

export interface ComparisonRow {
  sweep: string;
  series: string;
  x: number | string;
  metric: string;
  a?: number;
  b?: number;
  /** b / a - 1. */
  change?: number;
  verdict: Verdict;
}

/** The deterministic metrics each sweep reports (same seed, same counts). */
const COUNTERS: Record<string, (keyof SweepPoint)[]> = {
  iotlb: ['hitRate', 'missesPerUnit', 'pteReadsPerTranslation'],
  nesting: ['pteReadsPerWalk', 'pteReadsPerTranslation', 'hitRate'],
  throughput: ['hitRate'],
};

const key = (p: SweepPoint) => `${p.sweep}\u0000${p.series}\u0000${String(p.x)}`;

export function compareReports(a: readonly SweepPoint[], b: readonly SweepPoint[]): ComparisonRow[] {
  const inB = new Map(b.map((p) => [key(p), p]));
  const inA = new Set(a.map(key));
  const rows: ComparisonRow[] = [];
  for (const pa of a) {
    const pb = inB.get(key(pa));
    for (const metric of metricsOf(pa)) {
      const av = pa[metric] as number;
      if (!pb) { rows.push({ sweep: pa.sweep, series: pa.series, x: pa.x, metric, a: av, verdict: 'only in A' }); continue; }
      const bv = pb[metric] as number;
      rows.push({ sweep: pa.sweep, series: pa.series, x: pa.x, metric, a: av, b: bv, change: relative(av, bv), verdict: verdict(metric, pa, pb) });
    }
  }
  for (const pb of b) {
    if (inA.has(key(pb))) continue;
    for (const metric of metricsOf(pb)) rows.push({ sweep: pb.sweep, series: pb.series, x: pb.x, metric, b: pb[metric] as number, verdict: 'only in B' });
  }
  return rows;
}

function metricsOf(p: SweepPoint): (keyof SweepPoint)[] {
  return [...(COUNTERS[p.sweep] ?? []), ...(p.sweep === 'throughput' ? ['engineTranslationsPerSecond' as const] : [])];
}

function relative(a: number, b: number): number {
  if (a === 0) return b === 0 ? 0 : Infinity;
  return b / a - 1;
}

function verdict(metric: keyof SweepPoint, a: SweepPoint, b: SweepPoint): Verdict {
  if (metric !== 'engineTranslationsPerSecond') return a[metric] === b[metric] ? 'same' : 'changed';
  const sa: Spread | undefined = a.engineTranslationsPerSecondSpread;
  const sb: Spread | undefined = b.engineTranslationsPerSecondSpread;
  if (!sa || !sb) return 'no spread';
  if (!rangesDisjoint(sa, sb)) return 'within noise';
  return sb.median > sa.median ? 'faster' : 'slower';
}

/** Where two environments differ, as "commit abc1234 -> def5678" parts. */
export function environmentDifferences(a?: Partial<Environment>, b?: Partial<Environment>): string[] {
  const fields: (keyof Environment)[] = ['version', 'commit', 'node', 'platform', 'arch', 'cpu', 'cores'];
  return fields.filter((f) => a?.[f] !== b?.[f]).map((f) => `${f} ${show(a?.[f])} -> ${show(b?.[f])}`);
}

const show = (v: unknown) => (v === undefined ? '(none)' : String(v));

export function environmentLine(label: string, e?: Partial<Environment>): string {
  if (!e) return `${label}: no environment recorded`;
  return `${label}: ${e.tool ?? 'iommu-wasm'} ${show(e.version)}${e.commit ? ` (${e.commit.slice(0, 12)})` : ''}, Node ${show(e.node)}, ${show(e.platform)}/${show(e.arch)}, ${show(e.cpu)} x${show(e.cores)}, ${show(e.date)}`;
}

function value(metric: string, v: number | undefined): string {
  if (v === undefined) return '-';
  if (metric === 'hitRate') return `${(v * 100).toFixed(2)}%`;
  if (metric === 'engineTranslationsPerSecond') return `${(v / 1e6).toFixed(2)} M/s`;
  return fixed(v, 4);
}

const changeText = (c: number | undefined) => (c === undefined || !Number.isFinite(c) ? '-' : `${c >= 0 ? '+' : ''}${(c * 100).toFixed(1)}%`);

export function comparisonText(rows: readonly ComparisonRow[], envA?: Partial<Environment>, envB?: Partial<Environment>): string {
  const diffs = environmentDifferences(envA, envB);
  const counted = (v: Verdict) => rows.filter((r) => r.verdict === v).length;
  return [
    environmentLine('A', envA),
    environmentLine('B', envB),
    diffs.length ? `differs: ${diffs.join('; ')}` : 'same version, commit, Node and CPU',
    '',
    table(['sweep', 'series', 'x', 'metric', 'A', 'B', 'change', 'verdict'], rows.map((r) => [
      r.sweep, r.series, String(r.x), r.metric, value(r.metric, r.a), value(r.metric, r.b), changeText(r.change), r.verdict,
    ])),
    '',
    `${rows.length} values: ${counted('changed')} counters changed, ${counted('faster')} faster, ${counted('slower')} slower, ${counted('within noise')} within noise, ${counted('only in A') + counted('only in B')} in one report only`,
  ].join('\n');
}

export function comparisonCsv(rows: readonly ComparisonRow[]): string {
  return toCsv(['sweep', 'series', 'x', 'metric', 'a', 'b', 'change', 'verdict'],
    rows.map((r) => [r.sweep, r.series, r.x, r.metric, r.a ?? NaN, r.b ?? NaN, r.change ?? NaN, r.verdict]));
}
