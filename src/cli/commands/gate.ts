// `iommu-wasm gate --baseline FILE`: runs the fixed gate scenarios (and the core
// benchmark for speed ratios), compares against the baseline, prints what moved
// and exits non-zero on a regression. `--update` writes the baseline instead.
import { existsSync, writeFileSync } from 'node:fs';
import { collectCounters } from '../../gate/scenarios.js';
import type { SpeedResult } from '../../gate/speed.js';
import { PEERS, requirePeers } from '../../peers/optional-peers.js';
import { DEFAULT_THRESHOLDS, readBaseline, writeBaseline, type Baseline } from '../../gate/baseline.js';
import { compareCounters, compareSpeed, failures, type Row } from '../../gate/compare.js';
import { bencherMetricFormat, githubActionBenchmark } from '../../gate/ci-formats.js';
import { progressBar } from '../progress.js';
import { table, fixed } from '../../report/text-table.js';

export interface GateOptions {
  baseline: string;
  update?: boolean;
  /** gate: fail on a speed-ratio drop; report: print it only; off: do not benchmark. */
  speed?: string;
  speedTime?: string;
  tolerance?: string;
  speedDrop?: string;
  githubJson?: string;
  bmf?: string;
  only?: string[];
  json?: boolean;
}

export async function gateCommand(o: GateOptions): Promise<void> {
  const speedMode = o.speed ?? 'gate';
  if (!['gate', 'report', 'off'].includes(speedMode)) throw new Error(`--speed must be gate, report or off, got "${speedMode}"`);
  const previous = existsSync(o.baseline) ? readBaseline(o.baseline) : undefined;
  if (!previous && !o.update) throw new Error(`no baseline at ${o.baseline} (create one with --update)`);
  const thresholds = {
    counterTolerance: o.tolerance !== undefined ? Number(o.tolerance) : previous?.thresholds.counterTolerance ?? DEFAULT_THRESHOLDS.counterTolerance,
    speedDrop: o.speedDrop !== undefined ? Number(o.speedDrop) : previous?.thresholds.speedDrop ?? DEFAULT_THRESHOLDS.speedDrop,
  };

  // The benchmarks need tinybench; counters alone (--speed off) do not. Checked before any work.
  if (speedMode !== 'off') await requirePeers(`iommu-wasm gate --speed ${speedMode}`, PEERS.bench);
  const progress = progressBar('gate');
  const log = (what: string) => { if (!process.stderr.isTTY) process.stderr.write(`gate: ${what}\n`); };
  const counters = await collectCounters((name, i, total) => { progress.update(i, total); log(`scenario ${name}`); }, o.only);
  let speed: SpeedResult = { ratios: {}, nsPerOp: {} };
  if (speedMode !== 'off') {
    const { collectSpeed } = await import('../../gate/speed.js');
    speed = await collectSpeed(Number(o.speedTime ?? 150), (name, i, total) => { progress.update(i, total); log(`benchmark ${name}`); });
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
    ...(speedMode === 'off' ? [] : compareSpeed(base.speed, speed.ratios, thresholds.speedDrop)),
  ];
  const gated = speedMode === 'gate' ? rows : rows.filter((r) => r.kind === 'counter');
  const failed = failures(gated);
  if (o.json) process.stdout.write(`${JSON.stringify({ passed: failed.length === 0, thresholds, rows }, null, 2)}\n`);
  else process.stdout.write(`${gateReport(rows, failed, speedMode)}\n`);
  if (failed.length) process.exitCode = 1;
}

function gateReport(rows: Row[], failed: Row[], speedMode: string): string {
  const moved = rows.filter((r) => r.status !== 'ok' || r.kind === 'speed');
  const lines = [
    `${rows.filter((r) => r.kind === 'counter').length} counters compared, ${rows.filter((r) => r.kind === 'speed').length} speed ratios (${speedMode === 'gate' ? 'gated' : 'reported, not gated'})`,
  ];
  if (moved.length) {
    lines.push('', table(['what', 'kind', 'baseline', 'current', 'change', 'status'], moved.map((r) => [
      r.name, r.kind, r.baseline === undefined ? '-' : fixed(r.baseline, r.kind === 'speed' ? 1 : 0),
      r.current === undefined ? '-' : fixed(r.current, r.kind === 'speed' ? 1 : 0),
      Number.isFinite(r.change) ? `${r.change >= 0 ? '+' : ''}${(r.change * 100).toFixed(1)}%` : '-', r.status,
    ])));
  }
  lines.push('', failed.length ? `FAILED: ${failed.length} regression(s)` : 'passed');
  return lines.join('\n');
}
