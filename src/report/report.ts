// `iommu-wasm report`: runs the sweeps in parallel, renders the charts and writes
// report.html plus one SVG and one PNG per chart.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runSweeps } from './pool.js';
import { sweepTasks, type SweepPoint } from './sweeps.js';
import { iotlbChart, missesChart, nestingChart, renderSvg, svgToPng, throughputChart } from './charts.js';
import { reportHtml } from './html.js';

export interface ReportOptions {
  outDir: string;
  steps: number;
  threads?: number;
  command: string;
  onProgress?: (done: number, total: number) => void;
}

export interface ReportFiles {
  html: string;
  svgs: string[];
  pngs: string[];
  data: string;
  points: SweepPoint[];
}

export async function writeReport(o: ReportOptions): Promise<ReportFiles> {
  const started = process.hrtime.bigint();
  const points = await runSweeps(sweepTasks(o.steps), o.threads, o.onProgress);
  const charts = [iotlbChart(points), missesChart(points), nestingChart(points), throughputChart(points)];
  mkdirSync(o.outDir, { recursive: true });
  const rendered = [];
  const svgs: string[] = [];
  const pngs: string[] = [];
  for (const chart of charts) {
    const svg = await renderSvg(chart);
    rendered.push({ chart, svg });
    const svgPath = join(o.outDir, `${chart.id}.svg`);
    const pngPath = join(o.outDir, `${chart.id}.png`);
    writeFileSync(svgPath, svg);
    writeFileSync(pngPath, svgToPng(svg));
    svgs.push(svgPath);
    pngs.push(pngPath);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const html = join(o.outDir, 'report.html');
  writeFileSync(html, reportHtml(rendered, points, o.command, seconds));
  const data = join(o.outDir, 'report.json');
  writeFileSync(data, `${JSON.stringify(points, null, 2)}\n`);
  return { html, svgs, pngs, data, points };
}
