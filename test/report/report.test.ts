// `iommu-wasm report` end to end through the built CLI (npm test builds first).
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CLI = join(import.meta.dirname, '../../bin/iommu-wasm.js');
const CHROMIUM = '/usr/bin/chromium';
const CHARTS = ['hit-rate-vs-iotlb', 'misses-per-unit', 'pte-reads-per-walk', 'throughput'];

/** Every opened tag is closed in order: enough to catch a truncated or mangled SVG. */
function balancedXml(text: string): boolean {
  const stack: string[] = [];
  for (const m of text.matchAll(/<(\/?)([A-Za-z][\w:-]*)[^>]*?(\/?)>/g)) {
    if (m[3] === '/') continue;
    if (m[1] === '/') { if (stack.pop() !== m[2]) return false; } else stack.push(m[2]!);
  }
  return stack.length === 0;
}

describe('iommu-wasm report', () => {
  const dir = mkdtempSync(join(tmpdir(), 'iommu-report-'));

  it('writes the HTML, a valid SVG and a PNG per chart, and the data', () => {
    execFileSync('node', [CLI, 'report', '--out', dir, '--steps', '200', '--threads', '2'], { encoding: 'utf8' });
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
    const points = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as { sweep: string; series: string; pteReadsPerWalk: number }[];
    expect(points.find((p) => p.series === 'nested 4x4, no caches')?.pteReadsPerWalk).toBe(24);
  });

  it.skipIf(!existsSync(CHROMIUM))('renders in headless Chromium to a non-blank screenshot', () => {
    const shot = join(dir, 'shot.png');
    execFileSync(CHROMIUM, ['--headless', '--no-sandbox', '--disable-gpu', `--screenshot=${shot}`, '--window-size=1200,2400', `file://${join(dir, 'report.html')}`], { stdio: 'ignore', timeout: 60_000 });
    // A blank white page compresses to a few KiB; charts and tables do not.
    expect(statSync(shot).size).toBeGreaterThan(30_000);
  });

  if (!existsSync(CHROMIUM)) it.skip(`headless Chromium check skipped: ${CHROMIUM} is not installed (apt-get install chromium)`, () => {});

  it('cleans up', () => rmSync(dir, { recursive: true, force: true }));
});
