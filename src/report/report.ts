// `iommu-wasm report`: runs the sweeps in parallel, renders the charts and writes
// report.html, one SVG and one PNG per chart, report.json (environment, options,
// points) and one CSV per table.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runSweeps } from './pool.js';
import { DEFAULT_WAYS, mergeRepeats, sweepPlan, type SweepOptions, type SweepPoint } from './sweeps.js';
import { iotlbChart, missesChart, nestingChart, renderSvg, svgToPng, throughputChart, type Chart } from './charts.js';
import { reportHtml } from './html.js';
import { environment, type Environment } from './environment.js';
import { reportTables } from './tables.js';
import { toCsv } from './csv.js';

export interface ReportOptions extends SweepOptions {
  outDir: string;
  threads?: number;
  command: string;
  onProgress?: (done: number, total: number) => void;
}

/** What report.json holds; `iommu-wasm report --compare` reads two of them. */
export interface ReportData {
  environment: Environment;
  command: string;
  seconds: number;
  options: Omit<SweepOptions, 'steps'> & { steps: number };
  /** Combinations the sweep options named but the workloads would not use, with why. */
  skipped: string[];
  points: SweepPoint[];
}

export interface ReportFiles {
  html: string;
  svgs: string[];
  pngs: string[];
  data: string;
  csvs: string[];
  points: SweepPoint[];
  skipped: string[];
}

export async function writeReport(o: ReportOptions): Promise<ReportFiles> {
  const started = process.hrtime.bigint();
  const env = environment(o.command);
  const { outDir, threads, command, onProgress, ...sweepOptions } = o;
  const plan = sweepPlan(sweepOptions);
  if (plan.tasks.length === 0) throw new Error(`nothing to sweep: ${plan.skipped.join('; ') || 'no sweep selected'}`);
  const points = mergeRepeats(await runSweeps(plan.tasks, threads, onProgress));
  const charts = reportCharts(points, o.ways ?? DEFAULT_WAYS);
  mkdirSync(outDir, { recursive: true });
  const rendered = [];
  const svgs: string[] = [];
  const pngs: string[] = [];
  for (const chart of charts) {
    const svg = await renderSvg(chart);
    rendered.push({ chart, svg });
    const svgPath = join(outDir, `${chart.id}.svg`);
    const pngPath = join(outDir, `${chart.id}.png`);
    writeFileSync(svgPath, svg);
    writeFileSync(pngPath, svgToPng(svg));
    svgs.push(svgPath);
    pngs.push(pngPath);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const html = join(outDir, 'report.html');
  writeFileSync(html, reportHtml(rendered, points, command, seconds, env));
  const data = join(outDir, 'report.json');
  const report: ReportData = { environment: env, command, seconds, options: sweepOptions, skipped: plan.skipped, points };
  writeFileSync(data, `${JSON.stringify(report, null, 2)}\n`);
  const csvs = reportTables(points).map((t) => {
    const path = join(outDir, `${t.id}.csv`);
    writeFileSync(path, toCsv(t.headers, t.rows));
    return path;
  });
  return { html, svgs, pngs, data, csvs, points, skipped: plan.skipped };
}

/** The charts whose sweep ran (misses per packet only when a NIC workload was swept). */
function reportCharts(points: SweepPoint[], ways: number): Chart[] {
  const has = (sweep: string, also: (p: SweepPoint) => boolean = () => true) => points.some((p) => p.sweep === sweep && also(p));
  return [
    ...(has('iotlb') ? [iotlbChart(points, { ways })] : []),
    ...(has('iotlb', (p) => p.scenario.startsWith('nic')) ? [missesChart(points, { ways })] : []),
    ...(has('nesting') ? [nestingChart(points)] : []),
    ...(has('throughput') ? [throughputChart(points)] : []),
  ];
}
