// Charts as Vega-Lite specs, rendered to SVG by Vega in Node (no browser) and to
// PNG by resvg.
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { Resvg } from '@resvg/resvg-js';
import type { SweepPoint } from './sweeps.js';

export interface Chart {
  id: string;
  title: string;
  spec: TopLevelSpec;
}

const WIDTH = 560;
const HEIGHT = 320;
/** Series names carry page size and unmap style ("nic-strict 2M all-levels"): keep legend labels whole. */
const LEGEND = { labelLimit: 320 };

/** "4-way" from the points' configuration, for the axis title. */
export interface ChartOptions { ways: number }

export function iotlbChart(points: SweepPoint[], o: ChartOptions = { ways: 4 }): Chart {
  return {
    id: 'hit-rate-vs-iotlb',
    title: 'IOTLB hit rate against IOTLB size, per workload',
    spec: {
      width: WIDTH, height: HEIGHT, background: 'white',
      data: { values: points.filter((p) => p.sweep === 'iotlb').map((p) => ({ workload: p.series, entries: p.x, hitRate: p.hitRate })) },
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'entries', type: 'quantitative', scale: { type: 'log', base: 2 }, title: `IOTLB entries (${o.ways}-way)` },
        y: { field: 'hitRate', type: 'quantitative', title: 'hit rate', axis: { format: '%' }, scale: { domain: [0, 1] } },
        color: { field: 'workload', type: 'nominal', title: 'workload', legend: LEGEND },
      },
    },
  };
}

export function missesChart(points: SweepPoint[], o: ChartOptions = { ways: 4 }): Chart {
  return {
    id: 'misses-per-unit',
    title: 'IOTLB misses per packet (NIC workloads) against IOTLB size',
    spec: {
      width: WIDTH, height: HEIGHT, background: 'white',
      data: { values: points.filter((p) => p.sweep === 'iotlb' && p.scenario.startsWith('nic')).map((p) => ({ workload: p.series, entries: p.x, misses: p.missesPerUnit })) },
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'entries', type: 'quantitative', scale: { type: 'log', base: 2 }, title: `IOTLB entries (${o.ways}-way)` },
        y: { field: 'misses', type: 'quantitative', title: 'misses per packet' },
        color: { field: 'workload', type: 'nominal', legend: LEGEND },
      },
    },
  };
}

export function nestingChart(points: SweepPoint[]): Chart {
  return {
    id: 'pte-reads-per-walk',
    title: 'Page-table references per walk: flat against nested, with and without caches',
    spec: {
      width: WIDTH, height: 240, background: 'white',
      data: { values: points.filter((p) => p.sweep === 'nesting').map((p) => ({ configuration: p.series, reads: Number(p.pteReadsPerWalk.toFixed(2)) })) },
      layer: [
        { mark: 'bar', encoding: { y: { field: 'configuration', type: 'nominal', sort: null, title: null, axis: { labelLimit: 320 } }, x: { field: 'reads', type: 'quantitative', title: 'page-table reads per walk' } } },
        { mark: { type: 'text', align: 'left', dx: 3 }, encoding: { y: { field: 'configuration', type: 'nominal', sort: null }, x: { field: 'reads', type: 'quantitative' }, text: { field: 'reads' } } },
      ],
    },
  };
}

export function throughputChart(points: SweepPoint[]): Chart {
  const mtps = (n: number) => Number((n / 1e6).toFixed(1));
  const y = { field: 'workload', type: 'nominal', sort: null, title: null, axis: { labelLimit: 320 } } as const;
  return {
    id: 'throughput',
    title: 'Translation throughput per workload (engine batches, this machine; median, whiskers min to max)',
    spec: {
      width: WIDTH, height: 260, background: 'white',
      data: {
        values: points.filter((p) => p.sweep === 'throughput').map((p) => {
          const s = p.engineTranslationsPerSecondSpread;
          return { workload: p.series, mtps: mtps(p.engineTranslationsPerSecond), min: mtps(s?.min ?? p.engineTranslationsPerSecond), max: mtps(s?.max ?? p.engineTranslationsPerSecond) };
        }),
      },
      layer: [
        { mark: 'bar', encoding: { y, x: { field: 'mtps', type: 'quantitative', title: 'million translations per second' } } },
        { mark: { type: 'rule', color: '#333' }, encoding: { y, x: { field: 'min', type: 'quantitative' }, x2: { field: 'max' } } },
        { mark: { type: 'text', align: 'left', dx: 3 }, encoding: { y, x: { field: 'max', type: 'quantitative' }, text: { field: 'mtps' } } },
      ],
    },
  };
}

export async function renderSvg(chart: Chart): Promise<string> {
  const view = new vega.View(vega.parse(compile({ ...chart.spec, title: chart.title } as TopLevelSpec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

export function svgToPng(svg: string): Buffer {
  return new Resvg(svg, { background: 'white', fitTo: { mode: 'zoom', value: 2 }, font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } }).render().asPng();
}
