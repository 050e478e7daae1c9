// What `iommu-wasm bench` prints: a text table with the rounds' spread and warning
// lines for results not to trust, JSON with the environment, or CSV.
import type { CaseResult } from '../../../bench/harness.js';
import { caseSpread, caseWarnings, tooBrief } from '../../../bench/measurement-quality.js';
import type { Environment } from '../../report/environment.js';
import { toCsv } from '../../report/csv.js';
import { table, fixed } from '../../report/text-table.js';

export type OutputFormat = 'text' | 'json' | 'csv';

export function benchOutput(results: CaseResult[], format: OutputFormat, env: Environment): string {
  if (format === 'json') return `${JSON.stringify({ environment: env, cases: results.map(jsonRecord) }, null, 2)}\n`;
  if (format === 'csv') return benchCsv(results);
  return `${benchText(results)}\n`;
}

function jsonRecord(r: CaseResult) {
  return {
    name: r.name,
    nsPerOp: r.nsPerOp,
    opsPerSec: r.opsPerSec,
    peerNsPerOp: r.peerNsPerOp,
    speedupVsPeer: r.speedupVsPeer,
    counters: r.counters,
    unit: r.unit,
    samples: r.samples,
    rmePercent: r.rmePercent,
    rounds: r.rounds,
    spread: r.spread,
    relativeSpread: caseSpread(r),
    minSamplesPerRound: r.minSamplesPerRound,
    roundMs: r.roundMs,
    tooBrief: tooBrief(r) ?? null,
    ...(r.nativeNsPerOp !== undefined ? { nativeNsPerOp: r.nativeNsPerOp, vsNative: r.vsNative } : {}),
  };
}

const percent = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : '-');

export function benchText(results: CaseResult[]): string {
  const rows = results.map((r) => [
    r.name,
    r.unit,
    fixed(r.nsPerOp, 1),
    fixed(r.peerNsPerOp, 1),
    `${fixed(r.speedupVsPeer, 1)}x`,
    `${fixed(r.spread.speedupVsPeer.min, 1)}-${fixed(r.spread.speedupVsPeer.max, 1)}x`,
    percent(caseSpread(r)),
    r.nativeNsPerOp !== undefined ? fixed(r.nativeNsPerOp, 1) : '-',
    r.vsNative !== undefined ? `${fixed(r.vsNative, 2)}x` : '-',
    Object.entries(r.counters).filter(([, v]) => v !== 0).map(([k, v]) => `${k}=${fixed(v, 3)}`).join(' '),
  ]);
  const warnings = results.flatMap(caseWarnings);
  return [
    table(['case', 'op', 'ns/op', 'peer ns/op', 'vs peer', 'rounds vs peer', 'spread', 'native ns/op', 'time vs native', 'counters per op'], rows),
    ...(warnings.length ? ['', ...warnings] : []),
  ].join('\n');
}

export function benchCsv(results: CaseResult[]): string {
  return toCsv(
    ['case', 'unit', 'ns_per_op', 'peer_ns_per_op', 'speedup_vs_peer', 'speedup_min', 'speedup_median', 'speedup_max',
      'engine_ns_min', 'engine_ns_median', 'engine_ns_max', 'relative_spread', 'rme_percent', 'min_samples_per_round', 'round_ms', 'rounds',
      'too_brief', 'native_ns_per_op', 'vs_native', 'counters_per_op'],
    results.map((r) => [
      r.name, r.unit, r.nsPerOp, r.peerNsPerOp, r.speedupVsPeer,
      r.spread.speedupVsPeer.min, r.spread.speedupVsPeer.median, r.spread.speedupVsPeer.max,
      r.spread.engineNsPerOp.min, r.spread.engineNsPerOp.median, r.spread.engineNsPerOp.max,
      caseSpread(r), r.rmePercent, r.minSamplesPerRound, r.roundMs, r.rounds,
      tooBrief(r) ?? '', r.nativeNsPerOp ?? NaN, r.vsNative ?? NaN,
      Object.entries(r.counters).map(([k, v]) => `${k}=${v}`).join(' '),
    ]),
  );
}
