// `iommu-wasm run [scenario]`: runs a built-in scenario and prints its summary.
import { runDmaStream, DMA_STREAM_DEFAULTS, type ScenarioResult } from '../../workload/scenarios/dma-stream.js';
import { progressBar } from '../progress.js';
import { table, fixed, percent, millions } from '../format.js';

export interface RunOptions {
  translations?: string;
  seed?: string;
  json?: boolean;
}

const SCENARIOS = ['dma-stream'];

function positiveInteger(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, got "${value}"`);
  return n;
}

export async function runCommand(scenario: string | undefined, options: RunOptions): Promise<void> {
  const name = scenario ?? 'dma-stream';
  if (!SCENARIOS.includes(name)) throw new Error(`unknown scenario "${name}" (known: ${SCENARIOS.join(', ')})`);
  const progress = progressBar(name);
  const result = await runDmaStream({
    translations: positiveInteger(options.translations, 'translations', DMA_STREAM_DEFAULTS.translations),
    seed: positiveInteger(options.seed, 'seed', DMA_STREAM_DEFAULTS.seed),
    onProgress: (done, total) => progress.update(done, total),
  });
  progress.stop();
  process.stdout.write(options.json ? `${JSON.stringify(result, null, 2)}\n` : `${summary(result)}\n`);
}

function summary(r: ScenarioResult): string {
  const c = r.counters;
  return [
    `scenario ${r.scenario}: ${r.config.rings} rings of ${r.config.packetBytes}-byte DMAs over ${Number(r.config.hugeBytes) >> 20} MiB in 2 MiB pages and ${Number(r.config.smallBytes) >> 20} MiB in 4 KiB pages, IOTLB ${r.config.iotlbEntries} entries`,
    '',
    table(['metric', 'value'], [
      ['translations', millions(r.translations)],
      ['throughput', `${millions(r.translationsPerSecond)}/s`],
      ['IOTLB hit rate', percent(r.hitRate)],
      ['  hits on 4 KiB pages', percent(r.hitRateBySize['4K'])],
      ['  hits on 2 MiB pages', percent(r.hitRateBySize['2M'])],
      ['walks per translation', fixed(r.walksPerTranslation, 4)],
      ['page-table reads per translation', fixed(r.pteReadsPerTranslation, 4)],
      ['walk-cache hits', String(c.walkCacheHits)],
      ['IOTLB evictions', String(c.iotlbEvictions)],
      ['faults', String(r.faults)],
    ]),
  ].join('\n');
}
