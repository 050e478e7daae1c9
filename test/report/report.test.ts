// `iommu-wasm report` end to end through the built CLI (npm test builds first): the
// files, report.json with its environment, the CSVs, and the page as headless
// Chromium shows it.
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodePng, regionStats } from './png.js';

const CLI = join(import.meta.dirname, '../../bin/iommu-wasm.js');
const CHROMIUM = '/usr/bin/chromium';
const CHARTS = ['hit-rate-vs-iotlb', 'misses-per-unit', 'pte-reads-per-walk', 'throughput'];
const CSVS = ['hit-rate-by-iotlb-size', 'page-table-references', 'throughput'];

/** Every opened tag is closed in order: enough to catch a truncated or mangled SVG. */
function balancedXml(text: string): boolean {
  const stack: string[] = [];
  for (const m of text.matchAll(/<(\/?)([A-Za-z][\w:-]*)[^>]*?(\/?)>/g)) {
    if (m[3] === '/') continue;
    if (m[1] === '/') { if (stack.pop() !== m[2]) return false; } else stack.push(m[2]!);
  }
  return stack.length === 0;
}

function chromium(...args: string[]): string {
  return execFileSync(CHROMIUM, ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 60_000 });
}

describe('iommu-wasm report', () => {
  const dir = mkdtempSync(join(tmpdir(), 'iommu-report-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const args = ['report', '--out', dir, '--steps', '200', '--threads', '2', '--workloads', 'nic-strict,sva', '--iotlb-entries', '16,256', '--page-sizes', '4K,2M', '--repeats', '2'];

  it('writes the HTML, a valid SVG and a PNG per chart, report.json with the environment, and a CSV per table', () => {
    const stdout = execFileSync('node', [CLI, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    for (const id of CHARTS) {
      const svg = readFileSync(join(dir, `${id}.svg`), 'utf8');
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg).toContain('xmlns="http://www.w3.org/2000/svg"');
      expect(balancedXml(svg)).toBe(true);
      expect(svg).toMatch(/<path[^>]+d="M/);
      const png = readFileSync(join(dir, `${id}.png`));
      expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      expect(png.length).toBeGreaterThan(10_000);
      expect(html).toContain(`id="${id}"`);
    }
    expect(html).not.toMatch(/<script|src="http/);
    expect(html).toMatch(/<table id="environment"><tr><td>tool<\/td><td>iommu-wasm \d+\.\d+\.\d+<\/td>/);

    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as {
      environment: { tool: string; node: string; command: string }; command: string; skipped: string[];
      points: { sweep: string; series: string; x: number | string; pteReadsPerWalk: number; repeats?: number; engineTranslationsPerSecondSpread?: { min: number; median: number; max: number } }[];
    };
    expect(report.environment.tool).toBe('iommu-wasm');
    expect(report.environment.node).toBe(process.version);
    expect(report.command).toBe(`iommu-wasm ${args.join(' ')}`);
    expect(report.points.find((p) => p.series === 'nested 4x4, no caches')?.pteReadsPerWalk).toBe(24);
    expect([...new Set(report.points.filter((p) => p.sweep === 'iotlb').map((p) => p.series))]).toEqual(['nic-strict 4K', 'sva 4K', 'sva 2M']);
    expect(report.skipped).toEqual([expect.stringMatching(/^nic-strict at page size 2M: /)]);
    const sva = report.points.find((p) => p.sweep === 'throughput' && p.series === 'sva')!;
    expect(sva.repeats).toBe(2);
    expect(sva.engineTranslationsPerSecondSpread!.min).toBeLessThanOrEqual(sva.engineTranslationsPerSecondSpread!.max);

    const listed = stdout.trim().split('\n');
    for (const id of CSVS) {
      const file = join(dir, `${id}.csv`);
      expect(listed).toContain(file);
      const csv = readFileSync(file, 'utf8').split('\r\n');
      expect(csv.at(-1)).toBe('');
      expect(csv.length).toBeGreaterThan(2);
    }
    expect(readFileSync(join(dir, 'hit-rate-by-iotlb-size.csv'), 'utf8')).toMatch(/\r\nsva 2M,sva,256,0\.\d+,/);
    expect(readFileSync(join(dir, 'throughput.csv'), 'utf8').split('\r\n')[0]).toBe('series,scenario,repeats,engine_min,engine_median,engine_max,end_to_end_min,end_to_end_median,end_to_end_max');
  });

  it.skipIf(!existsSync(CHROMIUM))('renders in headless Chromium: every chart an SVG with marks, drawn in colour', () => {
    const dom = chromium('--dump-dom', `file://${join(dir, 'report.html')}`);
    for (const id of CHARTS) {
      const figure = dom.match(new RegExp(`<figure id="${id}">([\\s\\S]*?)</figure>`))?.[1];
      expect(figure, id).toBeDefined();
      const svg = figure!.match(/<svg[^>]*>/)![0];
      const width = Number(svg.match(/\swidth="([\d.]+)"/)?.[1]);
      const height = Number(svg.match(/\sheight="([\d.]+)"/)?.[1]);
      expect(width, id).toBeGreaterThan(100);
      expect(height, id).toBeGreaterThan(100);
      const marks = (figure!.match(/<(path|rect|line|symbol)\b/g) ?? []).length;
      expect(marks, id).toBeGreaterThan(5);

      // The figure alone, as Chromium laid it out, at the page's top left: a reader sees axes,
      // labels and coloured marks, not an empty box.
      const page = join(dir, `figure-${id}.html`);
      const shot = join(dir, `figure-${id}.png`);
      writeFileSync(page, `<!doctype html><html><head><meta charset="utf-8"><style>body{margin:0;background:#fff}figure{margin:0}h2{display:none}</style></head><body><figure>${figure}</figure></body></html>`);
      chromium(`--screenshot=${shot}`, `--window-size=${Math.ceil(width)},${Math.ceil(height)}`, `file://${page}`);
      const img = decodePng(readFileSync(shot));
      const seen = regionStats(img, 0, 0, Math.ceil(width), Math.ceil(height));
      expect(seen.colours, id).toBeGreaterThan(20);
      expect(seen.inked, id).toBeGreaterThan(0.02);
      expect(seen.coloured, id).toBeGreaterThan(0.002);
    }
  });

  it.skipIf(!existsSync(CHROMIUM))('renders the whole page to a non-blank screenshot', () => {
    const shot = join(dir, 'shot.png');
    chromium(`--screenshot=${shot}`, '--window-size=1200,2400', `file://${join(dir, 'report.html')}`);
    expect(statSync(shot).size).toBeGreaterThan(30_000);
    const img = decodePng(readFileSync(shot));
    expect([img.width, img.height]).toEqual([1200, 2400]);
    // Top third: title, environment and the first chart.
    expect(regionStats(img, 0, 0, 1200, 800).coloured).toBeGreaterThan(0.001);
  });

  if (!existsSync(CHROMIUM)) it.skip(`headless Chromium check skipped: ${CHROMIUM} is not installed (apt-get install chromium)`, () => {});
});
