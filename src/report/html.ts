// The self-contained HTML page: charts inlined as SVG, the numbers as tables, the
// command that produced it and the machine it ran on. No script, no external resource.
import type { Environment } from './environment.js';
import type { SweepPoint } from './sweeps.js';
import { throughputTable } from './tables.js';

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const mtps = (n: number) => (n / 1e6).toFixed(1);

/** `charts`: a title and an id per rendered SVG (charts.ts's Chart fits; its vega-lite spec is not needed here). */
export function reportHtml(charts: { chart: { id: string; title: string }; svg: string }[], points: SweepPoint[], command: string, seconds: number, env?: Environment): string {
  const iotlb = points.filter((p) => p.sweep === 'iotlb');
  const entries = [...new Set(iotlb.map((p) => p.x as number))].sort((a, b) => a - b);
  const workloads = [...new Set(iotlb.map((p) => p.series))];
  const hitTable = `<table><tr><th>workload</th>${entries.map((e) => `<th>${e}</th>`).join('')}</tr>${workloads.map((w) => `<tr><td>${escape(w)}</td>${entries.map((e) => {
    const p = iotlb.find((q) => q.series === w && q.x === e);
    return `<td>${p ? (p.hitRate * 100).toFixed(1) + '%' : ''}</td>`;
  }).join('')}</tr>`).join('')}</table>`;
  const nesting = points.filter((p) => p.sweep === 'nesting');
  const nestTable = `<table><tr><th>configuration</th><th>reads per walk</th><th>reads per translation</th><th>hit rate</th></tr>${nesting.map((p) => `<tr><td>${escape(p.series)}</td><td>${p.pteReadsPerWalk.toFixed(2)}</td><td>${p.pteReadsPerTranslation.toFixed(3)}</td><td>${(p.hitRate * 100).toFixed(1)}%</td></tr>`).join('')}</table>`;
  const throughput = throughputTable(points).rows;
  const tpTable = `<table><tr><th>workload</th><th>runs</th><th>min</th><th>median</th><th>max</th><th>end to end (median)</th></tr>${throughput.map((r) => `<tr><td>${escape(String(r[0]))}</td><td>${r[2]}</td><td>${mtps(r[3] as number)}</td><td>${mtps(r[4] as number)}</td><td>${mtps(r[5] as number)}</td><td>${mtps(r[7] as number)}</td></tr>`).join('')}</table>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>iommu-wasm report</title>
<style>body{font-family:DejaVu Sans,Helvetica,Arial,sans-serif;margin:2em;max-width:70em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.2em .6em;text-align:right}
td:first-child,th:first-child{text-align:left}figure{margin:1.5em 0}code{background:#f3f3f3;padding:.1em .3em}</style></head>
<body>
<h1>iommu-wasm report</h1>
<p>Produced by <code>${escape(command)}</code> in ${seconds.toFixed(1)} s. Every point is one workload run (fixed seed) on a fresh engine; throughput points are run several times (min, median, max below).</p>
${env ? environmentTable(env) : ''}
${charts.map(({ chart, svg }) => `<figure id="${chart.id}"><figcaption><h2>${escape(chart.title)}</h2></figcaption>${svg}</figure>`).join('\n')}
${iotlb.length ? `<h2>Hit rate by IOTLB entries</h2>${hitTable}` : ''}
${nesting.length ? `<h2>Page-table references</h2>${nestTable}` : ''}
${throughput.length ? `<h2>Throughput, million translations per second (engine batches)</h2>${tpTable}` : ''}
</body></html>
`;
}

function environmentTable(env: Environment): string {
  const rows: [string, string][] = [
    ['tool', `${env.tool} ${env.version}`],
    ['commit', env.commit ?? '(not a git checkout)'],
    ['Node.js', env.node],
    ['platform', `${env.platform} ${env.arch}`],
    ['CPU', `${env.cpu ?? 'unknown'}, ${env.cores} cores`],
    ['date', env.date],
  ];
  return `<h2>Environment</h2><table id="environment">${rows.map(([k, v]) => `<tr><td>${k}</td><td>${escape(v)}</td></tr>`).join('')}</table>`;
}
