// `iommu-wasm gate --baseline FILE`: runs the fixed gate scenarios (and the core
// benchmark for speed ratios), compares against the baseline, prints what moved
// and exits non-zero on a regression. `--update` writes the baseline instead.
import { existsSync, writeFileSync } from 'node:fs';
import { collectCounters } from '../../gate/scenarios.js';
import type { SpeedResult } from '../../gate/speed.js';
import { PEERS, requirePeers } from '../../peers/optional-peers.js';
import { checkThresholds, DEFAULT_THRESHOLDS, readBaseline, writeBaseline, type Baseline } from '../../gate/baseline.js';
import { compareCounters, compareSpeed, failures, type Row } from '../../gate/compare.js';
import { bencherMetricFormat, githubActionBenchmark } from '../../gate/ci-formats.js';
import { progressBar } from '../progress.js';
import { table, fixed } from '../../report/text-table.js';
import { toCsv } from '../../report/csv.js';
import { environment } from '../../report/environment.js';

export interface GateOptions {
  baseline: string;
  update?: boolean;
  /** gate: fail on a speed-ratio drop; report: print it only; off: do not benchmark. */
  speed?: 'gate' | 'report' | 'off';
  /** Milliseconds per benchmark task (checked by the option parser, src/cli/options.ts). */
  speedTime?: number;
  /** Fractions in [0, 1), checked by the option parser. */
  tolerance?: number;
  speedDrop?: number;
  githubJson?: string;
  bmf?: string;
  only?: string[];
  /** Alias of format json. */
  json?: boolean;
  format?: 'text' | 'json' | 'csv';
}

export async function gateCommand(o: GateOptions): Promise<void> {
  const speedMode = o.speed ?? 'gate';
  if (!['gate', 'report', 'off'].includes(speedMode)) throw new Error(`--speed must be gate, report or off, got "${speedMode}"`);
  if (o.only && o.only.length === 0) throw new Error('--only names no gate scenario: give at least one');
  const previous = existsSync(o.baseline) ? readBaseline(o.baseline) : undefined;
  if (!previous && !o.update) throw new Error(`no baseline at ${o.baseline} (create one with --update)`);
  const thresholds = checkThresholds({
    counterTolerance: o.tolerance ?? previous?.thresholds.counterTolerance ?? DEFAULT_THRESHOLDS.counterTolerance,
    speedDrop: o.speedDrop ?? previous?.thresholds.speedDrop ?? DEFAULT_THRESHOLDS.speedDrop,
  }, 'iommu-wasm gate');

  // The benchmarks need tinybench; counters alone (--speed off) do not. Checked before any work.
  if (speedMode !== 'off') await requirePeers(`iommu-wasm gate --speed ${speedMode}`, PEERS.bench);
  const progress = progressBar('gate');
  const log = (what: string) => { if (!process.stderr.isTTY) process.stderr.write(`gate: ${what}\n`); };
  const counters = await collectCounters((name, i, total) => { progress.update(i, total); log(`scenario ${name}`); }, o.only);
  let speed: SpeedResult = { ratios: {}, nsPerOp: {} };
  if (speedMode !== 'off') {
    const { collectSpeed } = await import('../../gate/speed.js');
    speed = await collectSpeed(o.speedTime ?? 150, (name, i, total) => { progress.update(i, total); log(`benchmark ${name}`); });
  }
  progress.stop();

  if (o.githubJson) writeFileSync(o.githubJson, `${JSON.stringify(githubActionBenchmark(counters, speed.nsPerOp), null, 2)}\n`);
  if (o.bmf) writeFileSync(o.bmf, `${JSON.stringify(bencherMetricFormat(counters, speed.ratios, speed.nsPerOp), null, 2)}\n`);

  if (o.update) {
    const baseline: Baseline = {
      version: 1,
      note: 'Written by `iommu-wasm gate --update`. Counters: fixed scenarios, seeds and step counts (src/gate/scenarios.ts); speed: engine speed-up over the plain-TypeScript peer per core benchmark case, same run.',
      thresholds,
      counters: o.only && previous ? { ...previous.counters, ...counters } : counters,
      speed: speedMode === 'off' && previous ? previous.speed : speed.ratios,
    };
    writeBaseline(o.baseline, baseline);
    process.stdout.write(`baseline written to ${o.baseline}: ${Object.keys(counters).length} scenarios, ${Object.keys(baseline.speed).length} speed ratios\n`);
    return;
  }

  const base = previous!;
  const onlyCounters = o.only ? Object.fromEntries(Object.entries(base.counters).filter(([k]) => o.only!.includes(k))) : base.counters;
  const rows = [
    ...compareCounters(onlyCounters, counters, thresholds.counterTolerance),
    ...(speedMode === 'off' ? [] : compareSpeed(base.speed, speed.ratios, thresholds.speedDrop, speed.brief)),
  ];
  const gated = rows.filter((r) => isGated(r, speedMode));
  const failed = failures(gated);
  const format = o.format ?? (o.json ? 'json' : 'text');
  if (format === 'json') {
    const gatedRows = new Set(gated);
    process.stdout.write(`${JSON.stringify({ environment: environment(), passed: failed.length === 0, thresholds, rows: rows.map((r) => ({ ...r, gated: gatedRows.has(r), ...(r.kind === 'speed' && speed.spread?.[r.name] ? { spread: speed.spread[r.name] } : {}) })) }, null, 2)}\n`);
  } else if (format === 'csv') process.stdout.write(gateCsv(rows, speedMode));
  else process.stdout.write(`${gateReport(rows, speedMode)}\n`);
  if (failed.length) process.exitCode = 1;
}

/** Counters are always gated; speed ratios only with --speed gate and when measured long enough. */
function isGated(r: Row, speedMode: 'gate' | 'report' | 'off'): boolean {
  if (r.kind === 'counter') return true;
  return speedMode === 'gate' && r.status !== 'too brief';
}

/** Every compared row (not only those that moved), one CSV line each. */
export function gateCsv(rows: Row[], speedMode: 'gate' | 'report' | 'off'): string {
  return toCsv(['what', 'kind', 'baseline', 'current', 'change', 'status', 'gated', 'note'],
    rows.map((r) => [r.name, r.kind, r.baseline ?? NaN, r.current ?? NaN, r.change, r.status, isGated(r, speedMode) ? 'yes' : 'no', r.note ?? '']));
}

function tooBriefCount(speedRows: Row[]): string {
  const n = speedRows.filter((r) => r.status === 'too brief').length;
  return n ? `; ${n} too brief to compare, not gated` : '';
}

/** A status as the table shows it: rows that are reported but not gated never say "regressed". */
function shownStatus(r: Row, gated: boolean): string {
  if (gated) return r.status;
  if (r.status === 'regressed') return 'slower (reported)';
  if (r.status === 'improved') return 'faster (reported)';
  if (r.status === 'too brief') return 'too brief (not gated)';
  return r.status === 'ok' ? 'ok' : `${r.status} (reported)`;
}

/**
 * The text report: what was compared, the rows that moved (every speed ratio), and a
 * verdict whose count is the number of failing rows in the table. With `--speed report`
 * the speed rows are reported, not gated: they say "slower (reported)", never "regressed".
 */
export function gateReport(rows: Row[], speedMode: 'gate' | 'report' | 'off'): string {
  const gated = (r: Row) => isGated(r, speedMode);
  const failed = failures(rows.filter(gated));
  const moved = rows.filter((r) => r.status !== 'ok' || r.kind === 'speed');
  const speedRows = rows.filter((r) => r.kind === 'speed');
  const lines = [
    `${rows.filter((r) => r.kind === 'counter').length} counters compared, ${speedRows.length} speed ratios (${speedMode === 'gate' ? 'gated' : speedMode === 'off' ? 'off' : 'reported, not gated'}${tooBriefCount(speedRows)})`,
  ];
  if (moved.length) {
    lines.push('', table(['what', 'kind', 'baseline', 'current', 'change', 'status'], moved.map((r) => [
      r.name, r.kind, r.baseline === undefined ? '-' : fixed(r.baseline, r.kind === 'speed' ? 1 : 0),
      r.current === undefined ? '-' : fixed(r.current, r.kind === 'speed' ? 1 : 0),
      Number.isFinite(r.change) ? `${r.change >= 0 ? '+' : ''}${(r.change * 100).toFixed(1)}%` : '-', shownStatus(r, gated(r)),
    ])));
  }
  const slower = speedRows.filter((r) => !gated(r) && r.status === 'regressed').length;
  if (slower) lines.push('', `${slower} speed ratio(s) slower than the baseline allows (reported, not gated)`);
  const brief = speedRows.filter((r) => r.status === 'too brief');
  if (brief.length) lines.push('', ...brief.map((r) => `${r.name}: too brief to compare (${r.note ?? 'measured too briefly'}); not gated: raise --speed-time`));
  if (failed.length) {
    const by = (status: string) => failed.filter((r) => r.status === status).length;
    const parts = [['regressed', by('regressed')], ['changed', by('changed')], ['missing', by('missing')]].filter(([, n]) => n).map(([s, n]) => `${n} ${s}`);
    lines.push('', `FAILED: ${failed.length} regression(s)${parts.length > 1 || by('regressed') !== failed.length ? ` (${parts.join(', ')})` : ''}`);
  } else lines.push('', 'passed');
  return lines.join('\n');
}
